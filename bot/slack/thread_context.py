"""Where the agent view keeps a thread's context (the channel the user was looking at).

In the metadata of the advisor's greeting at the top of the thread, as Bolt's default store
does, so every server reads the same context from Slack. Unlike Bolt's default store, it
never rewrites an answer: an answer's metadata marks it as the answer to one message (the
check that keeps a retry from being answered twice), so only the greeting is updated.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.store import AssistantThreadContextStore
from slack_sdk import WebClient

from bot.slack.web import slack_call

CONTEXT_EVENT = "assistant_thread_context"
"""Slack message metadata type of the greeting: `event_payload` is the thread's context."""
LOOK_AT = 10
"""Messages read from the top of a thread to find the greeting (it is the first)."""


def context_metadata(context: dict[str, Any]) -> dict[str, Any]:
    return {"event_type": CONTEXT_EVENT, "event_payload": dict(context)}


class GreetingContextStore(AssistantThreadContextStore):
    """`save` and `find` a thread's context on its greeting; failures are logged, not raised."""

    def __init__(self, client: WebClient, logger: logging.Logger):
        self.client = client
        self.logger = logger

    def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        greeting = self._greeting(channel_id, thread_ts)
        if greeting is None:
            self.logger.info("no greeting at the top of agent thread %s:%s: its new context "
                             "is not kept", channel_id, thread_ts)
            return
        slack_call(self.logger, "chat.update", self.client.chat_update, channel=channel_id,
                   ts=greeting["ts"], text=greeting.get("text", ""),
                   blocks=greeting.get("blocks") or None, metadata=context_metadata(context))

    def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        greeting = self._greeting(channel_id, thread_ts)
        payload = (greeting or {}).get("metadata", {}).get("event_payload")
        return AssistantThreadContext(payload) if payload else None

    def _greeting(self, channel_id: str, thread_ts: str) -> dict[str, Any] | None:
        replies = slack_call(self.logger, "conversations.replies",
                             self.client.conversations_replies, channel=channel_id,
                             ts=thread_ts, oldest=thread_ts, include_all_metadata=True,
                             limit=LOOK_AT)
        messages = list(replies.get("messages", [])) if replies else []
        return next((m for m in messages
                     if (m.get("metadata") or {}).get("event_type") == CONTEXT_EVENT), None)
