"""Serving the parts of `server_parts.py` over HTTP (gunicorn) or Socket Mode.

HTTP: the master loads the live advisor once (workers share it after fork, and SIGHUP or a
changed knowledge base reloads it there, then gunicorn replaces the workers); each worker
assembles its own `ServerParts` and closes them on exit. Socket Mode: this one process
assembles them, and reloads itself on SIGHUP.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from slack_bolt import App

from bot.slack.request_gate import SlackGate
from bot.slack.server_parts import ServerParts

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler
    from slack_bolt.request import BoltRequest
    from slack_sdk.web import SlackResponse

    from bot.live import LiveAdvisor
    from bot.settings import Settings

SWITCH_INTERVAL = 0.0005
"""Seconds a busy thread keeps the GIL (Python's default: 0.005). Short, so the thread
acknowledging Slack's requests is not kept waiting behind the threads answering them."""
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
CONTROL_SOCKET = "gunicorn.ctl"
"""gunicorn's control socket (`gunicornc -s PATH`), one per server in its data folder:
gunicorn's default (`~/.gunicorn/gunicorn.ctl`) is shared by every server of one user, and
each new one would take it over from the last."""


class AdvisorWSGI:
    """Routes `POST /slack/events` through the request gate to Bolt and answers
    `GET /healthz`; with OAuth distribution, Bolt also answers `GET /slack/install` and
    `GET /slack/oauth_redirect` (no signature there: the OAuth state guards them); 404
    otherwise."""

    def __init__(self, app: App, *, signing_secret: str, health: Callable[[], dict[str, Any]],
                 events: Callable[[BoltRequest], object] | None = None):
        self.slack = SlackGate(app, signing_secret=signing_secret, events=events)
        self.health = health
        self.oauth_paths: frozenset[str] = frozenset()
        if app.oauth_flow is not None:
            from slack_bolt.adapter.wsgi import SlackRequestHandler

            self.oauth = SlackRequestHandler(app, path=EVENTS_PATH)
            self.oauth_paths = frozenset({app.oauth_flow.install_path,
                                          app.oauth_flow.redirect_uri_path})

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            body = json.dumps(self.health()).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body] if method == "GET" else [b""]
        if path == EVENTS_PATH and method == "POST":
            return self.slack(environ, start_response)
        if path in self.oauth_paths and method == "GET":
            return self.oauth(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain"),
                                         ("Content-Length", "9")])
        return [b"Not Found"]


def health(live: LiveAdvisor, parts: ServerParts) -> dict[str, Any]:
    """The live versions, this worker's conversation log and its event queue: "degraded"
    while the log cannot write (answers still go out), else "busy" for a minute after an
    event was shed; counts are since the worker started."""
    payload = live.health()
    payload["log"] = parts.log.health.to_json()
    if parts.events is not None and parts.notices is not None:
        payload["load"] = {**parts.events.health(), "busy_notices": parts.notices.health()}
    if payload["log"]["status"] != "ok":
        payload["status"] = "degraded"
    elif payload.get("load", {}).get("status") == "shedding":
        payload["status"] = "busy"
    return payload


def check_slack(settings: Settings) -> SlackResponse:
    """Call `auth.test` once, so a bad token or an unreachable Slack stops start-up in one
    line instead of failing every worker's boot; its answer (`advisor doctor` reads the
    granted scopes from its headers). With OAuth distribution there is no token yet: each
    installed team's is checked on its requests."""
    from slack_sdk.errors import SlackApiError

    from bot.settings import SettingsError
    from bot.slack.web import make_client
    from knowledge.errors import AdvisorError

    if settings.oauth_mode:
        return
    client = make_client(settings)
    try:
        return client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "refused"
        raise SettingsError(f"SLACK_BOT_TOKEN was refused by Slack ({error}): copy the Bot "
                            "User OAuth Token from the app's OAuth & Permissions page") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AdvisorError(f"cannot reach Slack's Web API at {client.base_url} ({reason}): "
                           "check the network, the outbound proxy or SLACK_API_URL") from None


def http_server(settings: Settings, live: LiveAdvisor, *, port: int, workers: int,
                host: str = "0.0.0.0") -> Any:
    """A gunicorn application serving the advisor on `host:port` with `workers` processes."""
    from gunicorn.app.base import BaseApplication

    from bot.log import ConversationLog
    from bot.server_process import gunicorn_hooks

    check_slack(settings)

    prepare = ConversationLog.from_settings(settings)  # migrate once, before the fork
    prepare.start()
    prepare.close()
    state: dict[str, ServerParts] = {}

    def worker_exit(server: Any, worker: Any) -> None:
        if "parts" in state:
            state.pop("parts").close()

    hooks = gunicorn_hooks(live, settings.advisor_data_dir,
                           watch_seconds=settings.advisor_watch_seconds)

    class AdvisorHTTPServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "sync",
                "timeout": 30,
                "graceful_timeout": 20,
                "proc_name": "transformation-advisor",
                "control_socket": str(Path(settings.advisor_data_dir).resolve()
                                      / CONTROL_SOCKET),
                "worker_exit": worker_exit,
                **hooks,
            }.items():
                self.cfg.set(key, value)

        def load(self) -> AdvisorWSGI:
            sys.setswitchinterval(SWITCH_INTERVAL)
            parts = state["parts"] = ServerParts(settings, live, ConversationLog.from_settings(settings))
            events = parts.events
            return AdvisorWSGI(parts.app, health=lambda: health(live, parts),
                               signing_secret=settings.slack_signing_secret or "",
                               events=events.submit if events is not None else None)

    return AdvisorHTTPServer()


def socket_mode_handler(settings: Settings, parts: ServerParts) -> SocketModeHandler:
    """A Socket Mode handler (websocket-client) for `parts.app`; `.start()` blocks,
    `.connect()` does not."""
    from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler

    settings.require("slack_app_token")
    return SocketModeHandler(parts.app, settings.slack_app_token,
                             **websocket_proxy(parts.app.client.proxy))


def websocket_proxy(proxy: str | None) -> dict[str, Any]:
    """The Web API client's proxy (settings' HTTPS_PROXY after NO_PROXY) as the Socket Mode
    client's options: the websocket is tunnelled through it with CONNECT."""
    if not proxy:
        return {}
    parts = urlsplit(proxy)
    auth = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    return {"http_proxy_host": parts.hostname, "http_proxy_port": parts.port or 80,
            "http_proxy_auth": auth, "proxy_type": "http"}


def run_socket_mode(settings: Settings, live: LiveAdvisor) -> None:
    """Connect to Slack over a websocket and serve until interrupted.

    This process is the server: SIGHUP (`advisor kb reload`) or a changed knowledge base
    reloads the live advisor here, and the next answers use it.
    """
    from bot.log import ConversationLog
    from bot.server_process import running

    check_slack(settings)
    parts = ServerParts(settings, live, ConversationLog.from_settings(settings), socket_mode=True)
    try:
        handler = socket_mode_handler(settings, parts)
        try:
            with running(live, settings):
                handler.start()
        finally:
            handler.close()  # its websocket and worker threads would keep the process alive
    finally:
        parts.close()
