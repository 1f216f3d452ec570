"""Serving: a WSGI app for gunicorn (HTTP mode) and the Socket Mode runner.

HTTP: the master loads the advisor once (workers share it after fork); each worker then
builds its own conversation log, thread pool and Bolt app, and drains them on exit.
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

    from bot.advisor import Advisor
    from bot.log import ConversationLog
    from bot.settings import Settings
    from bot.slack.services import Answerer

SWITCH_INTERVAL = 0.0005
"""Seconds a busy thread keeps the GIL (Python's default: 0.005). Short, so the thread
acknowledging Slack's requests is not kept waiting behind the threads answering them."""
EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
logger = logging.getLogger("bot.slack")


class AdvisorWSGI:
    """Routes `POST /slack/events` to Bolt and answers `GET /healthz`; 404 otherwise."""

    def __init__(self, app: App, *, kb_version: str, model_version: str):
        self.bolt = SlackRequestHandler(app, path=EVENTS_PATH)
        self.health = json.dumps({"status": "ok", "kb_version": kb_version,
                                  "model_version": model_version}).encode()

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(self.health)))])
            return [self.health] if method == "GET" else [b""]
        if path == EVENTS_PATH:
            return self.bolt(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain"),
                                         ("Content-Length", "9")])
        return [b"Not Found"]


class Worker:
    """What one server process owns: its log and its listener threads."""

    def __init__(self, settings: Settings, advisor: Advisor, log: ConversationLog):
        sys.setswitchinterval(SWITCH_INTERVAL)
        self.log = log
        self.advisor = BatchingAdvisor(advisor)
        self.executor = ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener")
        log.start()
        self.app = build_app(settings, self.advisor, log, listener_executor=self.executor)
        self.wsgi = AdvisorWSGI(self.app, kb_version=advisor.kb.version,
                                model_version=advisor.model_version)

    def close(self) -> None:
        """Finish answers in flight, then flush the log."""
        self.executor.shutdown(wait=True)
        self.advisor.close()
        self.log.close()


def http_server(settings: Settings, advisor: Advisor, *, port: int, workers: int,
                host: str = "0.0.0.0") -> Any:
    """A gunicorn application serving the advisor on `host:port` with `workers` processes."""
    from gunicorn.app.base import BaseApplication

    from bot.log import ConversationLog

    prepare = ConversationLog.from_settings(settings)  # migrate once, before the fork
    prepare.start()
    prepare.close()
    state: dict[str, Worker] = {}

    def worker_exit(server: Any, worker: Any) -> None:
        if "worker" in state:
            state.pop("worker").close()

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
            }.items():
                self.cfg.set(key, value)

        def load(self) -> AdvisorWSGI:
            state["worker"] = Worker(settings, advisor, ConversationLog.from_settings(settings))
            return state["worker"].wsgi

    return AdvisorHTTPServer()


def socket_mode_handler(settings: Settings, advisor: Answerer,
                        log: ConversationLog) -> SocketModeHandler:
    """A Socket Mode handler (websocket-client); `.start()` blocks, `.connect()` does not."""
    from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler

    settings.require("slack_app_token")
    app = build_app(settings, advisor, log, socket_mode=True)
    return SocketModeHandler(app, settings.slack_app_token)


def run_socket_mode(settings: Settings, advisor: Advisor) -> None:
    """Connect to Slack over a websocket and serve until interrupted."""
    from bot.log import ConversationLog

    log = ConversationLog.from_settings(settings)
    log.start()
    batching = BatchingAdvisor(advisor)
    try:
        socket_mode_handler(settings, batching, log).start()
    finally:
        batching.close()
        log.close()
