"""Records on their way to the database: written, or spooled while it is down, then replayed.

Every store's writes go through here, so there is one rule for an outage: records go to the
append-only spool (`bot.log.spool`) and are replayed, exactly once, when the database is back.
A record the database refuses for another reason is kept aside in `spool/rejected/`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.log import store
from bot.log.database import DatabaseDown, LogDatabase
from bot.log.db import LogError
from bot.log.spool import Record, Spool

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger(__name__)


class Delivery:
    """Writes records to the log database, or to the spool; never raises for an outage."""

    def __init__(self, database: LogDatabase, spool: Spool, *, retention_days: int):
        self._database = database
        self._spool = spool
        self._retention_days = retention_days
        self._pending = spool.pending()

    @property
    def pending(self) -> bool:
        """True when records of this process (or another) wait in the spool."""
        return self._pending

    def deliver(self, records: list[Record]) -> None:
        """Write records (after what waits in the spool), or spool them."""
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

    def spool(self, records: list[Record]) -> None:
        """Keep records for a later replay."""
        self._spool.append(records)
        self._pending = True

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
        if refused:
            path = self._spool.reject(refused)
            log.error("the log database refused %d records; kept in %s", len(refused), path)
