"""Event claims: each Slack event (or reminder) is handled by one worker, once.

A claim is a unique row in the log database, so it holds across processes. While the
database is down, an in-process set decides and the claim is spooled, to count once it is back.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from bot.log import store
from bot.log.database import LogDatabase
from bot.log.delivery import Delivery
from bot.log.models import ProcessedEvent

if TYPE_CHECKING:
    from sqlmodel import Session

MAX_REMEMBERED = 50_000


class EventClaims:
    """`claim(key)` is True for the first caller in any process, False for every later one."""

    def __init__(self, database: LogDatabase, delivery: Delivery):
        self._database = database
        self._delivery = delivery
        self._claimed: set[str] = set()
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        """True the first time `key` is seen by any process."""
        with self._lock:
            if key in self._claimed:
                return False
        result = self._database.attempt(lambda session: _insert_claim(session, key), write=True)
        with self._lock:
            if result is None:
                if key in self._claimed:
                    return False
                self._delivery.spool([("event", {"key": key, "seen_at": store.utcnow()})])
                result = True
            self._claimed.add(key)
            if len(self._claimed) > MAX_REMEMBERED:
                self._claimed.clear()
        return result


def _insert_claim(session: Session, key: str) -> bool:
    """Insert the key; True when this call inserted it (RETURNING: rowcount is unreliable)."""
    table = ProcessedEvent.__table__
    stmt = store.insert(session, table).on_conflict_do_nothing().returning(table.c.key)
    return session.execute(stmt, {"key": key, "seen_at": store.utcnow()}).first() is not None

