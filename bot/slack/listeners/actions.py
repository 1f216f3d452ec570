"""Buttons and checkboxes: feedback, topic choice, checklists, sharing. `ack()` first."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.checklist import build_checklist
from bot.experts import route_for
from bot.slack import values as v
from bot.slack.blocks import (
    SORRY,
    answer_blocks,
    answer_text,
    section,
    strategy_message,
    topic_overview_blocks,
)
from bot.slack.checklist_blocks import (
    checklist_blocks,
    checklist_text,
    parse_item_block_id,
    scope_of,
)
from bot.slack.expert_blocks import ask_person_blocks
from bot.slack.home_blocks import topic_modal
from bot.slack.listeners.shared import Respond, can_ask_person, telling_user, user_of
from bot.slack.mrkdwn import escape
from bot.slack.services import Services
from bot.slack.web import slack_call

NOT_IN_CHANNEL = ("not_in_channel", "channel_not_found", "is_archived")


def _channel(body: dict[str, Any]) -> str:
    return str(body.get("container", {}).get("channel_id") or body.get("channel", {}).get("id", ""))


def _thread(body: dict[str, Any]) -> str | None:
    message = body.get("message") or {}
    return message.get("thread_ts") or body.get("container", {}).get("thread_ts")


def _is_dm(body: dict[str, Any]) -> bool:
    return _channel(body).startswith("D")


def _sorry(logger: logging.Logger, respond: Respond) -> Callable[[], Any]:
    return lambda: respond and slack_call(logger, "response_url", respond, text=SORRY,
                                          replace_original=False)


def on_feedback(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                respond: Respond, logger: logging.Logger, services: Services) -> None:
    ack()
    kind = "helpful" if action["action_id"] == v.FEEDBACK_HELPFUL else "not_helpful"
    exchange_id = v.unpack(action.get("value")).get("x")
    if not exchange_id:
        return
    with telling_user(logger, "recording feedback", _sorry(logger, respond)):
        services.log.record_feedback(exchange_id, user_id=user_of(body), kind=kind)
        thanks = ("Thanks, glad it helped." if kind == "helpful" else
                  "Thanks for saying so: the people who curate these strategies review this.")
        data = v.unpack(action.get("value"))
        entry = services.advisor.kb.entries_by_id.get(str(data.get("e") or ""))
        person = kind == "not_helpful" and data.get("q") and route_for(
            entry, experts_channel=services.settings.advisor_experts_channel) is not None
        blocks = ([section(escape(thanks)),
                   *ask_person_blocks(question=str(data["q"]), exchange_id=exchange_id,
                                      entry_id=entry.id if entry else None)]
                  if person else None)
        if respond:
            slack_call(logger, "response_url", respond, text=thanks, replace_original=False,
                       response_type="ephemeral", blocks=blocks)


def on_choose_topic(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                    respond: Respond, logger: logging.Logger, services: Services) -> None:
    """Re-answer within the chosen topic, recorded as a labelled example for admins."""
    ack()
    data = v.unpack(action.get("value"))
    topic_id, question, exchange_id = data.get("t"), data.get("q"), data.get("x")
    kb = services.advisor.kb
    if topic_id not in kb.topics_by_id or respond is None:
        return
    with telling_user(logger, "answering in a chosen topic", _sorry(logger, respond)):
        if not question:
            slack_call(logger, "response_url", respond, replace_original=False,
                       text=kb.topic(topic_id).title,
                       blocks=topic_overview_blocks(kb.topic(topic_id)))
            return
        if exchange_id:
            services.log.record_feedback(exchange_id, user_id=user_of(body), kind="chose_topic",
                                         value=topic_id)
        answer = services.advisor.answer_in_topic(question, topic_id)
        ephemeral = bool(body.get("container", {}).get("is_ephemeral"))
        slack_call(logger, "response_url", respond, replace_original=True,
                   text=answer_text(answer),
                   blocks=answer_blocks(answer, kb, exchange_id=exchange_id, share=ephemeral,
                                        ask_person=can_ask_person(services, answer)))


def on_open_strategy(ack: Callable[..., Any], action: dict[str, Any], respond: Respond,
                     logger: logging.Logger, services: Services) -> None:
    """Open one of the strategies listed after the lead, below the answer."""
    ack()
    entry = services.advisor.kb.entries_by_id.get(v.unpack(action.get("value")).get("e", ""))
    if entry is None or respond is None:
        return
    with telling_user(logger, "opening a strategy", _sorry(logger, respond)):
        slack_call(logger, "response_url", respond, replace_original=False,
                   response_type="ephemeral", text=entry.title, blocks=strategy_message(entry))


def on_show_checklist(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                      client: WebClient, respond: Respond, logger: logging.Logger,
                      services: Services) -> None:
    """The user's own checklist: in place in a DM, privately in a channel."""
    ack()
    with telling_user(logger, "showing a checklist", _sorry(logger, respond)):
        checklist = build_checklist(services.advisor.kb, v.unpack(action.get("value")).get("c", ""))
        if checklist is None:
            return
        scope = scope_of("u", user_id=user_of(body), channel_id=_channel(body))
        done = services.log.checklists.done(scope=scope, checklist_id=checklist.id)
        message = {"text": checklist_text(checklist, done),
                   "blocks": checklist_blocks(checklist, done, kind="u", can_post=not _is_dm(body))}
        if _is_dm(body) or respond is None:
            slack_call(logger, "chat.postMessage", client.chat_postMessage,
                       channel=_channel(body) or user_of(body), thread_ts=_thread(body), **message)
        else:
            slack_call(logger, "response_url", respond, replace_original=False,
                       response_type="ephemeral", **message)


def on_checklist_item(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                      respond: Respond, logger: logging.Logger, services: Services) -> None:
    """Save a tick (per user, or per channel for a team list) and show the new progress."""
    ack()
    ref = parse_item_block_id(action.get("block_id", ""))
    if ref is None:
        return
    with telling_user(logger, "saving a checklist tick", _sorry(logger, respond)):
        checklist = build_checklist(services.advisor.kb, ref.checklist_id)
        if checklist is None or not 0 <= ref.item < len(checklist.items):
            return
        done_now = bool(action.get("selected_options"))
        scope = scope_of(ref.scope_kind, user_id=user_of(body), channel_id=_channel(body))
        done = services.log.checklists.set_item(scope=scope, checklist_id=checklist.id,
                                                 item=ref.item, done=done_now)
        if respond:
            slack_call(logger, "response_url", respond, replace_original=True,
                       text=checklist_text(checklist, done),
                       blocks=checklist_blocks(checklist, done, kind=ref.scope_kind,
                                               can_post=not _is_dm(body)))


def on_post_checklist(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                      client: WebClient, respond: Respond, logger: logging.Logger,
                      services: Services) -> None:
    """A champion posts a checklist into the channel; the team ticks it together."""
    ack()
    channel = _channel(body)
    with telling_user(logger, "posting a checklist for the team", _sorry(logger, respond)):
        checklist = build_checklist(services.advisor.kb, v.unpack(action.get("value")).get("c", ""))
        if checklist is None or not channel:
            return
        scope = scope_of("c", user_id=user_of(body), channel_id=channel)
        done = services.log.checklists.done(scope=scope, checklist_id=checklist.id)
        posted = slack_call(logger, "chat.postMessage", client.chat_postMessage, channel=channel,
                            text=checklist_text(checklist, done),
                            blocks=checklist_blocks(checklist, done, kind="c"))
        if posted is None and respond:
            slack_call(logger, "response_url", respond, replace_original=False,
                       response_type="ephemeral",
                       text="I couldn't post in this channel. Invite me first "
                            "(`/invite @Transformation Advisor`), then press the button again.")


def on_open_checklist(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                      client: WebClient, logger: logging.Logger, services: Services) -> None:
    """From the App Home or a topic modal: send the user's checklist to their DM."""
    ack()
    checklist = build_checklist(services.advisor.kb, v.unpack(action.get("value")).get("c", ""))
    if checklist is None:
        return
    scope = scope_of("u", user_id=user_of(body), channel_id="")
    with telling_user(logger, "opening a checklist", lambda: None):
        done = services.log.checklists.done(scope=scope, checklist_id=checklist.id)
        slack_call(logger, "chat.postMessage", client.chat_postMessage, channel=user_of(body),
                   text=checklist_text(checklist, done),
                   blocks=checklist_blocks(checklist, done, kind="u", can_post=False))


def on_share_answer(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                    respond: Respond, logger: logging.Logger, services: Services) -> None:
    """Post a private answer into the channel, quoting the question for the others."""
    ack()
    data = v.unpack(action.get("value"))
    question, topic_id, exchange_id = data.get("q"), data.get("t"), data.get("x")
    if not question or respond is None:
        return
    kb = services.advisor.kb
    with telling_user(logger, "sharing an answer", _sorry(logger, respond)):
        if topic_id in kb.topics_by_id:
            answer = services.advisor.answer_in_topic(question, topic_id)
        else:
            answer = services.advisor.answer(question)
        shared = slack_call(logger, "response_url", respond, response_type="in_channel",
                            replace_original=False, text=answer_text(answer),
                            blocks=answer_blocks(answer, kb, exchange_id=exchange_id,
                                                 quote_question=True, shared_by=user_of(body)))
        if shared is not None:
            slack_call(logger, "response_url", respond, replace_original=True,
                       text="Shared in the channel.",
                       blocks=answer_blocks(answer, kb, exchange_id=exchange_id))


def on_home_topic(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                  client: WebClient, logger: logging.Logger, services: Services) -> None:
    ack()
    topic_id = v.unpack(action.get("value")).get("t")
    if topic_id in services.advisor.kb.topics_by_id and body.get("trigger_id"):
        slack_call(logger, "views.open", client.views_open, trigger_id=body["trigger_id"],
                   view=topic_modal(services.advisor.kb.topic(topic_id)))


def register(app: App) -> None:
    app.action(v.FEEDBACK_HELPFUL)(on_feedback)
    app.action(v.FEEDBACK_NOT_HELPFUL)(on_feedback)
    app.action(re.compile(rf"^{v.CHOOSE_TOPIC}_\d+$"))(on_choose_topic)
    app.action(re.compile(rf"^{v.OPEN_STRATEGY}_\d+$"))(on_open_strategy)
    app.action(v.SHOW_CHECKLIST)(on_show_checklist)
    app.action(v.CHECKLIST_ITEM)(on_checklist_item)
    app.action(v.POST_CHECKLIST)(on_post_checklist)
    app.action(re.compile(rf"^{v.OPEN_CHECKLIST}_\d+$"))(on_open_checklist)
    app.action(v.SHARE_ANSWER)(on_share_answer)
    app.action(re.compile(rf"^{v.HOME_TOPIC}_\d+$"))(on_home_topic)
