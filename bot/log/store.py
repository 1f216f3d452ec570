"""SQL for the conversation log: idempotent inserts, checklist upserts, purge and erasure.

Every insert ignores conflicts on its unique keys, so writing a record twice (a replayed
spool, a doubled Slack event) stores it once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from bot.log.models import TABLES, ChecklistItem, Erasure, Exchange, Feedback, ProcessedEvent
from bot.log.spool import Record


def utcnow() -> dt.datetime:
    """Aware UTC, the log's one notion of time."""
    return dt.datetime.now(dt.UTC)


def _insert(conn: Connection, table: Any) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def write(conn: Connection, records: Iterable[Record], *, retention_days: int) -> int:
    """Insert records (ignoring ones already there, erased, or past retention); returns rows."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for kind, row in records:
        by_kind[kind].append(row)
    # Even a checklist tick (kept by purge) is dropped here when it waited in a spool past
    # retention: erasure markers are purged at that age, so only the cutoff keeps it forgotten.
    cutoff = utcnow() - dt.timedelta(days=retention_days)
    erased = _erasures(conn, by_kind)
    written = 0
    for kind in ("exchange", "feedback", "event", "checklist"):
        rows = [r for r in by_kind.get(kind, ()) if _keep(r, cutoff, erased)]
        if not rows:
            continue
        stmt = _insert(conn, TABLES[kind])
        if kind == "checklist":
            stmt = stmt.on_conflict_do_update(
                index_elements=["scope", "checklist_id", "item"],
                set_={"done": stmt.excluded.done, "updated_at": stmt.excluded.updated_at},
                where=ChecklistItem.__table__.c.updated_at <= stmt.excluded.updated_at,
            )
        else:
            stmt = stmt.on_conflict_do_nothing()
        conn.execute(stmt, rows)
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


def _erasures(conn: Connection, by_kind: dict[str, list[dict[str, Any]]]) -> dict[str, dt.datetime]:
    keys = {k for rows in by_kind.values() for r in rows if (k := _user_key(r))}
    if not keys:
        return {}
    table = Erasure.__table__
    found = conn.execute(select(table.c.user_key, table.c.erased_at).where(table.c.user_key.in_(keys)))
    return dict(found.all())


def claim(conn: Connection, key: str) -> bool:
    """Insert the key; True when this call inserted it (RETURNING: rowcount is unreliable)."""
    table = ProcessedEvent.__table__
    stmt = _insert(conn, table).on_conflict_do_nothing().returning(table.c.key)
    return conn.execute(stmt, {"key": key, "seen_at": utcnow()}).first() is not None


def checklist_done(conn: Connection, scope: str, checklist_id: str) -> frozenset[int]:
    t = ChecklistItem.__table__
    rows = conn.execute(
        select(t.c.item).where(t.c.scope == scope, t.c.checklist_id == checklist_id, t.c.done)
    )
    return frozenset(rows.scalars())


def open_checklists(conn: Connection, scope: str) -> list[tuple[str, int]]:
    t = ChecklistItem.__table__
    rows = conn.execute(
        select(t.c.checklist_id, func.count())
        .where(t.c.scope == scope, t.c.done)
        .group_by(t.c.checklist_id)
        .order_by(func.max(t.c.updated_at).desc())
    )
    return [(cid, int(n)) for cid, n in rows]


def recent_questions(conn: Connection, user_key: str, limit: int) -> list[str]:
    t = Exchange.__table__
    rows = conn.execute(
        select(t.c.question).where(t.c.user_key == user_key).order_by(t.c.created_at.desc()).limit(limit)
    )
    return list(rows.scalars())


def purge(conn: Connection, cutoff: dt.datetime) -> int:
    """Delete the log older than `cutoff`; returns the number of exchanges deleted.

    Checklist progress is not a log but the users' working state: it stays until the user
    unticks it or `forget` removes it.
    """
    ex, fb = Exchange.__table__, Feedback.__table__
    old = select(ex.c.id).where(ex.c.created_at < cutoff)
    conn.execute(delete(fb).where((fb.c.created_at < cutoff) | fb.c.exchange_id.in_(old)))
    n = conn.execute(delete(ex).where(ex.c.created_at < cutoff)).rowcount
    pe, er = ProcessedEvent.__table__, Erasure.__table__
    conn.execute(delete(pe).where(pe.c.seen_at < cutoff))
    conn.execute(delete(er).where(er.c.erased_at < cutoff))
    return n


def forget(conn: Connection, user_key: str) -> int:
    """Delete every record of one user; returns the number of rows deleted."""
    ex, fb, ci = Exchange.__table__, Feedback.__table__, ChecklistItem.__table__
    theirs = select(ex.c.id).where(ex.c.user_key == user_key)
    n = conn.execute(delete(fb).where((fb.c.user_key == user_key) | fb.c.exchange_id.in_(theirs))).rowcount
    n += conn.execute(delete(ex).where(ex.c.user_key == user_key)).rowcount
    n += conn.execute(delete(ci).where(ci.c.scope == f"user:{user_key}")).rowcount
    stmt = _insert(conn, Erasure.__table__)
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_key"], set_={"erased_at": stmt.excluded.erased_at}
    )
    conn.execute(stmt, {"user_key": user_key, "erased_at": utcnow()})
    return n
