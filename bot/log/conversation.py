"""The conversation log as callers hold it: its parts over one database, started and closed
together, and the admin operations that span them.

- `record()` / `record_feedback()`: the exchange log (`bot.log.exchanges`), the one call
  every surface makes after answering;
- `claims`: Slack events and reminders handled once (`bot.log.claims`);
- `checklists`: checklist progress, kept until unticked or forgotten (`bot.log.checklist_progress`);
- `requests`: questions handed to a person and the experts' answers (`bot.log.expert_requests`);
- `queries`: the read side, for the App Home, reports, export, gaps and lint (`bot.log.queries`);
- `database`: the process's one engine, for other stores in the same database (curation).

When the database is down, locked or slow, writes go to an append-only spool in
`<data_dir>/spool` and are replayed, exactly once, when it is back (automatically, or by
`advisor log replay`). `close()` flushes everything and is registered with atexit.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.log import store
from bot.log.checklist_progress import ChecklistProgress
from bot.log.claims import EventClaims
from bot.log.database import LogDatabase
from bot.log.delivery import Delivery
from bot.log.exchanges import ExchangeLog
from bot.log.expert_requests import ExpertRequests
from bot.log.health import LogHealth
from bot.log.journal import Journal
from bot.log.pseudonym import Pseudonymizer, load_secret
from bot.log.queries import LogQueries
from bot.log.records import ExchangeIn, FeedbackKind
from bot.log.spool import Spool

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.settings import Settings

_T = TypeVar("_T")

log = logging.getLogger(__name__)
RECOVER_EVERY = 30.0
"""Seconds between looks for journals left by killed processes (also done at start)."""


class ConversationLog:
    """Records exchanges in background batches; never blocks or breaks an answer."""

    def __init__(
        self,
        *,
        database_url: str | None,
        data_dir: Path,
        hmac_secret: str | None,
        retention_days: int = 180,
        batch_size: int = 500,
        flush_interval: float = 0.2,
        db_timeout: float = 5.0,
        retry_interval: float = 5.0,
        purge_every: float = 6 * 3600.0,
    ):
        data_dir = Path(data_dir)
        self.retention_days = retention_days
        self.spool = Spool(data_dir / "spool")
        self.database = LogDatabase(database_url, data_dir, spool_directory=self.spool.directory,
                                    timeout=db_timeout, retry_interval=retry_interval)
        self._pseudo = Pseudonymizer(load_secret(hmac_secret, data_dir))
        self._delivery = Delivery(self.database, self.spool, retention_days=retention_days)
        self._journal = Journal(self.spool.directory / "journal", self._delivery.health)
        self._exchanges = ExchangeLog(self._delivery, self._pseudo, self._journal, maintain=self._maintain,
                                      batch_size=batch_size, flush_interval=flush_interval)
        self.claims = EventClaims(self.database, self._delivery, data_dir / "claims")
        self.checklists = ChecklistProgress(self.database, self._delivery, self._pseudo,
                                            retention_days=retention_days)
        self.requests = ExpertRequests(self.database, self._pseudo)
        self.queries = LogQueries(self.database, self._pseudo, self._exchanges.flush)
        self._purge_every = purge_every
        self._next_purge = 0.0
        self._next_recovery = 0.0
        self._lock = threading.Lock()
        self._closed = False
        self._started = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ConversationLog:
        """The log as configured: DATABASE_URL, ADVISOR_DATA_DIR, LOG_HMAC_SECRET, RETENTION_DAYS."""
        return cls(
            database_url=settings.database_url,
            data_dir=settings.advisor_data_dir,
            hmac_secret=settings.log_hmac_secret,
            retention_days=settings.retention_days,
        )

    def __repr__(self) -> str:
        return f"ConversationLog({self.database.url})"

    # -- life cycle -------------------------------------------------------------------------

    def prepare(self) -> None:
        """Upgrade SQLite's schema, or check PostgreSQL's (LogError: run `advisor db upgrade`)."""
        self.database.prepare()

    def start(self) -> None:
        """Prepare the schema, then start the background writer (which also purges and replays)."""
        if self._started:
            return
        self.prepare()
        self._started = True
        self._exchanges.start()
        atexit.register(self.close)

    def close(self) -> None:
        """Write everything still queued (to the database, or the spool); idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self.close)
        self._exchanges.close()
        if self._started and self._delivery.pending:
            self._delivery.try_replay(force=True)  # one last attempt, even if the last write just failed
        if self._delivery.held:
            self._delivery.deliver([])
        self._delivery.lose_held()
        self.database.dispose()

    @property
    def health(self) -> LogHealth:
        """What the log could not do since start (for `/healthz`)."""
        return self._delivery.health

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every record handed off so far is in the database or the spool."""
        return self._exchanges.flush(timeout)

    # -- the answer path --------------------------------------------------------------------

    def record(self, exchange: ExchangeIn) -> str:
        """Hand an exchange off to the background writer; returns its id (uuid hex) at once."""
        return self._exchanges.record(exchange)

    def record_feedback(self, exchange_id: str, *, user_id: str | None, kind: FeedbackKind,
                        value: str | None = None) -> None:
        """Link feedback to its exchange (queued behind it, so it is written after it)."""
        self._exchanges.record_feedback(exchange_id, user_id=user_id, kind=kind, value=value)

    # -- admin ------------------------------------------------------------------------------

    def user_key(self, user_id: str) -> str:
        """The pseudonymous key the log stores for a Slack user id."""
        key = self._pseudo.key(user_id)
        assert key is not None
        return key

    def forget_user(self, user_id: str) -> int:
        """Delete everything of one user, checklists and expert requests included, even records
        spooled later."""
        key = self.user_key(user_id)
        self.checklists.forget_cached(key)
        return self._erase(lambda session: store.forget_user(session, key))

    def workspace_records(self, team_id: str) -> dict[str, int]:
        """How many rows of each table `forget_workspace(team_id)` would delete now."""
        self.flush()
        return self.database.run(lambda session: store.count(session, store.of_team(team_id)),
                                 retry=True)

    def forget_workspace(self, team_id: str) -> dict[str, int]:
        """Delete everything the log holds of one workspace (a team id, or an organisation's id
        for what an org-wide install recorded without one), even records spooled later;
        returns the rows deleted from each table."""
        return self._erase(lambda session: store.forget(session, store.of_team(team_id)))

    def _erase(self, work: Callable[[Session], _T]) -> _T:
        """Run one erasure after everything this process handed off is written."""
        self.flush()
        return self.database.run(work, write=True, retry=True)

    def purge(self, *, older_than_days: int) -> int:
        """Delete the log older than `older_than_days` (not checklists); returns the exchanges."""
        if older_than_days < 0:
            raise ValueError("older_than_days must be zero or more")
        self.flush()
        cutoff = store.utcnow() - dt.timedelta(days=older_than_days)
        return self.database.run(lambda session: store.purge(session, cutoff), write=True, retry=True)

    def replay(self) -> int:
        """Write spooled records to the database; returns how many were replayed.

        Raises LogError if the database is unreachable (the spool is kept).
        """
        return self._delivery.replay()

    # -- the writer's maintenance -----------------------------------------------------------

    def recover_journals(self) -> int:
        """Move the journals of killed processes into the spool (replayed next); returns how many."""
        try:
            moved = self._journal.recover(self.spool.directory)
        except OSError as error:
            log.error("cannot recover conversation-log journals in %s (%s)", self._journal.directory, error)
            self.health.failed("journal_recovery", error)
            return 0
        if moved:
            log.warning("recovered %d journal files of stopped processes into the spool", moved)
            self._delivery.note_spooled()
        return moved

    def _maintain(self) -> None:
        now = time.monotonic()
        if now >= self._next_recovery:
            self._next_recovery = now + RECOVER_EVERY
            self.recover_journals()
        if self._delivery.held:
            self._delivery.deliver([])  # records the spool could not take: try again
        if self._delivery.pending:
            self._delivery.try_replay()
        now = time.monotonic()
        if now >= self._next_purge and self.database.up:
            self._next_purge = now + self._purge_every
            cutoff = store.utcnow() - dt.timedelta(days=self.retention_days)
            n = self.database.attempt(lambda session: store.purge(session, cutoff), write=True)
            if n:
                log.info("purged %d exchanges older than %d days", n, self.retention_days)
