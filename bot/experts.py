"""Who an "Ask a person" request goes to, decided from the answer alone (no Slack, no I/O).

The closest entry's `owner` may name a Slack user (U…/W…) or user group (S…): they are
mentioned in the experts' channel (`ADVISOR_EXPERTS_CHANNEL`), or, with no channel set, a
user owner gets the request in a DM. A team name as owner is kept in the knowledge base's
own words and routes nowhere. Where neither works, nobody can take the question.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.answer import Answer
from bot.cleaning import _LINK, _SPECIAL, _USER
from knowledge.models import Entry

USER = re.compile(r"^[UW][A-Z0-9]{2,}$")
USER_GROUP = re.compile(r"^S[A-Z0-9]{2,}$")
OFFERED_REASONS = ("abstained", "unsure", "not_helpful")
"""When an answer offers "Ask a person": it abstained, it was unsure or a close call, or the
user marked it not helpful."""


@dataclass(frozen=True)
class Route:
    """Where a request is posted, and whom that post mentions."""

    channel: str  # the experts' channel, or the owner's user id (a DM)
    owner: str | None = None  # the closest entry's owner when it is a Slack user or group

    @property
    def mention(self) -> str | None:
        """Slack markup that notifies the owner (None: nobody in particular)."""
        if self.owner is None or self.channel == self.owner:
            return None
        return f"<!subteam^{self.owner}>" if USER_GROUP.match(self.owner) else f"<@{self.owner}>"


def closest_entry(answer: Answer) -> Entry | None:
    """The entry the question came closest to: the lead, else the first offered option's."""
    if answer.lead is not None:
        return answer.lead.entry
    return next((o.entry for o in answer.options if o.entry is not None), None)


def slack_owner(entry: Entry | None) -> str | None:
    """The entry's owner when it names a Slack user or user group."""
    owner = (entry.owner if entry is not None else "").strip()
    return owner if USER.match(owner) or USER_GROUP.match(owner) else None


def route_for(entry: Entry | None, *, experts_channel: str | None) -> Route | None:
    """Where a request about `entry` goes; None when nobody can take it."""
    owner = slack_owner(entry)
    if experts_channel:
        return Route(experts_channel, owner)
    if owner is not None and USER.match(owner):
        return Route(owner, owner)
    return None


def offers_person(answer: Answer) -> bool:
    """True when the answer itself should offer "Ask a person" (abstained or unsure)."""
    return not answer.is_empty and (answer.abstained or answer.asks_to_choose)


def reply_draft(reply: str) -> tuple[str, tuple[str, ...]]:
    """A draft entry's summary and actions from an expert's reply, for the admin to edit: the
    reply as the summary, and its lines (or, in one paragraph, its sentences) as actions."""
    summary = " ".join(reply.split())
    lines = [" ".join(line.strip(" -*•\t").split()) for line in reply.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) < 2:
        lines = [p.strip() for p in re.split(r"(?<=[.!?])\s+", summary) if p.strip()]
    return summary, tuple(lines)


def plain_reply(text: str) -> str:
    """An expert's Slack message as plain text, its lines kept: mentions and broadcasts go,
    a link becomes its label and address (so escaping it for the asker keeps it readable)."""
    text = _USER.sub("", text)
    text = _SPECIAL.sub("", text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    text = html.unescape(text)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(lines).strip()
