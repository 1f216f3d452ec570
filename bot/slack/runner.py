"""Serving: a WSGI app for gunicorn (HTTP mode) and the Socket Mode runner.

HTTP: the master loads the live advisor once (workers share it after fork, and SIGHUP or a
changed knowledge base reloads it there, then gunicorn replaces the workers); each worker
builds its own conversation log, threads, curator and Bolt app, checks for weekly review
reminders, and drains them on exit.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

from bot.slack.app import LISTENER_THREADS, build_app
from bot.slack.batching import BatchingAdvisor

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler

    from bot.curation.service import Curator
    from bot.live import LiveAdvisor
    from bot.log import ConversationLog
    from bot.settings import Settings
    from bot.slack.reminders import ReminderSchedule
    from bot.slack.services import Answerer

SWITCH_INTERVAL = 0.0005
"""Seconds a busy thread keeps the GIL (Python's default: 0.005). Short, so the thread
acknowledging Slack's requests is not kept waiting behind the threads answering them."""
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
logger = logging.getLogger("bot.slack")


class AdvisorWSGI:
    """Routes `POST /slack/events` to Bolt and answers `GET /healthz`; 404 otherwise."""

    def __init__(self, app: App, *, health: Callable[[], dict[str, Any]]):
        self.bolt = SlackRequestHandler(app, path=EVENTS_PATH)
        self.health = health

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            body = json.dumps(self.health()).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])
            return [body] if method == "GET" else [b""]
        if path == EVENTS_PATH:
            return self.bolt(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain"),
                                         ("Content-Length", "9")])
        return [b"Not Found"]


class Worker:
    """What one server process owns: its log, its batching thread, its listener threads, its
    curator and its review-reminder thread."""

    def __init__(self, settings: Settings, live: LiveAdvisor, log: ConversationLog):
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.log = log
        self.advisor = BatchingAdvisor(lambda: live.current)
        self.executor = ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener")
        log.start()
        self.app = build_app(settings, self.advisor, log, listener_executor=self.executor,
                             live=live, curator=make_curator(settings, live, log))
        self.wsgi = AdvisorWSGI(self.app, health=live.health)
        self.reminders = reminders(self.app, live, log).start()

    def close(self) -> None:
        """Finish answers in flight, then flush the log."""
        self.reminders.stop()
        self.executor.shutdown(wait=True)
        self.advisor.close()
        self.log.close()


def make_curator(settings: Settings, live: LiveAdvisor, log: ConversationLog) -> Curator:
    """The curator behind the admin surfaces, on the log's database and the live base."""
    from bot.curation.service import Curator

    return Curator(settings=settings, log=log, kb_path=live.kb_path, live=live)


def reminders(app: App, live: LiveAdvisor, log: ConversationLog) -> ReminderSchedule:
    """The weekly review reminders, checked now and hourly (sent once a week per owner)."""
    from bot.slack.reminders import ReminderSchedule, send_stale_reminders

    return ReminderSchedule(
        lambda: send_stale_reminders(app.client, log, live.current.kb, logger), logger)


def check_slack(settings: Settings) -> None:
    """Call `auth.test` once, so a bad token or an unreachable Slack stops start-up in one
    line instead of failing every worker's boot."""
    from slack_sdk.errors import SlackApiError

    from bot.settings import SettingsError
    from bot.slack.web import make_client
    from knowledge.errors import AdvisorError

    client = make_client(settings)
    try:
        client.auth_test()
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

    from bot.live import gunicorn_hooks
    from bot.log import ConversationLog

    check_slack(settings)

    prepare = ConversationLog.from_settings(settings)  # migrate once, before the fork
    prepare.start()
    prepare.close()
    state: dict[str, Worker] = {}

    def worker_exit(server: Any, worker: Any) -> None:
        if "worker" in state:
            state.pop("worker").close()

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
                "worker_exit": worker_exit,
                **hooks,
            }.items():
                self.cfg.set(key, value)

        def load(self) -> AdvisorWSGI:
            state["worker"] = Worker(settings, live, ConversationLog.from_settings(settings))
            return state["worker"].wsgi

    return AdvisorHTTPServer()


def socket_mode_handler(settings: Settings, advisor: Answerer, log: ConversationLog, *,
                        live: LiveAdvisor | None = None) -> SocketModeHandler:
    """A Socket Mode handler (websocket-client); `.start()` blocks, `.connect()` does not.

    With `live`, the admin surfaces work too.
    """
    from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler

    settings.require("slack_app_token")
    curator = make_curator(settings, live, log) if live is not None else None
    app = build_app(settings, advisor, log, socket_mode=True, live=live, curator=curator)
    return SocketModeHandler(app, settings.slack_app_token)


def run_socket_mode(settings: Settings, live: LiveAdvisor) -> None:
    """Connect to Slack over a websocket and serve until interrupted.

    This process is the server: SIGHUP (`advisor kb reload`) or a changed knowledge base
    reloads the live advisor here, and the next answers use it.
    """
    from bot.live import running
    from bot.log import ConversationLog

    check_slack(settings)
    log = ConversationLog.from_settings(settings)
    log.start()
    batching = BatchingAdvisor(lambda: live.current)
    schedule = None
    handler = None
    try:
        with running(live, settings):
            handler = socket_mode_handler(settings, batching, log, live=live)
            schedule = reminders(handler.app, live, log).start()
            handler.start()
    finally:
        if handler is not None:
            handler.close()  # its websocket and worker threads would keep the process alive
        if schedule is not None:
            schedule.stop()
        batching.close()
        log.close()
