"""The write side's SQL: idempotent inserts of every record kind, purge and erasure.

Every insert ignores conflicts on its unique keys, so writing a record twice (a replayed
spool, a doubled Slack event) stores it once; checklist ticks upsert, the newest winning.
Each function runs inside the caller's session; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update
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


def _keep(row: dict[str, Any], cutoff: dt.datetime, erased: dict[str, dt.datetime]) -> bool:
    when = _when(row)
    if when < cutoff:
        return False
    key = _user_key(row)
    return key is None or key not in erased or when > erased[key]


def _erasures(session: Session, by_kind: dict[str, list[dict[str, Any]]]) -> dict[str, dt.datetime]:
    keys = {k for rows in by_kind.values() for r in rows if (k := _user_key(r))}
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


def forget(session: Session, user_key: str) -> int:
    """Delete every record of one user; returns the number of rows deleted."""
    ex, fb, ci = Exchange.__table__, Feedback.__table__, ChecklistItem.__table__
    theirs = select(ex.c.id).where(ex.c.user_key == user_key)
    n = session.execute(delete(fb).where((fb.c.user_key == user_key) | fb.c.exchange_id.in_(theirs))).rowcount
    n += session.execute(delete(ex).where(ex.c.user_key == user_key)).rowcount
    n += session.execute(delete(ci).where(ci.c.scope == f"user:{user_key}")).rowcount
    rq = ExpertRequest.__table__
    n += session.execute(delete(rq).where(rq.c.user_key == user_key)).rowcount
    session.execute(update(rq).where(rq.c.answered_by == user_key).values(answered_by=None))
    stmt = insert(session, Erasure.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_key"], set_={"erased_at": stmt.excluded.erased_at}
    )
    session.execute(stmt, {"user_key": user_key, "erased_at": utcnow()})
    return n
