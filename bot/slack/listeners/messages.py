"""`app_mention` and `message.*`: answering people's messages.

A mention is answered in a thread under it, and follow-ups in a thread the advisor has
answered in need no new mention; DMs are answered in place (messages in an agent-view
thread reach `assistant.py` first, which answers them through `answer_direct` too). Every
message event is acknowledged (an unhandled one would get a 404 and be retried by Slack).

A channel message that mentions the advisor is answered from its `app_mention` event only
(its `message.channels` twin is skipped), so that pair needs no shared state. Every message
is claimed by `channel:ts` before any work (`bot.log.claims`), so Slack's retries are
answered once, whichever worker or server gets them. While the log database is down that
claim only holds on this host, so the advisor also looks in the Slack conversation, which
every server shares, for an answer of its own to the message (each answer carries the
message's key in its metadata) before posting.
A person's reply in the thread of an expert request's post (in the experts' channel, or an
owner's DM) is relayed to the asker instead of being answered (`bot.slack.expert_relay`).
Answers go out through `services.posts`, so a channel that Slack rate-limits queues its
own answers without holding up the listener threads.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.answer import Answer
from bot.asking import Asked, answer_and_record
from bot.log.claims import Claim
from bot.log.database import DatabaseDown
from bot.log.models import ExpertRequest
from bot.slack.blocks import SORRY, answer_blocks, answer_text
from bot.slack.expert_relay import relay_reply
from bot.slack.listeners.shared import can_ask_person, telling_user
from bot.slack.services import Services
from bot.slack.values import CHOOSE_TOPIC
from bot.slack.web import slack_call
from bot.slack.workspaces import request_client

ANSWERED_SUBTYPES = (None, "file_share", "thread_broadcast")
THREAD_LIMIT = 50
THINKING = "is thinking…"
ANSWER_EVENT = "advisor_answer"
"""Slack message metadata type on every answer: `{"message": dedupe_key(event)}`."""


def dedupe_key(event: dict[str, Any]) -> str:
    return f"msg:{event.get('channel')}:{event.get('ts')}"


def is_from_person(event: dict[str, Any], context: dict[str, Any]) -> bool:
    """False for our own and other bots' messages, edits, deletions and joins."""
    if event.get("subtype") not in ANSWERED_SUBTYPES or event.get("bot_id"):
        return False
    user = event.get("user")
    return bool(user) and user != context.get("bot_user_id")


def mentions_bot(event: dict[str, Any], context: dict[str, Any]) -> bool:
    bot = context.get("bot_user_id")
    return event.get("type") == "app_mention" or bool(bot and f"<@{bot}>" in event.get("text", ""))


def is_answer(message: dict[str, Any]) -> bool:
    """An advisor answer (not, say, a checklist posted for the team): it has answer blocks."""
    return any(b.get("block_id") == "answer_actions"
               or str(b.get("block_id", "")).startswith(CHOOSE_TOPIC)
               for b in message.get("blocks") or [])


def advisor_answered_in(messages: list[dict[str, Any]], context: dict[str, Any]) -> bool:
    """True when the thread holds an answer of ours, so its follow-ups are for us."""
    bot_user, bot_id = context.get("bot_user_id"), context.get("bot_id")
    return any(((bot_user and m.get("user") == bot_user) or (bot_id and m.get("bot_id") == bot_id))
               and is_answer(m) for m in messages)


def earlier_texts(messages: list[dict[str, Any]], ts: str) -> list[str]:
    """People's earlier messages in the thread, newest first (bots' answers left out)."""
    earlier = [m for m in messages
               if not m.get("bot_id") and m.get("user") and float(m.get("ts", 0)) < float(ts)]
    return [m.get("text", "") for m in reversed(earlier)]


def thread_question(text: str, earlier: list[str]) -> str:
    """The new message first, then the thread's earlier messages as context.

    Cleaning bounds the length from the end, so the oldest context goes first.
    """
    return "\n".join([text, *earlier])


def answer_in_channel(event: dict[str, Any], body: dict[str, Any], client: WebClient,
                      context: dict[str, Any], logger: logging.Logger,
                      services: Services) -> None:
    """Answer a mention, or a follow-up in a thread the advisor has answered in."""
    if not is_from_person(event, context):
        return
    channel, ts = event["channel"], event["ts"]
    thread_ts = event.get("thread_ts")
    mentioned = mentions_bot(event, context)
    earlier: list[str] = []
    if thread_ts and thread_ts != ts:
        replies = slack_call(logger, "conversations.replies", client.conversations_replies,
                             channel=channel, ts=thread_ts, limit=THREAD_LIMIT)
        messages = list(replies.get("messages", [])) if replies else []
        if not mentioned and not advisor_answered_in(messages, context):
            return
        earlier = earlier_texts(messages, ts)
    elif not mentioned:
        return
    reply_ts = thread_ts or ts
    if not claim(services, event, logger, lambda: answered_in_thread(client, event, reply_ts, logger)):
        return

    def post(**message: Any) -> Any:
        return services.posts.post(client, logger, channel=channel, thread_ts=reply_ts,
                                   metadata=answer_metadata(event), **message)

    with telling_user(logger, "answering in a channel", lambda: post(text=SORRY)):
        asked = Asked("mention", event.get("user"), body.get("team_id"),
                      event.get("channel_type") or "channel", reply_ts, body.get("event_id"))
        question = thread_question(event.get("text", ""), earlier)
        answer, exchange_id = answer_and_record(services.advisor, services.log.record,
                                                question, asked, logger)
        post(text=answer_text(answer),
             blocks=answer_blocks(answer, services.advisor.kb, exchange_id=exchange_id,
                                  ask_person=can_ask_person(services, answer)))


def answer_direct(event: dict[str, Any], body: dict[str, Any], client: WebClient,
                  context: dict[str, Any], logger: logging.Logger, services: Services,
                  set_status: Callable[..., Any] | None) -> Answer | None:
    """Answer in place in a DM or the agent view, showing a "thinking" status meanwhile.

    Returns the answer it posted (or queued behind a rate limit); None when the message is
    not for it (a bot's, a duplicate) or answering failed (the user was told)."""
    if not is_from_person(event, context) or not claim(
            services, event, logger, lambda: answered_in_dm(client, event, logger)):
        return None
    channel, thread_ts = event["channel"], event.get("thread_ts")

    def post(**message: Any) -> Any:
        return services.posts.post(client, logger, channel=channel, thread_ts=thread_ts,
                                   metadata=answer_metadata(event), **message)

    with telling_user(logger, "answering a direct message", lambda: post(text=SORRY)):
        if set_status is not None:
            slack_call(logger, "assistant.threads.setStatus", set_status, quiet=True,
                       status=THINKING)
        asked = Asked("agent" if thread_ts else "dm", event.get("user"), body.get("team_id"),
                      "im", thread_ts, body.get("event_id"))
        answer, exchange_id = answer_and_record(services.advisor, services.log.record,
                                                event.get("text", ""), asked, logger)
        post(text=answer_text(answer),
             blocks=answer_blocks(answer, services.advisor.kb, exchange_id=exchange_id,
                                  ask_person=can_ask_person(services, answer)))
        return answer
    return None


def claim(services: Services, event: dict[str, Any], logger: logging.Logger,
          answered_in_slack: Callable[[], bool]) -> bool:
    """True the first time any worker sees this message.

    When the claim could only be made on this host (database down), `answered_in_slack`
    asks the conversation whether another server has answered it already.
    """
    key = dedupe_key(event)
    verdict = services.log.claims.decide(key)
    if verdict is Claim.LOCAL and answered_in_slack():
        logger.info("already answered %s (found in Slack): duplicate delivery ignored", key)
        return False
    if verdict is not Claim.SEEN:
        return True
    logger.info("already answered %s: duplicate delivery ignored", key)
    return False


def answer_metadata(event: dict[str, Any]) -> dict[str, Any]:
    """The metadata that marks a post as the advisor's answer to `event`."""
    return {"event_type": ANSWER_EVENT, "event_payload": {"message": dedupe_key(event)}}


def answers(messages: list[dict[str, Any]], event: dict[str, Any]) -> bool:
    """True when one of `messages` is the advisor's answer to `event` (by its metadata)."""
    mark = answer_metadata(event)
    return any((m.get("metadata") or {}).get("event_type") == ANSWER_EVENT
               and (m["metadata"].get("event_payload") or {}) == mark["event_payload"]
               for m in messages)


def answered_in_thread(client: WebClient, event: dict[str, Any], reply_ts: str,
                       logger: logging.Logger) -> bool:
    """True when the thread the advisor would answer in already holds its answer to `event`."""
    replies = slack_call(logger, "conversations.replies", client.conversations_replies,
                         channel=event["channel"], ts=reply_ts, oldest=event["ts"],
                         include_all_metadata=True, limit=THREAD_LIMIT)
    return bool(replies) and answers(list(replies.get("messages", [])), event)


def answered_in_dm(client: WebClient, event: dict[str, Any], logger: logging.Logger) -> bool:
    """True when the DM (or its agent thread) already holds the advisor's answer to `event`."""
    thread_ts = event.get("thread_ts")
    if thread_ts:
        return answered_in_thread(client, event, thread_ts, logger)
    history = slack_call(logger, "conversations.history", client.conversations_history,
                         channel=event["channel"], oldest=event["ts"],
                         include_all_metadata=True, limit=THREAD_LIMIT)
    return bool(history) and answers(list(history.get("messages", [])), event)


def on_app_mention(event: dict[str, Any], body: dict[str, Any], client: WebClient,
                   context: dict[str, Any], logger: logging.Logger, services: Services) -> None:
    if expert_request_of(event, context, logger, services) is not None:
        logger.info("%s replies to an expert request: relayed from its message event",
                    dedupe_key(event))
        return
    answer_in_channel(event, body, client, context, logger, services)


def expert_request_of(event: dict[str, Any], context: dict[str, Any], logger: logging.Logger,
                      services: Services) -> ExpertRequest | None:
    """The expert request whose hand-over post this message replies to, if any: a person's
    reply in a thread of the experts' channel, or of an owner's DM."""
    thread_ts = event.get("thread_ts")
    if not thread_ts or thread_ts == event.get("ts") or not is_from_person(event, context):
        return None
    channel = event.get("channel")
    if channel != services.settings.advisor_experts_channel and event.get("channel_type") != "im":
        return None
    try:
        return services.log.requests.by_post(str(channel), str(thread_ts))
    except DatabaseDown:
        logger.warning("could not look up expert requests: the log database is unreachable")
        return None


def on_message(event: dict[str, Any], body: dict[str, Any], client: WebClient,
               context: dict[str, Any], logger: logging.Logger, services: Services,
               set_status: Callable[..., Any] | None = None) -> None:
    request = expert_request_of(event, context, logger, services)
    if request is not None:
        if claim(services, event, logger, lambda: False):
            with telling_user(logger, "relaying an expert's reply", lambda: None):
                asked_in = request_client(request, settings=services.settings,
                                          installations=services.installations, client=client)
                relay_reply(asked_in, services.log, request, event, logger)
        return
    if event.get("channel_type") == "im":
        answer_direct(event, body, client, context, logger, services, set_status)
    elif mentions_bot(event, context):
        logger.info("%s mentions the advisor: answered from its app_mention event", dedupe_key(event))
    else:
        answer_in_channel(event, body, client, context, logger, services)


def register(app: App) -> None:
    app.event("app_mention")(on_app_mention)
    app.event("message")(on_message)
