"""Entries past their review date, grouped by owner, for `advisor kb stale` and weekly DMs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.settings import SLACK_USER_ID
from knowledge.models import KnowledgeBase


@dataclass(frozen=True)
class StaleEntry:
    """An entry whose `last_reviewed + review_every_days` has passed."""

    entry_id: str
    topic: str
    title: str
    owner: str
    last_reviewed: dt.date
    due: dt.date
    days_overdue: int
    file: str
    line: int

    @property
    def owner_is_slack_user(self) -> bool:
        """True when the owner is a Slack user id (U…/W…) who can get a reminder."""
        return bool(SLACK_USER_ID.match(self.owner))


def stale_entries(kb: KnowledgeBase, *, today: dt.date | None = None) -> list[StaleEntry]:
    """Overdue entries, most overdue first (then by id)."""
    today = today or dt.date.today()
    out = [
        StaleEntry(e.id, e.topic, e.title, e.owner, e.last_reviewed, e.review_due,
                   (today - e.review_due).days, e.file, e.line)
        for e in kb.entries if e.is_overdue(today)
    ]
    out.sort(key=lambda s: (-s.days_overdue, s.entry_id))
    return out


def by_slack_owner(stale: Sequence[StaleEntry]) -> dict[str, list[StaleEntry]]:
    """Overdue entries of owners who are Slack users, by owner id (for the weekly DM)."""
    out: dict[str, list[StaleEntry]] = {}
    for s in stale:
        if s.owner_is_slack_user:
            out.setdefault(s.owner, []).append(s)
    return out


def reminder_key(owner: str, today: dt.date | None = None) -> str:
    """One key per owner and ISO week: claim it (`EventClaims.claim`) before a DM,
    so several workers or restarts send the weekly reminder once."""
    year, week, _ = (today or dt.date.today()).isocalendar()
    return f"stale-dm:{owner}:{year}-W{week:02d}"
