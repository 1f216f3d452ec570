"""What `advisor report` shows, and the pure arithmetic behind it (the SQL is in `queries`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from bot.log.records import Stats

if TYPE_CHECKING:
    from classifiers.clustering import Cluster

CONFIDENCE_BINS = 10


@dataclass(frozen=True)
class QuestionGroup:
    """Similar unanswered questions: one representative, how many, and a few examples."""

    example: str
    count: int
    others: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    """Everything `advisor report` prints or draws."""

    stats: Stats
    until: dt.datetime
    per_week: list[tuple[dt.date, int]]  # Monday of each week, exchanges
    per_surface: list[tuple[str, int]]
    confidence_histogram: list[int]  # CONFIDENCE_BINS counts over [0, 1]
    unanswered: list[QuestionGroup]


def per_week(times: Iterable[dt.datetime], *, since: dt.datetime,
             until: dt.datetime) -> list[tuple[dt.date, int]]:
    """(Monday, exchanges) for every week of the period, empty weeks included."""
    weeks: dict[dt.date, int] = {}
    monday = (since - dt.timedelta(days=since.weekday())).date()
    while monday < until.date() + dt.timedelta(days=1):
        weeks[monday] = 0
        monday += dt.timedelta(days=7)
    for created in times:
        week = (created - dt.timedelta(days=created.weekday())).date()
        weeks[week] = weeks.get(week, 0) + 1
    return sorted(weeks.items())


def confidence_histogram(confidences: Iterable[float]) -> list[int]:
    """Counts in CONFIDENCE_BINS equal bins over [0, 1] (1.0 goes in the last)."""
    histogram = [0] * CONFIDENCE_BINS
    for confidence in confidences:
        histogram[min(CONFIDENCE_BINS - 1, max(0, int(confidence * CONFIDENCE_BINS)))] += 1
    return histogram


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
