"""The Bolt app factory: settings, advisor and log in; an `App` with every listener out."""

from __future__ import annotations

import logging
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.settings import OAUTH_NEEDS_HTTP, SettingsError
from bot.slack.inbound import check_payloads
from bot.slack.listeners import register_listeners
from bot.slack.replays import refuse_replays
from bot.slack.services import Services, attach
from bot.slack.web import make_client

if TYPE_CHECKING:
    from bot.asking import Answerer
    from bot.curation.service import Curator
    from bot.live import LiveAdvisor
    from bot.log import ConversationLog
    from bot.settings import Settings
    from bot.slack.channel_posts import ChannelPosts

LISTENER_THREADS = 8
logger = logging.getLogger("bot.slack")

__all__ = ["build_app", "register_listeners"]


def build_app(settings: Settings, advisor: Answerer, log: ConversationLog, *,
              client: WebClient | None = None, listener_executor: Executor | None = None,
              socket_mode: bool = False, live: LiveAdvisor | None = None,
              curator: Curator | None = None, posts: ChannelPosts | None = None) -> App:
    """A Bolt `App` answering from `advisor` and recording in `log`; with `live` and
    `curator`, the admin surfaces (`/advisor admin`, gap buttons and modals) work too;
    answers are posted through `posts` (a new `ChannelPosts` when None).

    With one bot token, calls `auth.test` once (Bolt's start-up check). With OAuth
    distribution (SLACK_CLIENT_ID and SLACK_CLIENT_SECRET), installations live in the log's
    database and each request is authorised with its team's bot token (`installations.py`).
    Request signatures are verified in HTTP mode (Socket Mode needs no signing secret).
    Payloads are checked before any listener (`inbound.py`), and replayed commands and
    clicks are dropped (`replays.py`).
    """
    installations = None
    if settings.oauth_mode:
        if socket_mode:
            raise SettingsError(OAUTH_NEEDS_HTTP)
        settings.require("slack_client_id", "slack_signing_secret")
        from bot.slack.installations import Installations

        installations = Installations.on(log.database.engine, client_id=str(settings.slack_client_id))
    else:
        settings.require("slack_bot_token", *(() if socket_mode else ("slack_signing_secret",)))
    app = App(
        token=None if installations else settings.slack_bot_token,
        signing_secret=settings.slack_signing_secret or "",
        client=client or make_client(settings),
        oauth_settings=installations.oauth_settings(settings) if installations else None,
        authorize=installations.authorize(settings) if installations else None,
        name="transformation-advisor",
        logger=logger,
        listener_executor=listener_executor
        or ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener"),
        process_before_response=False,
    )
    quiet_request_verification()
    services = Services(settings, advisor, log, live, curator, installations=installations)
    app.use(attach(services if posts is None else replace(services, posts=posts)))
    app.use(check_payloads())
    app.use(refuse_replays(log.claims))
    app.error(_on_error)
    register_listeners(app)
    return app


def quiet_request_verification() -> None:
    """Bolt's RequestVerification logs a refused request's body at INFO; it may log at most
    warnings. Set after `App()`, which copies our logger's level onto it."""
    logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)


def _on_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> None:
    """Last resort for an exception a listener let through: log it with its trace."""
    kind = body.get("type") or body.get("command") or "request"
    logger.error("unhandled error while handling %s", kind, exc_info=error)
