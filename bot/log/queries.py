"""The read side of the conversation log: every query the App Home, reports, export, the
gaps inbox and lint make, each in one short session.

Readers outside `bot.log` come here instead of querying the log's tables themselves.
Explicit reads (reports, export, gaps, lint, the admins' weekly figures) raise `LogError`
when the database is unreachable; the user's recent questions are simply empty then.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy import case, func, or_, select

from bot.log import export as exporter
from bot.log import reports
from bot.log.database import LogDatabase
from bot.log.models import Exchange, Feedback
from bot.log.pseudonym import Pseudonymizer
from bot.log.records import Stats
from bot.log.store import utcnow

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlmodel import Session

    from classifiers.clustering import Cluster

MAX_UNANSWERED = 2000


@dataclass(frozen=True)
class FlaggedExchange:
    """An exchange that may be a gap in the knowledge base, and what users said about it."""

    exchange: Exchange
    not_helpful: bool
    chosen_topic: str | None  # the last topic a user chose for it, if any


class LogQueries:
    """Reads the log; `flush` (the exchange log's) makes records just handed off visible."""

    def __init__(self, database: LogDatabase, pseudonymizer: Pseudonymizer,
                 flush: Callable[[float], bool]):
        self._database = database
        self._pseudo = pseudonymizer
        self._flush = flush

    # -- the App Home -----------------------------------------------------------------------

    def recent_questions(self, *, user_id: str, limit: int = 5) -> list[str]:
        """The user's latest questions, redacted, newest first ([] while the database is down)."""
        key = self._pseudo.key(user_id)
        assert key is not None
        self._flush(2.0)
        ex = Exchange.__table__
        query = (select(ex.c.question).where(ex.c.user_key == key)
                 .order_by(ex.c.created_at.desc()).limit(limit))
        return self._database.attempt(lambda session: list(session.execute(query).scalars())) or []

    def weekly_stats(self, *, days: int = 7, team_id: str | None = None) -> Stats:
        """Figures for the last `days` days (of one workspace's exchanges, with `team_id`)."""
        self._flush(5.0)
        since = utcnow() - dt.timedelta(days)
        return self._database.run(lambda session: _stats(session, since=since, team_id=team_id),
                                  retry=True)

    # -- admins -----------------------------------------------------------------------------

    def report(self, *, since: dt.datetime, until: dt.datetime, max_groups: int = 10,
               cluster: Callable[[list[str]], list[Cluster]] | None = None,
               team_id: str | None = None) -> reports.Report:
        """The figures of one period, read in one session; unanswered questions grouped by
        `cluster` (see `reports.group_questions`); one workspace's, with `team_id`."""
        ex = Exchange.__table__
        window = (ex.c.created_at >= since, ex.c.created_at < until, *_of_team(team_id))

        def read(session: Session) -> tuple[Stats, list[Any], list[Any], list[str]]:
            rows = session.execute(select(ex.c.created_at, ex.c.confidence).where(*window)).all()
            surfaces = session.execute(
                select(ex.c.surface, func.count()).where(*window).group_by(ex.c.surface)
                .order_by(func.count().desc())
            ).all()
            unanswered = session.execute(
                select(ex.c.question).where(*window, ex.c.abstained).order_by(ex.c.created_at.desc())
                .limit(MAX_UNANSWERED)
            ).scalars().all()
            return (_stats(session, since=since, until=until, team_id=team_id), rows, surfaces,
                    list(unanswered))

        stats, rows, surfaces, unanswered = self._database.run(read, retry=True)
        return reports.Report(
            stats=stats,
            until=until,
            per_week=reports.per_week((created for created, _ in rows), since=since, until=until),
            per_surface=[(s, int(n)) for s, n in surfaces],
            confidence_histogram=reports.confidence_histogram(c for _, c in rows),
            unanswered=reports.group_questions(unanswered, cluster=cluster)[:max_groups],
        )

    def export(self, out: TextIO, *, fmt: exporter.Format, since: dt.datetime | None = None) -> int:
        """Stream exchanges, oldest first, with their feedback to `out`; returns how many."""
        return self._database.run(
            lambda session: exporter.write(_export_rows(session, since), out, fmt=fmt), retry=True
        )

    # -- curation ---------------------------------------------------------------------------

    def flagged_exchanges(
        self,
        *,
        since: dt.datetime,
        low_confidence: float,
        limit: int,
        excluding: Select[Any] | None = None,
        team_id: str | None = None,
    ) -> list[FlaggedExchange]:
        """Exchanges since `since` that abstained, were unsure, or were marked not helpful or
        re-routed, newest first; `excluding` selects exchange ids to leave out; `team_id`
        keeps one workspace's."""
        ex, fb = Exchange, Feedback
        flagged = select(fb.exchange_id).where(fb.kind.in_(("not_helpful", "chose_topic")))
        conditions = [ex.created_at >= since, *_of_team(team_id),
                      or_(ex.abstained, ex.confidence < low_confidence, ex.id.in_(flagged))]
        if excluding is not None:
            conditions.append(ex.id.not_in(excluding))
        query = select(ex).where(*conditions).order_by(ex.created_at.desc(), ex.id).limit(limit)

        def read(session: Session) -> tuple[list[Exchange], list[Any]]:
            rows = list(session.execute(query).scalars().all())
            ids = [r.id for r in rows]
            feedback = session.execute(
                select(fb.exchange_id, fb.kind, fb.value)
                .where(fb.exchange_id.in_(ids), fb.kind.in_(("not_helpful", "chose_topic")))
                .order_by(fb.created_at)
            ).all() if ids else []
            return rows, list(feedback)

        rows, feedback = self._database.run(read, retry=True)
        not_helpful = {e for e, kind, _ in feedback if kind == "not_helpful"}
        chosen = {e: v for e, kind, v in feedback if kind == "chose_topic" and v}
        return [FlaggedExchange(r, r.id in not_helpful, chosen.get(r.id)) for r in rows]

    def recommended_entries(self, *, since: dt.datetime) -> tuple[set[str], int]:
        """(ids of entries recommended in some exchange since `since`, exchanges looked at)."""

        def read(session: Session) -> tuple[set[str], int]:
            seen: set[str] = set()
            n = 0
            query = select(Exchange.entry_ids).where(Exchange.created_at >= since)
            for (entry_ids,) in session.execute(query):
                n += 1
                seen.update(i for i in entry_ids.split(",") if i)
            return seen, n

        return self._database.run(read, retry=True)


def _of_team(team_id: str | None) -> tuple[Any, ...]:
    """The condition keeping one workspace's exchanges (none: every workspace's)."""
    return () if team_id is None else (Exchange.__table__.c.team_id == team_id,)


def _stats(session: Session, *, since: dt.datetime, until: dt.datetime | None = None,
           team_id: str | None = None) -> Stats:
    ex, fb = Exchange.__table__, Feedback.__table__
    window = ([ex.c.created_at >= since] + ([ex.c.created_at < until] if until else [])
              + list(_of_team(team_id)))
    total, abstained, ambiguous = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((ex.c.abstained, 1), else_=0)), 0),
            func.coalesce(func.sum(case((ex.c.ambiguous, 1), else_=0)), 0),
        ).where(*window)
    ).one()
    topics = session.execute(
        select(ex.c.topic, func.count().label("n"))
        .where(*window, ex.c.topic.is_not(None))
        .group_by(ex.c.topic)
        .order_by(func.count().desc(), ex.c.topic)
    )
    votes = dict(
        session.execute(
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


def _export_rows(session: Session, since: dt.datetime | None) -> Iterator[dict[str, Any]]:
    """Exchanges oldest first, each with `feedback`: its kinds (and chosen topics), `;`-joined."""
    ex, fb = Exchange.__table__, Feedback.__table__
    feedback: dict[str, list[str]] = defaultdict(list)
    query = select(fb.c.exchange_id, fb.c.kind, fb.c.value).order_by(fb.c.created_at)
    if since is not None:
        query = query.where(fb.c.created_at >= since)
    for exchange_id, kind, value in session.execute(query):
        feedback[exchange_id].append(f"{kind}={value}" if value else kind)
    query = select(ex).order_by(ex.c.created_at, ex.c.id)
    if since is not None:
        query = query.where(ex.c.created_at >= since)
    for row in session.execute(query, execution_options={"yield_per": 1000}).mappings():
        out = dict(row)
        out["created_at"] = row["created_at"].isoformat()
        out["feedback"] = ";".join(feedback.get(row["id"], ()))
        yield out
