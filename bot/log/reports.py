"""Figures for admins: the period's counts and rates, and unanswered questions grouped."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, case, func, select

from bot.log.models import Exchange, Feedback
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


def stats(conn: Connection, *, since: dt.datetime, until: dt.datetime | None = None) -> Stats:
    ex, fb = Exchange.__table__, Feedback.__table__
    window = [ex.c.created_at >= since] + ([ex.c.created_at < until] if until else [])
    total, abstained, ambiguous = conn.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((ex.c.abstained, 1), else_=0)), 0),
            func.coalesce(func.sum(case((ex.c.ambiguous, 1), else_=0)), 0),
        ).where(*window)
    ).one()
    topics = conn.execute(
        select(ex.c.topic, func.count().label("n"))
        .where(*window, ex.c.topic.is_not(None))
        .group_by(ex.c.topic)
        .order_by(func.count().desc(), ex.c.topic)
    )
    votes = dict(
        conn.execute(
            select(fb.c.kind, func.count())
            .join(ex, ex.c.id == fb.c.exchange_id)
            .where(*window, fb.c.kind.in_(["helpful", "not_helpful"]))
            .group_by(fb.c.kind)
        ).all()
    )
    return Stats(
        since=since,
        questions=int(total),
        top_topics=[(t, int(n)) for t, n in topics],
        abstention_rate=int(abstained) / total if total else 0.0,
        ambiguous_rate=int(ambiguous) / total if total else 0.0,
        helpful=int(votes.get("helpful", 0)),
        not_helpful=int(votes.get("not_helpful", 0)),
    )


def build_report(conn: Connection, *, since: dt.datetime, until: dt.datetime, max_groups: int = 10) -> Report:
    """The figures of one period, read in one connection."""
    ex = Exchange.__table__
    window = (ex.c.created_at >= since, ex.c.created_at < until)
    rows = conn.execute(select(ex.c.created_at, ex.c.confidence).where(*window)).all()
    weeks: dict[dt.date, int] = {}
    monday = (since - dt.timedelta(days=since.weekday())).date()
    while monday < until.date() + dt.timedelta(days=1):
        weeks[monday] = 0
        monday += dt.timedelta(days=7)
    histogram = [0] * CONFIDENCE_BINS
    for created, confidence in rows:
        week = (created - dt.timedelta(days=created.weekday())).date()
        weeks[week] = weeks.get(week, 0) + 1
        histogram[min(CONFIDENCE_BINS - 1, max(0, int(confidence * CONFIDENCE_BINS)))] += 1
    surfaces = conn.execute(
        select(ex.c.surface, func.count()).where(*window).group_by(ex.c.surface).order_by(func.count().desc())
    )
    unanswered = (
        conn.execute(
            select(ex.c.question).where(*window, ex.c.abstained).order_by(ex.c.created_at.desc()).limit(2000)
        )
        .scalars()
        .all()
    )
    return Report(
        stats=stats(conn, since=since, until=until),
        until=until,
        per_week=sorted(weeks.items()),
        per_surface=[(s, int(n)) for s, n in surfaces],
        confidence_histogram=histogram,
        unanswered=group_questions(list(unanswered))[:max_groups],
    )


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
