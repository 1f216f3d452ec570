"""Checklist progress: which items are ticked, per user or per channel.

Ticks are the users' working state, not a log: the retention purge leaves them alone; they
stay until unticked, or until `advisor log forget` erases the user. Scopes are `user:<Slack
id>` (stored as `user:<pseudonymous key>`) or `channel:<id>`. While the database is down,
ticks are spooled and an in-process copy answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from bot.log import store
from bot.log.database import LogDatabase
from bot.log.delivery import Delivery
from bot.log.models import ChecklistItem
from bot.log.pseudonym import Pseudonymizer

if TYPE_CHECKING:
    from sqlmodel import Session


class ChecklistProgress:
    """Ticks and unticks checklist items, and reads back what is done."""

    def __init__(self, database: LogDatabase, delivery: Delivery, pseudonymizer: Pseudonymizer,
                 *, retention_days: int):
        self._database = database
        self._delivery = delivery
        self._pseudo = pseudonymizer
        self._retention_days = retention_days
        self._cache: dict[tuple[str, str], frozenset[int]] = {}  # (stored scope, checklist id)

    def done(self, *, scope: str, checklist_id: str) -> frozenset[int]:
        """The done items of a checklist in a scope: `user:<slack id>` or `channel:<id>`."""
        stored = self._pseudo.scope(scope)
        found = self._database.attempt(lambda session: _done(session, stored, checklist_id))
        if found is None:
            return self._cache.get((stored, checklist_id), frozenset())
        self._cache[(stored, checklist_id)] = found
        return found

    def set_item(self, *, scope: str, checklist_id: str, item: int, done: bool) -> frozenset[int]:
        """Tick or untick one item; returns the checklist's done items afterwards."""
        stored = self._pseudo.scope(scope)
        row = {
            "scope": stored,
            "checklist_id": checklist_id,
            "item": int(item),
            "done": bool(done),
            "updated_at": store.utcnow(),
        }

        def tick(session: Session) -> frozenset[int]:
            store.write(session, [("checklist", row)], retention_days=self._retention_days)
            return _done(session, stored, checklist_id)

        state = self._database.attempt(tick, write=True)
        if state is None:
            self._delivery.spool([("checklist", row)])
            cached = set(self._cache.get((stored, checklist_id), frozenset()))
            (cached.add if done else cached.discard)(int(item))
            state = frozenset(cached)
        self._cache[(stored, checklist_id)] = state
        return state

    def in_progress(self, *, user_id: str) -> list[tuple[str, int]]:
        """(checklist id, items done) for the user's own checklists, most recent first."""
        stored = self._pseudo.scope(f"user:{user_id}")
        found = self._database.attempt(lambda session: _in_progress(session, stored))
        if found is None:
            return [(cid, len(s)) for (sc, cid), s in self._cache.items() if sc == stored and s]
        return found

    def forget_cached(self, user_key: str) -> None:
        """Drop the in-process copy of one user's ticks (their rows go with `store.forget_user`)."""
        for cached in [k for k in self._cache if k[0] == f"user:{user_key}"]:
            self._cache.pop(cached, None)


def _done(session: Session, scope: str, checklist_id: str) -> frozenset[int]:
    t = ChecklistItem.__table__
    rows = session.execute(
        select(t.c.item).where(t.c.scope == scope, t.c.checklist_id == checklist_id, t.c.done)
    )
    return frozenset(rows.scalars())


def _in_progress(session: Session, scope: str) -> list[tuple[str, int]]:
    t = ChecklistItem.__table__
    rows = session.execute(
        select(t.c.checklist_id, func.count())
        .where(t.c.scope == scope, t.c.done)
        .group_by(t.c.checklist_id)
        .order_by(func.max(t.c.updated_at).desc())
    )
    return [(cid, int(n)) for cid, n in rows]
