"""Records on their way to the database: written, or spooled while it is down, then replayed.

Every store's writes go through here, so there is one rule for an outage: records go to the
append-only spool (`bot.log.spool`) and are replayed, exactly once, when the database is back.
A record the database refuses for another reason is kept aside in `spool/rejected/`.
When the spool cannot be written either (disk full, folder not writable), records wait in
memory (up to `MAX_HELD`, the oldest dropped beyond) and are tried again on every delivery
and maintenance round; every such failure is logged and counted in `LogHealth`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.log import store
from bot.log.database import DatabaseDown, LogDatabase
from bot.log.db import LogError
from bot.log.health import LogHealth
from bot.log.spool import Record, Spool

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger(__name__)

MAX_HELD = 50_000
"""Records kept in memory while neither the database nor the spool takes them."""


class Delivery:
    """Writes records to the log database, or to the spool; never raises for an outage."""

    def __init__(self, database: LogDatabase, spool: Spool, *, retention_days: int,
                 health: LogHealth | None = None):
        self._database = database
        self._spool = spool
        self._retention_days = retention_days
        self.health = health or LogHealth()
        self._held: list[Record] = []
        self._held_lock = threading.Lock()
        self._pending = _pending(spool)

    @property
    def pending(self) -> bool:
        """True when records of this process (or another) wait in the spool."""
        return self._pending

    @property
    def held(self) -> int:
        """How many records wait in memory because the spool could not be written."""
        return len(self._held)

    def deliver(self, records: list[Record]) -> None:
        """Write records (after what waits in the spool or in memory), or spool them."""
        records = self._take_held() + records
        if not records:
            return
        try:
            self._deliver(records)
        finally:
            self.health.held = len(self._held)

    def _deliver(self, records: list[Record]) -> None:
        if self._pending:
            self.try_replay()
        if self._pending or not self._database.up:
            self.spool(records)
            return
        try:
            self._database.run(self._writing(records), write=True)
        except DatabaseDown:
            self.spool(records)
        except Exception:
            log.exception("the log database refused a batch; writing it row by row")
            self._isolate(records)

    def spool(self, records: list[Record]) -> bool:
        """Keep records for a later replay: in the spool, or in memory if it cannot be written.

        Never raises; False when the records only reached memory.
        """
        try:
            self._spool.append(records)
        except OSError as error:
            self._hold(records, error)
            return False
        self.health.recovered("spool_write")
        self._pending = True
        return True

    def note_spooled(self) -> None:
        """Something else put records in the spool (recovered journals): replay them."""
        self._pending = True

    def _hold(self, records: list[Record], error: OSError) -> None:
        with self._held_lock:
            self._held.extend(records)
            dropped = max(0, len(self._held) - MAX_HELD)
            del self._held[:dropped]
            self.health.held = len(self._held)
        log.error("cannot write the conversation-log spool in %s (%s): %d records kept in "
                  "memory until the database or the spool takes them", self._spool.directory,
                  error, len(records))
        self.health.failed("spool_write", error)
        if dropped:
            log.error("dropped the %d oldest conversation-log records kept in memory", dropped)
            self.health.failed("records_lost", f"more than {MAX_HELD} records held", count=dropped)

    def _take_held(self) -> list[Record]:
        if not self._held:
            return []
        with self._held_lock:  # health.held keeps counting them until they are delivered
            held, self._held = self._held, []
        return held

    def lose_held(self) -> None:
        """At shutdown: count and log what never left memory."""
        held = self._take_held()
        self.health.held = 0
        if held:
            log.error("%d conversation-log records could be written neither to the database "
                      "nor to the spool in %s and are lost", len(held), self._spool.directory)
            self.health.failed("records_lost", "shut down with records held in memory",
                               count=len(held))

    def replay(self) -> int:
        """Write spooled records to the database; returns how many were replayed.

        Raises LogError if the database is unreachable (the spool is kept).
        """
        total = 0
        for path in self._spool.files():
            with self._spool.take(path) as records:
                if records is None:
                    continue
                try:
                    total += self._database.run(self._writing(records), write=True, retry=True)
                except DatabaseDown:
                    raise LogError(
                        f"the database at {self._database.url} is unreachable; spooled records are kept"
                    ) from None
        self._pending = self._spool.pending()
        return total

    def try_replay(self, *, force: bool = False) -> None:
        """Replay if the database seems up (or `force`); an outage only leaves the spool be."""
        if not force and not self._database.up:
            return
        try:
            n = self.replay()
        except LogError:
            return
        except OSError as error:  # the spool folder cannot be read or renamed in
            log.error("cannot replay the conversation-log spool in %s (%s)", self._spool.directory, error)
            self.health.failed("spool_replay", error)
            return
        self.health.recovered("spool_replay")
        if n:
            log.info("replayed %d spooled conversation-log records", n)

    def _writing(self, records: list[Record]) -> Callable[[Session], int]:
        return lambda session: store.write(session, records, retention_days=self._retention_days)

    def _isolate(self, records: list[Record]) -> None:
        refused: list[Record] = []
        for record in records:
            try:
                self._database.run(self._writing([record]), write=True)
            except DatabaseDown:
                self.spool([record])
            except Exception:
                refused.append(record)
        if not refused:
            return
        try:
            path = self._spool.reject(refused)
        except OSError as error:
            log.error("the log database refused %d records, and they cannot be kept in %s (%s)",
                      len(refused), self._spool.directory, error)
            self.health.failed("records_lost", error, count=len(refused))
            return
        log.error("the log database refused %d records; kept in %s", len(refused), path)


def _pending(spool: Spool) -> bool:
    try:
        return spool.pending()
    except OSError:
        return False
