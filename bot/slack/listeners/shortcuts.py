"""The message shortcut "Ask the advisor about this": any message becomes the situation.

Acknowledged at once; the answer is private to whoever used the shortcut: an ephemeral
message where the message is (in its thread, if it is in one), or, where Slack refuses an
ephemeral (a channel the advisor is not in, a DM between people), a DM from the advisor.
Its **Share in thread** button posts the same answer into the message's thread for
everyone there. The message's text is logged like any question: redacted on the way in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.asking import Asked, answer_and_record
from bot.slack import values as v
from bot.slack.blocks import SORRY, answer_blocks, answer_text
from bot.slack.listeners.shared import Respond, teller, telling_user, user_of
from bot.slack.services import Services
from bot.slack.web import slack_call

ABOUT = "About this message"
SHARED = "Shared in the thread."
NOT_SHARED = ("I couldn't post in that thread (Slack refused it: is the advisor in the "
              "channel?). Invite it with `/invite @Transformation Advisor` and try again.")


def tell_privately(client: WebClient, logger: logging.Logger, *, user: str, channel: str,
                   thread_ts: str | None, **message: Any) -> Any:
    """An ephemeral message to `user` in `channel` (in `thread_ts`, if any); a DM from the
    advisor when Slack refuses the ephemeral. None when both fail (logged)."""
    posted = slack_call(logger, "chat.postEphemeral", client.chat_postEphemeral,
                        channel=channel, user=user, thread_ts=thread_ts, **message)
    if posted is not None:
        return posted
    logger.info("answering a message shortcut by DM: no ephemeral message in %s", channel)
    return slack_call(logger, "chat.postMessage", client.chat_postMessage, channel=user,
                      **message)


def on_ask_about_message(ack: Callable[..., Any], shortcut: dict[str, Any], client: WebClient,
                         logger: logging.Logger, services: Services) -> None:
    ack()
    user, channel = shortcut["user"]["id"], shortcut["channel"]["id"]
    message = shortcut["message"]
    thread_ts = message.get("thread_ts") or message["ts"]

    def tell(**reply: Any) -> Any:
        return tell_privately(client, logger, user=user, channel=channel,
                              thread_ts=message.get("thread_ts"), **reply)

    with telling_user(logger, "answering about a message", lambda: tell(text=SORRY)):
        asked = Asked("shortcut", user, (shortcut.get("team") or {}).get("id"),
                      thread_ts=thread_ts)
        answer, exchange_id = answer_and_record(services.advisor, services.log.record,
                                                message.get("text", ""), asked, logger)
        tell(text=answer_text(answer),
             blocks=answer_blocks(answer, services.advisor.kb, exchange_id=exchange_id,
                                  quote_question=True, quote_label=ABOUT,
                                  share_in=(channel, thread_ts)))


def on_share_in_thread(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                       client: WebClient, respond: Respond, logger: logging.Logger,
                       services: Services) -> None:
    """Post the private answer into the message's thread, then say so privately."""
    ack()
    data = v.unpack(action.get("value"))
    question, channel, thread_ts = data.get("q"), data.get("c"), data.get("th")
    if not (question and channel and thread_ts):
        return
    tell = teller(body, client, respond, logger)
    with telling_user(logger, "sharing an answer in a thread", lambda: tell(SORRY)):
        kb, exchange_id = services.advisor.kb, data.get("x")
        answer = services.advisor.answer(str(question))
        posted = slack_call(logger, "chat.postMessage", client.chat_postMessage,
                            channel=str(channel), thread_ts=str(thread_ts),
                            text=answer_text(answer),
                            blocks=answer_blocks(answer, kb, exchange_id=exchange_id,
                                                 shared_by=user_of(body)))
        if posted is None:
            tell(NOT_SHARED)
        elif respond is not None:
            slack_call(logger, "response_url", respond, replace_original=True, text=SHARED,
                       blocks=answer_blocks(answer, kb, exchange_id=exchange_id))


def register(app: App) -> None:
    app.message_shortcut(v.ASK_ABOUT_MESSAGE)(on_ask_about_message)
    app.action(v.SHARE_IN_THREAD)(on_share_in_thread)
