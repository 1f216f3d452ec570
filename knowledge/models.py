"""Immutable objects the rest of the advisor reads: topics, entries, the whole base."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

REQUIRED_TOPICS: tuple[str, ...] = (
    "communication",
    "stakeholder-engagement",
    "leadership-change",
    "security-privacy",
    "pilots-rollout",
    "training-skills",
    "citizen-design",
    "legacy-integration",
    "measurement",
    "strategy-governance",
)


@dataclass(frozen=True)
class Source:
    """A seed document an entry draws on; users see the title."""

    title: str
    file: str


@dataclass(frozen=True)
class Entry:
    """One curated strategy: what to do, in what order, and why."""

    id: str
    topic: str
    title: str
    summary: str
    situations: tuple[str, ...]
    actions: tuple[str, ...]
    sources: tuple[Source, ...]
    owner: str
    last_reviewed: dt.date
    review_every_days: int
    pitfalls: tuple[str, ...] = ()
    file: str = ""
    line: int = 0

    @property
    def review_due(self) -> dt.date:
        return self.last_reviewed + dt.timedelta(days=self.review_every_days)

    def is_overdue(self, today: dt.date | None = None) -> bool:
        return (today or dt.date.today()) > self.review_due


@dataclass(frozen=True)
class Topic:
    """A topic groups entries; the classifier predicts topics."""

    id: str
    title: str
    description: str
    entries: tuple[Entry, ...]
    file: str = ""


@dataclass(frozen=True)
class KnowledgeBase:
    """The whole validated base. `version` is a content hash: same files, same version."""

    topics: tuple[Topic, ...]
    out_of_scope: tuple[str, ...]
    version: str
    root: str = ""
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @cached_property
    def topics_by_id(self) -> dict[str, Topic]:
        return {t.id: t for t in self.topics}

    @cached_property
    def entries_by_id(self) -> dict[str, Entry]:
        return {e.id: e for t in self.topics for e in t.entries}

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(e for t in self.topics for e in t.entries)

    def topic(self, topic_id: str) -> Topic:
        return self.topics_by_id[topic_id]

    def find(self, topic_or_entry: str) -> Topic | Entry | None:
        """Look up a topic or entry by id (case-insensitive), or None."""
        key = topic_or_entry.strip().lower()
        return self.topics_by_id.get(key) or self.entries_by_id.get(key)
