"""What `advisor report` shows, and the pure arithmetic behind it (the SQL is in `queries`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from bot.log.records import Stats

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


def group_questions(questions: list[str], *, threshold: float = 0.35) -> list[QuestionGroup]:
    """Group similar questions (TF-IDF cosine similarity), largest groups first.

    Greedy leader clustering: each question joins the first group whose leader it is at
    least `threshold` similar to, else starts a group. Deterministic for a given order.
    """
    texts = [q.strip() for q in questions if q and q.strip()]
    if not texts:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        vectors = TfidfVectorizer(
            sublinear_tf=True, ngram_range=(1, 2), stop_words="english", min_df=1
        ).fit_transform(texts)
    except ValueError:  # only stop words
        return [QuestionGroup(texts[0], len(texts), tuple(texts[1:4]))]
    leaders: list[int] = []
    members: dict[int, list[int]] = {}
    for i in range(len(texts)):
        if leaders:
            sims = (vectors[leaders] @ vectors[i].T).toarray().ravel()
            best = int(sims.argmax())
            if sims[best] >= threshold:
                members[leaders[best]].append(i)
                continue
        leaders.append(i)
        members[i] = [i]
    groups = [
        QuestionGroup(texts[lead], len(idx), tuple(dict.fromkeys(texts[j] for j in idx[1:]))[:3])
        for lead, idx in members.items()
    ]
    return sorted(groups, key=lambda g: -g.count)
