"""What a person whose question was shed sees: a short "busy, ask again" reply.

Only questions the advisor would have answered get one: a mention (in its thread) and a
direct message (in place). A shed message whose twin is the mention, or a thread message
that may be a follow-up, gets none (the mention gets it; a follow-up cannot be told from
chatter without reading the thread, which is what a busy server should not do). Notices go
out from one thread, through their own small queue: when even that is full, the notice is
dropped and counted. A notice is not an answer: it carries no answer metadata and claims
nothing, so a retry of the question may still be answered.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.slack.channel_posts import ChannelPosts
from bot.slack.event_queue import EventQueue
from bot.slack.listeners.messages import is_from_person

BUSY = ("I'm answering a lot of questions right now and couldn't get to yours. "
        "Please ask me again in a minute.")
NOTICE_DEPTH = 200
"""Busy notices that may wait to be posted."""

logger = logging.getLogger("bot.slack")


def notice_target(body: dict[str, Any]) -> dict[str, str | None] | None:
    """Where a shed event's busy notice goes (`channel`, `thread_ts`), or None for none."""
    event = body.get("event")
    if not isinstance(event, dict) or not is_from_person(event, {}):
        return None
    channel, ts = event.get("channel"), event.get("ts")
    if not isinstance(channel, str) or not isinstance(ts, str):
        return None
    thread_ts = event.get("thread_ts")
    thread_ts = thread_ts if isinstance(thread_ts, str) else None
    if event.get("type") == "app_mention":
        return {"channel": channel, "thread_ts": thread_ts or ts}
    if event.get("type") == "message" and event.get("channel_type") == "im":
        return {"channel": channel, "thread_ts": thread_ts}
    return None


class BusyNotices:
    """Posts the busy notice for shed events, from one thread, in order."""

    def __init__(self, client: WebClient, posts: ChannelPosts, *, depth: int = NOTICE_DEPTH):
        self.client, self.posts = client, posts
        self._queue: EventQueue[dict[str, str | None]] = EventQueue(
            self._post, depth=depth, threads=1)

    def shed(self, body: dict[str, Any]) -> None:
        """Queue the notice for `body`'s question, if it gets one."""
        target = notice_target(body)
        if target is not None:
            self._queue.submit(target)

    def health(self) -> dict[str, int]:
        """`{"sent", "dropped", "waiting"}` since the worker started."""
        state = self._queue.health()
        return {"sent": state["handled"], "dropped": state["shed"],
                "waiting": state["waiting"] + state["working"]}

    def close(self) -> None:
        self._queue.close(timeout=5.0)

    def _post(self, target: dict[str, str | None]) -> None:
        self.posts.post(self.client, logger, text=BUSY, **target)
