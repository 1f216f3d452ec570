"""`advisor kb lint`: content that will confuse the model or that nobody reaches.

- near-duplicate situations under different topics (TF-IDF cosine at or above a threshold);
- topics with thin training data (few situations, absolutely or against the median topic);
- entries never recommended in the last N days (from the conversation log);
- entries whose situations the model itself misclassifies in cross-validation.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from classifiers.clustering import tfidf_vectors
from knowledge.models import KnowledgeBase

if TYPE_CHECKING:
    from bot.log.queries import LogQueries

NEAR_DUPLICATE = 0.85
MIN_TOPIC_SITUATIONS = 40
MIN_SHARE_OF_MEDIAN = 0.5
MAX_NEAR_DUPLICATES = 50


@dataclass(frozen=True)
class NearDuplicate:
    similarity: float
    entry: str
    topic: str
    text: str
    other_entry: str
    other_topic: str
    other_text: str


@dataclass(frozen=True)
class ThinTopic:
    topic: str
    situations: int
    entries: int
    median: float


@dataclass(frozen=True)
class Misclassified:
    """An entry some of whose situations cross-validation puts elsewhere."""

    entry: str
    topic: str
    wrong: int
    total: int
    went_to: tuple[tuple[str, int], ...]  # (topic, or "(abstain)", count), most first


@dataclass(frozen=True)
class LintReport:
    near_duplicates: tuple[NearDuplicate, ...]
    thin_topics: tuple[ThinTopic, ...]
    never_recommended: tuple[str, ...] | None  # None: no exchanges in the window to judge by
    misclassified: tuple[Misclassified, ...] | None  # None: cross-validation skipped
    days: int
    exchanges: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def findings(self) -> int:
        return (len(self.near_duplicates) + len(self.thin_topics)
                + len(self.never_recommended or ()) + len(self.misclassified or ()))


def near_duplicates(kb: KnowledgeBase, *, threshold: float = NEAR_DUPLICATE,
                    limit: int = MAX_NEAR_DUPLICATES) -> list[NearDuplicate]:
    """Pairs of situations under different topics at least `threshold` alike, most alike first."""
    rows = [(e.id, e.topic, s) for e in kb.entries for s in e.situations]
    if len(rows) < 2:
        return []
    x = tfidf_vectors([s for _, _, s in rows])
    topics = np.array([t for _, t, _ in rows])
    found: list[NearDuplicate] = []
    for start in range(0, len(rows), 512):
        block = (x[start:start + 512] @ x.T).toarray()
        for i, j in zip(*np.nonzero(block >= threshold), strict=True):
            a = start + int(i)
            b = int(j)
            if b > a and topics[a] != topics[b]:
                ea, ta, sa = rows[a]
                eb, tb, sb = rows[b]
                found.append(NearDuplicate(round(float(block[i, j]), 3), ea, ta, sa, eb, tb, sb))
    found.sort(key=lambda d: (-d.similarity, d.entry, d.text))
    return found[:limit]


def thin_topics(kb: KnowledgeBase, *, min_situations: int = MIN_TOPIC_SITUATIONS,
                min_share_of_median: float = MIN_SHARE_OF_MEDIAN) -> list[ThinTopic]:
    """Topics with fewer situations than `min_situations`, or than a share of the median topic."""
    counts = {t.id: sum(len(e.situations) for e in t.entries) for t in kb.topics}
    if not counts:
        return []
    median = float(statistics.median(counts.values()))
    return [
        ThinTopic(t.id, counts[t.id], len(t.entries), median)
        for t in kb.topics
        if counts[t.id] < min_situations or counts[t.id] < min_share_of_median * median
    ]


def never_recommended(kb: KnowledgeBase, queries: LogQueries, *, days: int,
                      now: dt.datetime | None = None) -> tuple[list[str], int]:
    """(entries recommended in no exchange of the last `days` days, exchanges looked at)."""
    since = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)
    seen, n = queries.recommended_entries(since=since)
    return [e.id for e in kb.entries if e.id not in seen], n


def misclassified(kb: KnowledgeBase, predicted: Sequence[str | None]) -> list[Misclassified]:
    """Entries whose situations cross-validation labelled with another topic (or abstained).

    `predicted` is aligned with `bot.advisor.training_data(kb)`: entries' situations in
    order, then the out-of-scope examples.
    """
    out = []
    i = 0
    for e in kb.entries:
        went = Counter(p or "(abstain)" for p in predicted[i:i + len(e.situations)] if p != e.topic)
        i += len(e.situations)
        if went:
            out.append(Misclassified(e.id, e.topic, sum(went.values()), len(e.situations),
                                     tuple(went.most_common())))
    out.sort(key=lambda m: (-m.wrong / m.total, m.entry))
    return out


def lint(
    kb: KnowledgeBase,
    *,
    queries: LogQueries | None = None,
    days: int = 30,
    cv_predicted: Sequence[str | None] | None = None,
    near_threshold: float = NEAR_DUPLICATE,
    min_situations: int = MIN_TOPIC_SITUATIONS,
    now: dt.datetime | None = None,
) -> LintReport:
    """Every check; the log-based and cross-validation checks only when given their inputs."""
    notes = []
    unused: tuple[str, ...] | None = None
    exchanges = 0
    if queries is not None:
        found, exchanges = never_recommended(kb, queries, days=days, now=now)
        if exchanges:
            unused = tuple(found)
        else:
            notes.append(f"no exchanges in the last {days} days: recommendations not checked")
    else:
        notes.append("no conversation log: recommendations not checked")
    wrong = tuple(misclassified(kb, cv_predicted)) if cv_predicted is not None else None
    if wrong is None:
        notes.append("cross-validation skipped: misclassified situations not checked")
    return LintReport(
        near_duplicates=tuple(near_duplicates(kb, threshold=near_threshold)),
        thin_topics=tuple(thin_topics(kb, min_situations=min_situations)),
        never_recommended=unused,
        misclassified=wrong,
        days=days,
        exchanges=exchanges,
        notes=tuple(notes),
    )
