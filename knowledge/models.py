"""Immutable objects the rest of the advisor reads: topics, entries, the whole base."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import cached_property

from knowledge.schema import EntrySchema
from knowledge.sources import Source

__all__ = ["CLOSE_ENOUGH", "REQUIRED_TOPICS", "Entry", "KnowledgeBase", "Source", "Topic"]

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


CLOSE_ENOUGH = 0.85
"""Similarity above which a mistyped id is taken as meant (`KnowledgeBase.find_close`)."""


def _slug_words(text: str) -> list[str]:
    return "".join(c if c.isalnum() else " " for c in text.lower()).split()


@dataclass(frozen=True, kw_only=True)
class Entry(EntrySchema):
    """One curated strategy: what to do, in what order, and why.

    Its fields are the validated schema's (`knowledge/schema.py`), plus its topic and where
    it was found; construct it with keywords.
    """

    topic: str
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
    vocabulary: tuple[str, ...] = ()
    """Terms and acronyms people use for this topic's problems; the classifier learns them."""


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

    def find_close(self, topic_or_entry: str) -> Topic | Entry | None:
        """`find`, else the one id that clearly matches: a typo ("hypercare-after-golive"),
        a unique prefix ("hypercare") or the words of one title; None when unsure."""
        found = self.find(topic_or_entry)
        if found is not None:
            return found
        close = self.suggest(topic_or_entry, n=2, cutoff=CLOSE_ENOUGH)
        if len(close) == 1:
            return self.find(close[0])
        return None

    def suggest(self, query: str, *, n: int = 3, cutoff: float = 0.55) -> list[str]:
        """Ids of topics and entries that look like `query`, closest first."""
        key = "-".join(query.strip().lower().split())
        if not key:
            return []
        ids = [*self.topics_by_id, *self.entries_by_id]
        prefixed = [i for i in ids if i.startswith(key)]
        if len(prefixed) == 1:
            return prefixed
        words = set(key.split("-"))
        titled = [e.id for e in self.entries if words and words <= set(_slug_words(e.title))]
        if len(titled) == 1:
            return titled
        def likeness(i: str) -> float:  # the whole id, or its start as long as the query
            return max(SequenceMatcher(None, key, i).ratio(),
                       SequenceMatcher(None, key, i[: len(key)]).ratio() - 0.05)

        scored = sorted(((likeness(i), i) for i in ids), reverse=True)
        return [i for score, i in scored[:n] if score >= cutoff] or prefixed[:n] or titled[:n]
