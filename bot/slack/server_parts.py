"""What one serving process runs, assembled in one place for HTTP workers and Socket Mode:
its conversation log, batching advisor, listener threads, poster of answers, curator, Bolt
app, weekly review reminders and, over HTTP, the bounded queue of events with its busy
notices."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.batching_advisor import BatchingAdvisor
from bot.slack.app import LISTENER_THREADS, build_app
from bot.slack.busy import BusyNotices
from bot.slack.channel_posts import ChannelPosts
from bot.slack.event_queue import EventQueue, ListenerExecutor

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_bolt.request import BoltRequest

    from bot.curation.service import Curator
    from bot.live import LiveAdvisor
    from bot.log import ConversationLog
    from bot.settings import Settings
    from bot.slack.reminders import ReminderSchedule
    from bot.slack.workspaces import Workspaces

logger = logging.getLogger("bot.slack")


class ServerParts:
    """Starts `log` and builds the rest around `live`; `close()` stops them in order.

    Answers come from `live.current` through a batching thread, so a reloaded knowledge
    base applies to the next question. `build_app` calls `auth.test` once. Over HTTP,
    `events` takes Slack's events from the request thread (`submit`) and sheds those beyond
    `ADVISOR_QUEUE_DEPTH` with a busy notice; Socket Mode dispatches in place.
    """

    def __init__(self, settings: Settings, live: LiveAdvisor, log: ConversationLog, *,
                 socket_mode: bool = False):
        self.log = log
        self.advisor = BatchingAdvisor(lambda: live.current)
        self.executor = ListenerExecutor(LISTENER_THREADS, thread_name_prefix="listener")
        self.posts = ChannelPosts()
        self.reminders: ReminderSchedule | None = None
        self.notices: BusyNotices | None = None
        self.events: EventQueue[BoltRequest] | None = None
        try:
            log.start()
            self.app: App = build_app(settings, self.advisor, log, socket_mode=socket_mode,
                                      listener_executor=self.executor, live=live,
                                      posts=self.posts,
                                      curator=make_curator(settings, live, log))
            self.reminders = reminders(settings, self.app, live, log).start()
            if not socket_mode:
                notices = self.notices = BusyNotices(self.app.client, self.posts)
                self.events = EventQueue(dispatcher(self.app), depth=settings.advisor_queue_depth,
                                         on_shed=lambda request: notices.shed(request.body))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Finish answers in flight (and post those held by a rate limit, for a while),
        then flush the log."""
        if self.reminders is not None:
            self.reminders.stop()
        if self.events is not None:
            self.events.close()
        if self.notices is not None:
            self.notices.close()
        self.executor.shutdown(wait=True)
        self.posts.close()
        self.advisor.close()
        self.log.close()


def dispatcher(app: App) -> Callable[[BoltRequest], None]:
    """Bolt's dispatch for a queued event; one log line (its type, nothing it carries) when
    no listener took it, since Slack was told 200 already."""

    def dispatch(request: BoltRequest) -> None:
        response = app.dispatch(request)
        if response.status >= 400:
            event = request.body.get("event")
            kind = event.get("type") if isinstance(event, dict) else None
            logger.warning("Slack event %.40s was not handled (Bolt answered %d)",
                           kind, response.status)

    return dispatch


def make_curator(settings: Settings, live: LiveAdvisor, log: ConversationLog) -> Curator:
    """The curator behind the admin surfaces, on the log's database and the live base."""
    from bot.curation.service import Curator

    return Curator(settings=settings, log=log, kb_path=live.kb_path, live=live)


def reminders(settings: Settings, app: App, live: LiveAdvisor,
              log: ConversationLog) -> ReminderSchedule:
    """The weekly review reminders (sent once a week per owner) and the expert requests'
    hand-overs and reminders (each with its own workspace's client), checked now and hourly."""
    from bot.slack.expert_relay import send_expert_reminders
    from bot.slack.reminders import ReminderSchedule, send_stale_reminders

    unreachable: set[str] = set()  # requests of workspaces not installed, logged once

    def send() -> None:
        kb = live.current.kb
        workspaces = bot_workspaces(settings, app, log)
        send_stale_reminders(workspaces.clients(), log, kb, logger)
        send_expert_reminders(workspaces, log, kb, settings, logger, unreachable=unreachable)

    return ReminderSchedule(send, logger)


def bot_workspaces(settings: Settings, app: App, log: ConversationLog) -> Workspaces:
    """The clients the bot acts through outside a request: the app's, with one bot token;
    one per installed workspace (or organisation), with OAuth distribution."""
    from bot.slack.workspaces import Workspaces

    if not settings.oauth_mode:
        return Workspaces.one(app.client)
    from bot.slack.installations import Installations

    installed = Installations.on(log.database.engine, client_id=str(settings.slack_client_id))
    return Workspaces.of(settings, installed)
