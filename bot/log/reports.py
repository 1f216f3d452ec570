"""What `advisor report` shows, and the pure arithmetic behind it (the SQL is in `queries`).

The database does the counting: `queries` reads one small table of counts per week, topic
and surface (`TallyRow`), the feedback per entry, and short lists; here those few rows
become the report's figures.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING

from bot.answer import LOW_CONFIDENCE
from bot.log.records import Stats

if TYPE_CHECKING:
    from classifiers.clustering import Cluster
    from knowledge.models import KnowledgeBase

CONFIDENCE_BINS = 10
DEFAULT_WEEKS = 12
"""The period `advisor report` and `/advisor admin report` cover unless asked otherwise."""


@dataclass(frozen=True)
class QuestionGroup:
    """Similar unanswered questions: one representative, how many, and a few examples."""

    example: str
    count: int
    others: tuple[str, ...]


@dataclass(frozen=True)
class FlaggedQuestion:
    """An answered question the advisor was unsure of: a close call, or below the line."""

    question: str  # as logged (redacted)
    topic: str
    confidence: float
    ambiguous: bool


@dataclass(frozen=True)
class EntryFigures:
    """How often answers led with an entry in the period, and what users said of them."""

    entry_id: str
    led: int  # exchanges whose answer led with it (the ones its feedback is about)
    helpful: int
    not_helpful: int

    @property
    def rated(self) -> int:
        return self.helpful + self.not_helpful

    @property
    def not_helpful_rate(self) -> float:
        return self.not_helpful / self.rated if self.rated else 0.0


@dataclass(frozen=True)
class Catalogue:
    """What the report knows of the current knowledge base: titles and every entry id, and
    the confidence lines the advisor answers by."""

    titles: Mapping[str, str] = field(default_factory=dict)  # topic and entry ids → titles
    entry_ids: tuple[str, ...] = ()
    abstain_below: float | None = None  # the advisor abstains (asks) below this
    low_confidence: float = LOW_CONFIDENCE  # answers below this are low-confidence

    @classmethod
    def of(cls, kb: KnowledgeBase, *, abstain_below: float | None = None) -> Catalogue:
        """The catalogue of `kb`; `abstain_below` defaults to the model's own policy."""
        if abstain_below is None:
            from classifiers.matcher import ModelParams

            abstain_below = ModelParams().policy.abstain_below
        titles = {t.id: t.title for t in kb.topics} | {e.id: e.title for e in kb.entries}
        return cls(titles, tuple(e.id for e in kb.entries), abstain_below)


@dataclass(frozen=True)
class TallyRow:
    """Counts of one week, topic (None: abstained) and surface, as the database sums them."""

    week: dt.date
    topic: str | None
    surface: str
    exchanges: int
    bins: tuple[int, ...]  # CONFIDENCE_BINS counts over [0, 1]
    ambiguous: int
    low_confidence: int  # answered below the low-confidence line
    flagged: int  # answered and ambiguous or below the line


@dataclass(frozen=True)
class Report:
    """Everything `advisor report` prints or draws."""

    stats: Stats
    until: dt.datetime
    per_week: list[tuple[dt.date, int]]  # Monday of each week from the first with data
    per_surface: list[tuple[str, int]]
    confidence_histogram: list[int]  # CONFIDENCE_BINS counts over [0, 1]
    unanswered: list[QuestionGroup]
    topic_weeks: list[tuple[str, list[int]]]  # per topic, its exchanges in each per_week week
    low_confidence: int  # answered below the low-confidence line
    flagged: list[FlaggedQuestion]  # the newest ambiguous or low-confidence answers
    flagged_total: int
    entries: list[EntryFigures]  # every entry answers led with, most often not helpful first
    never_recommended: list[str]  # entries of the current base no exchange recommended
    catalogue: Catalogue

    def title(self, topic_or_entry: str) -> str:
        """The title of a topic or entry of the current base (its id if it has none now)."""
        return self.catalogue.titles.get(topic_or_entry, topic_or_entry)

    @property
    def flagged_rate(self) -> float:
        return self.flagged_total / self.stats.questions if self.stats.questions else 0.0


def text_bar(n: int, top: int, width: int) -> str:
    """`n` of `top` as a bar of block characters, `width` long at `top` (for text surfaces)."""
    return "█" * round(width * n / top) if top > 0 else ""


def weeks_from_first(counts: Mapping[dt.date, int], *, until: dt.datetime) -> list[dt.date]:
    """Every Monday from the first week with exchanges to the week of `until`."""
    if not counts:
        return []
    monday, last = min(counts), monday_of(until)
    out = []
    while monday <= last:
        out.append(monday)
        monday += dt.timedelta(days=7)
    return out


def monday_of(at: dt.datetime | dt.date) -> dt.date:
    day = at.date() if isinstance(at, dt.datetime) else at
    return day - dt.timedelta(days=day.weekday())


def tally_figures(rows: Sequence[TallyRow], *, until: dt.datetime) -> dict[str, object]:
    """The report's counts from the database's tally: weeks, topics per week, surfaces,
    the confidence histogram, and the totals behind the rates."""
    weekly: Counter[dt.date] = Counter()
    topic_week: dict[str, Counter[dt.date]] = defaultdict(Counter)
    surfaces: Counter[str] = Counter()
    histogram = [0] * CONFIDENCE_BINS
    for r in rows:
        weekly[r.week] += r.exchanges
        surfaces[r.surface] += r.exchanges
        if r.topic is not None:
            topic_week[r.topic][r.week] += r.exchanges
        for i, n in enumerate(r.bins):
            histogram[i] += n
    weeks = weeks_from_first(weekly, until=until)
    topics = sorted(topic_week, key=lambda t: (-sum(topic_week[t].values()), t))
    return {
        "per_week": [(w, weekly[w]) for w in weeks],
        "topic_weeks": [(t, [topic_week[t][w] for w in weeks]) for t in topics],
        "per_surface": sorted(surfaces.items(), key=lambda s: (-s[1], s[0])),
        "confidence_histogram": histogram,
        "questions": sum(r.exchanges for r in rows),
        "abstained": sum(r.exchanges for r in rows if r.topic is None),
        "ambiguous": sum(r.ambiguous for r in rows),
        "low_confidence": sum(r.low_confidence for r in rows),
        "flagged": sum(r.flagged for r in rows),
        "top_topics": [(t, sum(topic_week[t].values())) for t in topics],
    }


def entry_figures(led: Mapping[str, int], votes: Iterable[tuple[str, str, int]]
                  ) -> list[EntryFigures]:
    """Per entry: the answers it led (`led`) and the helpful / not-helpful votes on them
    (`votes`: lead entry, kind, count); most often not helpful first."""
    helpful: Counter[str] = Counter()
    unhelpful: Counter[str] = Counter()
    for entry_id, kind, n in votes:
        (helpful if kind == "helpful" else unhelpful)[entry_id] += n
    ids = {i for i in (*led, *helpful, *unhelpful) if i}
    out = [EntryFigures(i, led.get(i, 0), helpful[i], unhelpful[i]) for i in ids]
    return sorted(out, key=lambda e: (-e.not_helpful_rate, -e.not_helpful, -e.led, e.entry_id))


def group_questions(questions: list[str], *,
                    cluster: Callable[[list[str]], list[Cluster]] | None = None) -> list[QuestionGroup]:
    """Group similar questions, largest groups first, each shown by its most central question.

    `cluster` is the grouping to use: `advisor report` passes the gaps inbox's
    (`bot.curation.gaps.grouping`), so the report and `advisor kb gaps` agree; without one,
    TF-IDF cosine on the questions themselves.
    """
    texts = [q.strip() for q in questions if q and q.strip()]
    if not texts:
        return []
    from classifiers.clustering import cluster_texts

    clusters = (cluster or partial(cluster_texts, min_similarity=0.35))(texts)
    return [QuestionGroup(texts[c.representative], c.size,
                          tuple(dict.fromkeys(texts[i] for i in c.members
                                              if i != c.representative))[:3])
            for c in clusters]
