"""Pure builders for "Ask a person": the button, the confirmation modal, the post in the
experts' channel, the relayed answer, the reminder, and the admins' listing.

Every piece of user or expert text is escaped for mrkdwn; the hand-over names the asker
only when they chose to be named.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from bot.slack import values as v
from bot.slack.blocks import Block, actions, ask_person_button, context, header, plain, section
from bot.slack.curation_views import _modal, _selected, _text_input, _value
from bot.slack.limits import INPUT_VALUE, fit_blocks, fit_text
from bot.slack.mrkdwn import escape, truncate

QUESTION_BLOCK = "expert_question"
SHARE_BLOCK = "expert_share"
ANONYMOUS, NAMED = "anonymous", "named"
REQUEST_EVENT = "advisor_expert_request"
"""Slack message metadata type on every hand-over post: `{"request": id}`."""
LISTED = 15
QUESTION_CHARS = 1500
ANSWER_CHARS = 2500


def ask_person_blocks(*, question: str, exchange_id: object, entry_id: str | None) -> list[Block]:
    """A line offering a person, with the button (under an abstention, or after "Not helpful")."""
    return [section("Not what you needed? I can pass your question to the people who know."),
            actions([ask_person_button(question=question, exchange_id=exchange_id,
                                       entry_id=entry_id)], block_id="ask_person")]


def ask_person_modal(question: str, *, to: str, meta: str) -> dict[str, Any]:
    """The confirmation: exactly the text that will be shared (already redacted, editable),
    and whether to share the asker's name (anonymous unless they choose otherwise)."""
    anonymous = {"text": plain("Anonymously (the experts won't see who asked)"), "value": ANONYMOUS}
    named = {"text": plain("With my name, so they can follow up with me"), "value": NAMED}
    blocks: list[Block] = [
        section(f"I'll post this in {to}. Nothing is sent until you press *Send*; personal "
                "details I found are already taken out."),
        _text_input(QUESTION_BLOCK, "What the experts will see", question,
                    max_length=min(INPUT_VALUE, 2000), multiline=True,
                    hint="Edit it freely; leave out names, case numbers and contact details."),
        {"type": "input", "block_id": SHARE_BLOCK, "label": plain("Share it"),
         "element": {"type": "radio_buttons", "action_id": SHARE_BLOCK,
                     "options": [anonymous, named], "initial_option": anonymous}},
        context("When someone answers, I'll send you their reply here in Slack."),
    ]
    return _modal(v.ASK_PERSON_VIEW, "Ask a person", blocks, meta=meta, submit="Send")


def read_request(view: dict[str, Any]) -> tuple[str, bool]:
    """(the question as submitted, whether the asker chose to be named)."""
    return _value(view, QUESTION_BLOCK).strip(), _selected(view, SHARE_BLOCK) == NAMED


def route_label(channel: str, *, dm: bool) -> str:
    """How the modal names where the question goes."""
    return "a direct message to the strategy's owner" if dm else f"<#{escape(channel)}>"


def handover_blocks(question: str, *, request_id: str, mention: str | None,
                    asker: str | None, entry_title: str | None) -> list[Block]:
    """The post in the experts' channel: the question, whom it concerns, how to answer."""
    who = f"Asked by <@{escape(asker)}>" if asker else "Asked anonymously"
    about = f"  ·  closest strategy: {escape(entry_title)}" if entry_title else ""
    lead = f"{mention} " if mention else ""
    return fit_blocks([
        header("A question for a person"),
        section(f"{lead}The advisor couldn't help with this one:\n"
                f">{escape(truncate(question, QUESTION_CHARS))}"),
        context(f"{who}{about}  ·  request `{escape(request_id[:12])}`"),
        context("Reply in this thread: I'll pass your answer on to the asker, and admins can "
                "add it to the knowledge base."),
    ])


def handover_text(question: str) -> str:
    return fit_text(f"A question for a person: {escape(question)}")


def request_metadata(request_id: str) -> dict[str, Any]:
    return {"event_type": REQUEST_EVENT, "event_payload": {"request": request_id}}


def relay_blocks(question: str, answer: str) -> list[Block]:
    """What the asker gets: their question and the expert's reply (the expert stays unnamed
    here; the reply is theirs, escaped)."""
    return fit_blocks([
        section(f"*A person answered your question*\n>{escape(truncate(question, 500))}"),
        section(escape(truncate(answer, ANSWER_CHARS))),
        context("Answered by the transformation office through Transformation Advisor."),
    ])


def relay_text(answer: str) -> str:
    return fit_text(f"A person answered your question: {escape(answer)}")


SENT = ("Sent. I'll pass their answer on to you here. You asked anonymously unless you chose "
        "to share your name.")
SAVED_NOT_SENT = ("I saved your question but couldn't post it for the experts just now; "
                  "I'll keep trying and pass their answer on when it comes.")
NOT_SAVED = ("Sorry, I couldn't save your question just now, so nothing was sent. Please try "
             "again in a minute.")
NOBODY = ("Nobody is set up to take questions yet (an admin sets ADVISOR_EXPERTS_CHANNEL, or an "
          "owner on the strategy), so nothing was sent.")
THANKS_EXPERT = "Thanks, I've passed your answer on to the person who asked."
REMINDER = "This question is still waiting for an answer. Could someone reply in this thread?"


def reminder_text(mention: str | None) -> str:
    return f"{mention} {REMINDER}" if mention else REMINDER


def requests_blocks(requests: Sequence[Any], *, now: dt.datetime | None = None) -> list[Block]:
    """`/advisor admin requests`: each request's status, age, question and any reply."""
    now = now or dt.datetime.now(dt.UTC)
    if not requests:
        return [section("No expert requests yet.")]
    blocks: list[Block] = [header(f"Expert requests ({len(requests)})")]
    for r in requests[:LISTED]:
        blocks.append(section(f"*{escape(r.status)}* · {age(r.created_at, now)} · "
                              f"`{escape(r.id[:12])}`\n>{escape(truncate(r.question, 300))}"
                              + (f"\n*Reply:* {escape(truncate(r.answer, 300))}" if r.answer else "")))
    if len(requests) > LISTED:
        blocks.append(context(f"{len(requests) - LISTED} more: `advisor kb requests`"))
    blocks.append(context("Answered requests are in the gaps inbox (`/advisor admin gaps`, "
                          "`advisor kb gaps`), ready to add to an entry."))
    return fit_blocks(blocks)


def requests_text(requests: Sequence[Any]) -> str:
    return f"{len(requests)} expert requests"


def home_requests_blocks(counts: dict[str, int]) -> list[Block]:
    """The App Home line for admins: open and answered requests."""
    waiting = counts.get("posted", 0) + counts.get("saved", 0)
    return [section(f"*Expert requests:* {waiting} waiting for an answer, "
                    f"{counts.get('answered', 0)} answered  ·  `/advisor admin requests`")]


def age(when: dt.datetime, now: dt.datetime) -> str:
    hours = max((now - when).total_seconds() / 3600, 0)
    return f"{hours:.0f} h ago" if hours < 48 else f"{hours / 24:.0f} days ago"
