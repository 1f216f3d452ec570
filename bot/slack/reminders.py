"""The weekly review reminder: owners who are Slack users get a DM listing their stale entries.

Every server process checks once at start and then hourly; the claim in the conversation log
(one key per owner and ISO week) makes each owner's DM go out once a week, whichever
process gets there first.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bot.curation.stale import by_slack_owner, reminder_key, stale_entries
from bot.slack.admin_blocks import stale_blocks, stale_text
from bot.slack.web import slack_call

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.log import ConversationLog
    from knowledge.models import KnowledgeBase

CHECK_SECONDS = 3600.0


def send_stale_reminders(clients: Sequence[WebClient], log: ConversationLog, kb: KnowledgeBase,
                         logger: logging.Logger, *, today: dt.date | None = None) -> int:
    """DM each Slack-user owner their overdue entries, unless already done this week.

    `clients` are the bot's clients: one with one bot token, one per installed workspace with
    OAuth distribution, tried in turn until one reaches the owner (an owner is a user of one
    of them). Returns how many DMs were posted. A DM that fails after its claim is not
    retried until next week (logged with its cause).
    """
    sent = 0
    for owner, entries in by_slack_owner(stale_entries(kb, today=today)).items():
        if not clients or not log.claims.claim(reminder_key(owner, today)):
            continue
        message = {"channel": owner, "text": stale_text(entries),
                   "blocks": stale_blocks(entries, owner_view=True)}
        for n, client in enumerate(clients, 1):
            posted = slack_call(logger, "chat.postMessage", client.chat_postMessage,
                                quiet=n < len(clients), **message)
            if posted is not None:
                sent += 1
                break
    logger.info("stale-entry reminders checked: %d sent", sent)
    return sent


class ReminderSchedule:
    """Calls `send` on a daemon thread at start, then every `interval` seconds, until stopped."""

    def __init__(self, send: Callable[[], Any], logger: logging.Logger, *,
                 interval: float = CHECK_SECONDS):
        self.send = send
        self.logger = logger
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stale-reminders", daemon=True)

    def start(self) -> ReminderSchedule:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.send()
            except Exception:
                self.logger.exception("sending the weekly review reminders failed; "
                                      "trying again in %.0fs", self.interval)
            self._stop.wait(self.interval)
