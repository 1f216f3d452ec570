"""`/advisor <situation>`, `help`, `topics`, `checklist <topic or entry>`, `admin …`.

Acknowledged at once (help and topics come back in the ack itself); the answer follows
through `respond`, private by default, with a button to share it in the channel. A command
that came without a `response_url` is answered in the ack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.asking import Asked, answer_and_record
from bot.checklist import build_checklist
from bot.slack.blocks import SORRY, answer_blocks, answer_text, help_blocks, topics_blocks
from bot.slack.checklist_blocks import checklist_blocks, checklist_text, scope_of
from bot.slack.listeners import admin
from bot.slack.listeners.shared import Respond, can_ask_person, telling_user
from bot.slack.mrkdwn import escape, truncate
from bot.slack.services import Services
from bot.slack.web import slack_call

COMMAND = "/advisor"
SUBCOMMANDS = ("help", "topics", "checklist", "admin")
ADMIN_NEEDS_RESPONSE_URL = ("Admin commands need Slack's response_url, and this command came "
                            "without one. Please run it again.")


def parse(text: str | None) -> tuple[str, str]:
    """(subcommand, rest): an empty text is `help`; anything else unknown is a situation."""
    text = (text or "").strip()
    head, _, rest = text.partition(" ")
    if not text:
        return "help", ""
    if head.lower() in SUBCOMMANDS:
        return head.lower(), rest.strip()
    return "ask", text


def on_advisor(ack: Callable[..., Any], command: dict[str, Any], respond: Respond,
               logger: logging.Logger, services: Services) -> None:
    """Without a `response_url` (Bolt's `respond` is None) the answer goes in the ack itself."""
    sub, rest = parse(command.get("text"))
    if sub == "admin":
        if respond is None:
            ack(text=ADMIN_NEEDS_RESPONSE_URL, response_type="ephemeral")
            return
        admin.on_admin(rest, ack, command, respond, logger, services)
        return
    kb = services.advisor.kb
    if sub == "help":
        ack(text="How to use Transformation Advisor", blocks=help_blocks(kb),
            response_type="ephemeral")
        return
    if sub == "topics":
        ack(text="Topics I can advise on", blocks=topics_blocks(kb), response_type="ephemeral")
        return
    if sub == "checklist" and not rest:
        ack(text="Which checklist? Give a topic or strategy id, e.g. "
                 "`/advisor checklist communication`. `/advisor topics` lists them.",
            response_type="ephemeral")
        return
    if respond is not None:
        shown = escape(truncate(rest, 300))
        ack(text=f"Getting the checklist for _{shown}_…" if sub == "checklist"
            else f"Thinking about: _{shown}_ …", response_type="ephemeral")

    def send(**message: Any) -> Any:
        if respond is None:
            return ack(**message)
        return slack_call(logger, "response_url", respond, **message)

    with telling_user(logger, f"/advisor {sub}", lambda: send(text=SORRY)):
        if sub == "checklist":
            send_checklist(rest, command, send, services)
        else:
            asked = Asked("command", command.get("user_id"), command.get("team_id"),
                          channel_type=None)
            answer, exchange_id = answer_and_record(services.advisor, services.log.record,
                                                    rest, asked, logger)
            send(response_type="ephemeral", text=answer_text(answer),
                 blocks=answer_blocks(answer, kb, exchange_id=exchange_id, share=True,
                                      ask_person=can_ask_person(services, answer)))


def send_checklist(name: str, command: dict[str, Any], send: Callable[..., Any],
                   services: Services) -> None:
    checklist = build_checklist(services.advisor.kb, name)
    if checklist is None:
        close = services.advisor.kb.suggest(name)
        hint = (" Did you mean " + ", ".join(f"`{escape(c)}`" for c in close) + "?") if close else ""
        send(response_type="ephemeral",
             text=f"I don't know a topic or strategy called _{escape(truncate(name, 100))}_."
                  f"{hint} `/advisor topics` lists them with their ids.")
        return
    scope = scope_of("u", user_id=command["user_id"], channel_id=command.get("channel_id", ""))
    done = services.log.checklists.done(scope=scope, checklist_id=checklist.id)
    send(response_type="ephemeral", text=checklist_text(checklist, done),
         blocks=checklist_blocks(checklist, done, kind="u"))


def register(app: App) -> None:
    app.command(COMMAND)(on_advisor)
