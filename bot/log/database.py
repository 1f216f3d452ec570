"""The log database as its stores share it: one engine, and whether it is reachable.

Every store runs its work as one short unit in its own `Session` (`run`); when the database
is unreachable, locked or too slow, the work raises `DatabaseDown` and the database counts
as down for `retry_interval` seconds, so the answer path does not wait on it again and again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine
from sqlmodel import Session

from bot.log.db import (
    LogError,
    check_schema,
    is_outage,
    is_sqlite,
    make_engine,
    normalize_url,
    safe_url,
    upgrade,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


class DatabaseDown(LogError):
    """The log database is unreachable, locked or too slow (stores fall back or report it)."""


class LogDatabase:
    """The process's one engine on the log database, and when it was last found down."""

    def __init__(self, database_url: str | None, data_dir: Path, *, spool_directory: Path,
                 timeout: float = 5.0, retry_interval: float = 5.0):
        self.engine: Engine = make_engine(normalize_url(database_url, Path(data_dir)), timeout=timeout)
        self._spool_directory = spool_directory  # where the stores fall back to, for the warning
        self._retry_interval = retry_interval
        self._down_until = 0.0

    def __repr__(self) -> str:
        return f"LogDatabase({self.url})"

    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        return safe_url(self.engine)

    @property
    def up(self) -> bool:
        """False for `retry_interval` seconds after the database was found down."""
        return time.monotonic() >= self._down_until

    def prepare(self) -> None:
        """Upgrade SQLite's schema, or check PostgreSQL's (LogError: run `advisor db upgrade`).

        A database that is down is not an error here: the stores fall back meanwhile.
        """
        try:
            if is_sqlite(self.engine):
                upgrade(self.engine)
            else:
                check_schema(self.engine)
        except LogError:
            raise
        except Exception as error:
            if not (is_outage(error) or isinstance(error, OSError)):  # OSError: its folder
                raise
            self.mark_down(error)

    def run(self, work: Callable[[Session], T], *, write: bool = False, retry: bool = False) -> T:
        """Run `work` in one short session (committed when `write`); DatabaseDown if unreachable.

        `retry` tries even while the database counts as down: an explicit request (an admin
        command, a replay) deserves a fresh attempt.
        """
        if retry:
            self._down_until = 0.0
        if not self.up:
            raise self._down()
        try:
            with Session(self.engine) as session:
                result = work(session)
                if write:
                    session.commit()
                return result
        except Exception as error:
            if not is_outage(error):
                raise
            self.mark_down(error)
            raise self._down() from None

    def mark_down(self, error: BaseException) -> None:
        """Note an outage: stores stop trying for `retry_interval` seconds, and then reconnect.

        Pooled connections are dropped: one opened while the files were read-only (SQLite
        then opens read-only) or cut by the server would keep failing after the cause is gone.
        """
        self._down_until = time.monotonic() + self._retry_interval
        self.engine.dispose()
        log.warning(
            "conversation log database %s unavailable (%s); spooling to %s",
            self.url,
            type(error).__name__,
            self._spool_directory,
        )

    def attempt(self, work: Callable[[Session], T], *, write: bool = False) -> T | None:
        """`run`, but None while the database is down (for callers with a fallback)."""
        try:
            return self.run(work, write=write)
        except DatabaseDown:
            return None

    def dispose(self) -> None:
        self.engine.dispose()

    def _down(self) -> DatabaseDown:
        return DatabaseDown(f"the conversation log database at {self.url} is unreachable")
