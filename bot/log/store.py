"""The write side's SQL: idempotent inserts of every record kind, purge and erasure.

Every insert ignores conflicts on its unique keys, so writing a record twice (a replayed
spool, a doubled Slack event) stores it once; checklist ticks upsert, the newest winning.
Each function runs inside the caller's session; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Table, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.log.models import (
    TABLES,
    ChecklistItem,
    Erasure,
    Exchange,
    ExpertRequest,
    Feedback,
    ProcessedEvent,
)
from bot.log.spool import Record

if TYPE_CHECKING:
    from sqlmodel import Session


def utcnow() -> dt.datetime:
    """Aware UTC, the log's one notion of time."""
    return dt.datetime.now(dt.UTC)


def insert(session: Session, table: Any) -> Any:
    """An INSERT in the session's dialect, so it can ignore or resolve conflicts."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def write(session: Session, records: Iterable[Record], *, retention_days: int) -> int:
    """Insert records (ignoring ones already there, erased, or past retention); returns rows."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind, row in records:
        by_kind[kind].append(row)
    # Even a checklist tick (kept by purge) is dropped here when it waited in a spool past
    # retention: erasure markers are purged at that age, so only the cutoff keeps it forgotten.
    cutoff = utcnow() - dt.timedelta(days=retention_days)
    erased = _erasures(session, by_kind)
    written = 0
    for kind in ("exchange", "feedback", "event", "checklist"):
        rows = [r for r in by_kind.get(kind, ()) if _keep(r, cutoff, erased)]
        if not rows:
            continue
        stmt = insert(session, TABLES[kind])
        if kind == "checklist":
            stmt = stmt.on_conflict_do_update(
                index_elements=["scope", "checklist_id", "item"],
                set_={"done": stmt.excluded.done, "updated_at": stmt.excluded.updated_at},
                where=ChecklistItem.__table__.c.updated_at <= stmt.excluded.updated_at,
            )
        else:
            stmt = stmt.on_conflict_do_nothing()
        session.execute(stmt, rows)
        written += len(rows)
    return written


def _when(row: dict[str, Any]) -> dt.datetime:
    return row.get("created_at") or row.get("updated_at") or row["seen_at"]


def _user_key(row: dict[str, Any]) -> str | None:
    scope = row.get("scope")
    if scope is not None:
        return scope.removeprefix("user:") if scope.startswith("user:") else None
    return row.get("user_key")


def _markers(row: dict[str, Any]) -> list[str]:
    """The erasure markers that would drop this row: its user's, and its workspace's."""
    team = row.get("team_id")
    return [m for m in (_user_key(row), f"{TEAM_MARKER}{team}" if team else None) if m]


def _keep(row: dict[str, Any], cutoff: dt.datetime, erased: dict[str, dt.datetime]) -> bool:
    when = _when(row)
    if when < cutoff:
        return False
    return all(m not in erased or when > erased[m] for m in _markers(row))


def _erasures(session: Session, by_kind: dict[str, list[dict[str, Any]]]) -> dict[str, dt.datetime]:
    keys = {m for rows in by_kind.values() for r in rows for m in _markers(r)}
    if not keys:
        return {}
    table = Erasure.__table__
    found = session.execute(select(table.c.user_key, table.c.erased_at).where(table.c.user_key.in_(keys)))
    return dict(found.all())


def purge(session: Session, cutoff: dt.datetime) -> int:
    """Delete the log older than `cutoff` (expert requests too); returns the number of
    exchanges deleted.

    Checklist progress is not a log but the users' working state: it stays until the user
    unticks it or `forget` removes it.
    """
    ex, fb = Exchange.__table__, Feedback.__table__
    old = select(ex.c.id).where(ex.c.created_at < cutoff)
    session.execute(delete(fb).where((fb.c.created_at < cutoff) | fb.c.exchange_id.in_(old)))
    n = session.execute(delete(ex).where(ex.c.created_at < cutoff)).rowcount
    rq = ExpertRequest.__table__
    session.execute(delete(rq).where(rq.c.created_at < cutoff))
    pe, er = ProcessedEvent.__table__, Erasure.__table__
    session.execute(delete(pe).where(pe.c.seen_at < cutoff))
    session.execute(delete(er).where(er.c.erased_at < cutoff))
    return n


TEAM_MARKER = "team:"
"""The erasure marker of a forgotten workspace is `team:<team id>` (user keys are hex HMACs)."""


@dataclass(frozen=True)
class Erased:
    """Whose records one `forget` erases: the exchanges it selects, the feedback, expert
    requests and checklist ticks that go with them, and the erasure marker it leaves."""

    marker: str
    exchanges: ColumnElement[bool]
    feedback: ColumnElement[bool] | None = None  # beyond the feedback on those exchanges
    requests: ColumnElement[bool] | None = None  # beyond the requests made from those exchanges
    checklists: ColumnElement[bool] | None = None

    def tables(self) -> dict[str, tuple[Table, ColumnElement[bool]]]:
        """Each table's rows to erase, in the order they must go (exchanges last: the others
        are found through them)."""
        ex, fb, rq, ci = (Exchange.__table__, Feedback.__table__, ExpertRequest.__table__,
                          ChecklistItem.__table__)
        of_theirs = select(ex.c.id).where(self.exchanges)
        found = {
            "feedback": (fb, _either(fb.c.exchange_id.in_(of_theirs), self.feedback)),
            "expert_request": (rq, _either(rq.c.exchange_id.in_(of_theirs), self.requests)),
        }
        if self.checklists is not None:
            found["checklist_item"] = (ci, self.checklists)
        return found | {"exchange": (ex, self.exchanges)}


def of_user(user_key: str) -> Erased:
    """Everything of one user: what they asked, rated, ticked or handed to a person."""
    ex, fb, rq, ci = (Exchange.__table__, Feedback.__table__, ExpertRequest.__table__,
                      ChecklistItem.__table__)
    return Erased(marker=user_key, exchanges=ex.c.user_key == user_key,
                  feedback=fb.c.user_key == user_key, requests=rq.c.user_key == user_key,
                  checklists=ci.c.scope == f"user:{user_key}")


def of_team(team_id: str) -> Erased:
    """Everything the log holds of one workspace (or organisation): its exchanges, with their
    feedback, and its expert requests (those made from its exchanges, and those that record
    it as their workspace or organisation). Checklist ticks are kept per user or channel, not
    per workspace: they stay."""
    rq = ExpertRequest.__table__
    return Erased(marker=f"{TEAM_MARKER}{team_id}", exchanges=Exchange.__table__.c.team_id == team_id,
                  requests=or_(rq.c.team_id == team_id, rq.c.enterprise_id == team_id))


def count(session: Session, erased: Erased) -> dict[str, int]:
    """How many rows `forget` would delete from each table."""
    return _in_order({name: int(session.execute(select(func.count()).select_from(table)
                                                .where(where)).scalar_one())
                      for name, (table, where) in erased.tables().items()})


def forget(session: Session, erased: Erased) -> dict[str, int]:
    """Delete `erased`'s rows and mark it erased, so records of it made before now and still
    in some spool are never written; returns the rows deleted from each table."""
    removed = {name: session.execute(delete(table).where(where)).rowcount
               for name, (table, where) in erased.tables().items()}
    stmt = insert(session, Erasure.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_key"], set_={"erased_at": stmt.excluded.erased_at}
    )
    session.execute(stmt, {"user_key": erased.marker, "erased_at": utcnow()})
    return _in_order(removed)


def forget_user(session: Session, user_key: str) -> int:
    """Delete every record of one user, and their name as an expert; returns the rows deleted."""
    removed = forget(session, of_user(user_key))
    rq = ExpertRequest.__table__
    session.execute(update(rq).where(rq.c.answered_by == user_key).values(answered_by=None))
    return sum(removed.values())


def _in_order(rows: dict[str, int]) -> dict[str, int]:
    """Per-table figures as they are shown: the exchanges first, then what went with them."""
    return {name: rows[name] for name in ("exchange", "feedback", "expert_request",
                                          "checklist_item") if name in rows}


def _either(first: ColumnElement[bool], second: ColumnElement[bool] | None) -> ColumnElement[bool]:
    return first if second is None else or_(first, second)
