"""`/advisor <situation>`, `help`, `topics`, `checklist <topic or entry>`, `admin …`.

Acknowledged at once (help and topics come back in the ack itself); the answer follows
through `respond`, private by default, with a button to share it in the channel.
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
from bot.slack.listeners.shared import telling_user
from bot.slack.mrkdwn import escape, truncate
from bot.slack.services import Services
from bot.slack.web import slack_call

COMMAND = "/advisor"
SUBCOMMANDS = ("help", "topics", "checklist", "admin")


def parse(text: str | None) -> tuple[str, str]:
    """(subcommand, rest): an empty text is `help`; anything else unknown is a situation."""
    text = (text or "").strip()
    head, _, rest = text.partition(" ")
    if not text:
        return "help", ""
    if head.lower() in SUBCOMMANDS:
        return head.lower(), rest.strip()
    return "ask", text


def on_advisor(ack: Callable[..., Any], command: dict[str, Any], respond: Callable[..., Any],
               logger: logging.Logger, services: Services) -> None:
    sub, rest = parse(command.get("text"))
    if sub == "admin":
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
    shown = escape(truncate(rest, 300))
    ack(text=f"Getting the checklist for _{shown}_…" if sub == "checklist"
        else f"Thinking about: _{shown}_ …", response_type="ephemeral")

    def sorry() -> Any:
        return slack_call(logger, "response_url", respond, text=SORRY)

    with telling_user(logger, f"/advisor {sub}", sorry):
        if sub == "checklist":
            send_checklist(rest, command, respond, logger, services)
        else:
            asked = Asked("command", command.get("user_id"), command.get("team_id"),
                          channel_type=None)
            answer, exchange_id = answer_and_record(services.advisor, services.log.record,
                                                    rest, asked, logger)
            slack_call(logger, "response_url", respond, response_type="ephemeral",
                       text=answer_text(answer),
                       blocks=answer_blocks(answer, kb, exchange_id=exchange_id, share=True))


def send_checklist(name: str, command: dict[str, Any], respond: Callable[..., Any],
                   logger: logging.Logger, services: Services) -> None:
    checklist = build_checklist(services.advisor.kb, name)
    if checklist is None:
        close = services.advisor.kb.suggest(name)
        hint = (" Did you mean " + ", ".join(f"`{escape(c)}`" for c in close) + "?") if close else ""
        slack_call(logger, "response_url", respond,
                   text=f"I don't know a topic or strategy called _{escape(truncate(name, 100))}_."
                        f"{hint} `/advisor topics` lists them with their ids.")
        return
    scope = scope_of("u", user_id=command["user_id"], channel_id=command.get("channel_id", ""))
    done = services.log.checklists.done(scope=scope, checklist_id=checklist.id)
    slack_call(logger, "response_url", respond, response_type="ephemeral",
               text=checklist_text(checklist, done),
               blocks=checklist_blocks(checklist, done, kind="u"))


def register(app: App) -> None:
    app.command(COMMAND)(on_advisor)
