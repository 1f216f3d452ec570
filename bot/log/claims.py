"""Event claims: each Slack event (or reminder) is handled by one worker, once.

A claim is a unique row in the log database, so it holds across processes and servers.
While the database is down, a claim file in the data folder decides (`bot.log.local_claims`:
shared by the processes of this host, not by other servers), or, when that folder cannot be
written either, an in-process set; such a claim is `Claim.LOCAL`, so callers that can ask
something shared by every server (the Slack thread) do so. Claims made during an outage are
spooled, to count in the database once it is back; until they are replayed, the claim files
keep deciding. Claiming never raises: logging never stops an answer.
"""

from __future__ import annotations

import enum
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from bot.log import store
from bot.log.database import LogDatabase
from bot.log.delivery import Delivery
from bot.log.local_claims import LocalClaims
from bot.log.models import ProcessedEvent

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger(__name__)
MAX_REMEMBERED = 50_000


class Claim(enum.Enum):
    NEW = "new"  # first claim anywhere (the database says so)
    SEEN = "seen"  # claimed before: skip
    LOCAL = "local"  # first on this host (or in this process); the database could not say


class EventClaims:
    """`claim(key)` is True for the first caller in any process, False for every later one."""

    def __init__(self, database: LogDatabase, delivery: Delivery, directory: Path):
        self._database = database
        self._delivery = delivery
        self._local = LocalClaims(directory)
        self._claimed: set[str] = set()
        self._lock = threading.Lock()

    def claim(self, key: str) -> bool:
        """True the first time `key` is seen (by any process while the database is up)."""
        return self.decide(key) is not Claim.SEEN

    def decide(self, key: str) -> Claim:
        """Whether `key` is new, and how sure that is (`Claim.LOCAL`: only on this host)."""
        with self._lock:
            if key in self._claimed:
                return Claim.SEEN
        try:
            inserted = self._database.attempt(lambda session: _insert_claim(session, key), write=True)
        except Exception:
            log.exception("the log database failed to claim %s; deciding on this host", key)
            self._delivery.health.failed("claim_database", "the database refused a claim")
            inserted = None
        if inserted is None:
            verdict = self._outage_claim(key)
        elif inserted and self._local.holds(key):
            verdict = Claim.SEEN  # claimed here during an outage, not replayed yet
        else:
            verdict = Claim.NEW if inserted else Claim.SEEN
        with self._lock:
            self._claimed.add(key)
            if len(self._claimed) > MAX_REMEMBERED:
                self._claimed.clear()
        return verdict

    def _outage_claim(self, key: str) -> Claim:
        try:
            first = self._local.claim(key)
            self._delivery.health.recovered("claim_file")
        except OSError as error:
            log.error("cannot write claim files in %s (%s); deciding in this process",
                      self._local.directory, error)
            self._delivery.health.failed("claim_file", error)
            with self._lock:
                first = key not in self._claimed
                self._claimed.add(key)
        if first:
            self._delivery.spool([("event", {"key": key, "seen_at": store.utcnow()})])
            return Claim.LOCAL
        return Claim.SEEN


def _insert_claim(session: Session, key: str) -> bool:
    """Insert the key; True when this call inserted it (RETURNING: rowcount is unreliable)."""
    table = ProcessedEvent.__table__
    stmt = store.insert(session, table).on_conflict_do_nothing().returning(table.c.key)
    return session.execute(stmt, {"key": key, "seen_at": store.utcnow()}).first() is not None
