"""The conversation log: what the answer path, Slack handlers and admin commands call."""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from bot.log import store
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
from bot.log.ids import new_id
from bot.log.pseudonym import Pseudonymizer, load_secret
from bot.log.records import ExchangeIn, Stats, exchange_row
from bot.log.spool import Record, Spool

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")
FeedbackKind = Literal["helpful", "not_helpful", "chose_topic"]


class ConversationLog:
    """Records exchanges in background batches; never blocks or breaks an answer.

    When the database is down, locked or slow, records go to an append-only spool in
    `<data_dir>/spool` and are replayed, exactly once, when it is back (automatically, or by
    `advisor log replay`). `close()` flushes everything and is registered with atexit.
    """

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
        self.data_dir = Path(data_dir)
        self.retention_days = retention_days
        self.engine = make_engine(normalize_url(database_url, self.data_dir), timeout=db_timeout)
        self.spool = Spool(self.data_dir / "spool")
        self._pseudo = Pseudonymizer(load_secret(hmac_secret, self.data_dir))
        self._retry_interval = retry_interval
        self._purge_every = purge_every
        self._down_until = 0.0
        self._spool_pending = self.spool.pending()
        self._next_purge = 0.0
        self._claimed: set[str] = set()
        self._checklists: dict[tuple[str, str], frozenset[int]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._started = False
        self._writer = _writer(self, batch_size, flush_interval)

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
        return f"ConversationLog({safe_url(self.engine)})"

    # -- life cycle -------------------------------------------------------------------------

    def prepare(self) -> None:
        """Upgrade SQLite's schema, or check PostgreSQL's (LogError: run `advisor db upgrade`).

        A database that is down is not an error here: records go to the spool meanwhile.
        """
        try:
            if is_sqlite(self.engine):
                upgrade(self.engine)
            else:
                check_schema(self.engine)
        except LogError:
            raise
        except Exception as error:
            if not is_outage(error):
                raise
            self._mark_down(error)

    def start(self) -> None:
        """Prepare the schema, then start the background writer (which also purges and replays)."""
        if self._started:
            return
        self.prepare()
        self._started = True
        self._writer.start()
        atexit.register(self.close)

    def close(self) -> None:
        """Write everything still queued (to the database, or the spool); idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self.close)
        self._writer.stop()
        left = self._writer.drain()  # queued before start(), or the thread did not stop in time
        if left:
            self._process(left)
        if self._started and self._spool_pending:
            self._try_replay(force=True)  # one last attempt, even if the last write just failed
        self.engine.dispose()

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every record handed off so far is in the database or the spool."""
        return self._writer.flush(timeout)

    # -- the answer path --------------------------------------------------------------------

    def record(self, exchange: ExchangeIn) -> str:
        """Hand an exchange off to the background writer; returns its id (uuid hex) at once."""
        exchange_id = new_id()
        item = ("exchange", (exchange, exchange_id, store.utcnow()))
        if self._closed:
            self._deliver(self._rows([item]))  # after close(): straight to the DB or spool
        else:
            self._writer.put(item)
        return exchange_id

    def record_feedback(
        self,
        exchange_id: str,
        *,
        user_id: str | None,
        kind: FeedbackKind,
        value: str | None = None,
    ) -> None:
        """Link feedback to its exchange (queued behind it, so it is written after it)."""
        if kind not in {"helpful", "not_helpful", "chose_topic"}:
            raise ValueError(f"feedback kind must be helpful, not_helpful or chose_topic: {kind!r}")
        row = {
            "id": new_id(),
            "exchange_id": exchange_id,
            "created_at": store.utcnow(),
            "user_key": self._pseudo.key(user_id),
            "kind": kind,
            "value": value.replace("\x00", "")[:128] if value else None,
        }
        item = ("feedback", row)
        if self._closed:
            self._deliver([item])
        else:
            self._writer.put(item)

    def claim_event(self, key: str) -> bool:
        """True the first time `key` is seen by any process (a unique row in the database).

        If the database is down, an in-process set decides, and the claim is spooled.
        """
        with self._lock:
            if key in self._claimed:
                return False
        result = self._direct(lambda conn: store.claim(conn, key), write=True)
        with self._lock:
            if result is None:
                if key in self._claimed:
                    return False
                self._spool([("event", {"key": key, "seen_at": store.utcnow()})])
                result = True
            self._claimed.add(key)
            if len(self._claimed) > 50_000:
                self._claimed.clear()
        return result

    # -- checklists -------------------------------------------------------------------------

    def checklist_state(self, *, scope: str, checklist_id: str) -> frozenset[int]:
        """The done items of a checklist in a scope: `user:<slack id>` or `channel:<id>`."""
        hashed = self._pseudo.scope(scope)
        done = self._direct(lambda conn: store.checklist_done(conn, hashed, checklist_id))
        if done is None:
            return self._checklists.get((hashed, checklist_id), frozenset())
        self._checklists[(hashed, checklist_id)] = done
        return done

    def set_checklist_item(self, *, scope: str, checklist_id: str, item: int, done: bool) -> frozenset[int]:
        """Tick or untick one item; returns the checklist's done items afterwards."""
        hashed = self._pseudo.scope(scope)
        row = {
            "scope": hashed,
            "checklist_id": checklist_id,
            "item": int(item),
            "done": bool(done),
            "updated_at": store.utcnow(),
        }

        def tick(conn: Any) -> frozenset[int]:
            store.write(conn, [("checklist", row)], retention_days=self.retention_days)
            return store.checklist_done(conn, hashed, checklist_id)

        state = self._direct(tick, write=True)
        if state is None:
            self._spool([("checklist", row)])
            cached = set(self._checklists.get((hashed, checklist_id), frozenset()))
            (cached.add if done else cached.discard)(int(item))
            state = frozenset(cached)
        self._checklists[(hashed, checklist_id)] = state
        return state

    def open_checklists(self, *, user_id: str) -> list[tuple[str, int]]:
        """(checklist id, items done) for the user's own checklists, most recent first."""
        scope = self._pseudo.scope(f"user:{user_id}")
        found = self._direct(lambda conn: store.open_checklists(conn, scope))
        if found is None:
            return [(cid, len(s)) for (sc, cid), s in self._checklists.items() if sc == scope and s]
        return found

    # -- reading ----------------------------------------------------------------------------

    def recent_questions(self, *, user_id: str, limit: int = 5) -> list[str]:
        """The user's latest questions, redacted, newest first ([] while the database is down)."""
        key = self._pseudo.key(user_id)
        assert key is not None
        self.flush(timeout=2.0)
        return self._direct(lambda conn: store.recent_questions(conn, key, limit)) or []

    def weekly_stats(self, *, days: int = 7) -> Stats:
        """Figures for the last `days` days (raises LogError while the database is down)."""
        from bot.log.reports import stats

        self.flush(timeout=5.0)
        return self._required(lambda conn: stats(conn, since=store.utcnow() - dt.timedelta(days)))

    # -- admin ------------------------------------------------------------------------------

    def user_key(self, user_id: str) -> str:
        """The pseudonymous key the log stores for a Slack user id."""
        key = self._pseudo.key(user_id)
        assert key is not None
        return key

    def forget_user(self, user_id: str) -> int:
        """Delete everything of one user, including records still queued or spooled later."""
        self.flush()
        key = self.user_key(user_id)
        for cached in [k for k in self._checklists if k[0] == f"user:{key}"]:
            self._checklists.pop(cached, None)
        return self._required(lambda conn: store.forget(conn, key), write=True)

    def purge(self, *, older_than_days: int) -> int:
        """Delete records older than `older_than_days`; returns the number of exchanges."""
        if older_than_days < 0:
            raise ValueError("older_than_days must be zero or more")
        self.flush()
        cutoff = store.utcnow() - dt.timedelta(days=older_than_days)
        return self._required(lambda conn: store.purge(conn, cutoff), write=True)

    def replay(self) -> int:
        """Write spooled records to the database; returns how many were replayed.

        Raises LogError if the database is unreachable (the spool is kept).
        """
        total = 0
        for path in self.spool.files():
            with self.spool.take(path) as records:
                if records is None:
                    continue
                try:
                    with self.engine.begin() as conn:
                        total += store.write(conn, records, retention_days=self.retention_days)
                except Exception as error:
                    if is_outage(error):
                        self._mark_down(error)
                        raise LogError(
                            f"the database at {safe_url(self.engine)} is unreachable; "
                            "spooled records are kept"
                        ) from None
                    raise
        self._spool_pending = self.spool.pending()
        return total

    # -- internals --------------------------------------------------------------------------

    def _rows(self, items: list[Any]) -> list[Record]:
        rows: list[Record] = []
        for kind, payload in items:
            if kind == "exchange":
                exchange, exchange_id, at = payload
                rows.append(("exchange", exchange_row(exchange, exchange_id, at, self._pseudo)))
            else:
                rows.append((kind, payload))
        return rows

    def _process(self, items: list[Any]) -> None:
        self._deliver(self._rows(items))

    def _deliver(self, records: list[Record]) -> None:
        """Write records to the database, or spool them; never raises for an outage."""
        if self._spool_pending:
            self._try_replay()
        if self._spool_pending or not self._db_up():
            self._spool(records)
            return
        try:
            with self.engine.begin() as conn:
                store.write(conn, records, retention_days=self.retention_days)
        except Exception as error:
            if is_outage(error):
                self._mark_down(error)
                self._spool(records)
            else:
                log.exception("the log database refused a batch; writing it row by row")
                self._isolate(records)

    def _isolate(self, records: list[Record]) -> None:
        refused: list[Record] = []
        for record in records:
            try:
                with self.engine.begin() as conn:
                    store.write(conn, [record], retention_days=self.retention_days)
            except Exception as error:
                if is_outage(error):
                    self._mark_down(error)
                    self._spool([record])
                else:
                    refused.append(record)
        if refused:
            path = self.spool.reject(refused)
            log.error("the log database refused %d records; kept in %s", len(refused), path)

    def _spool(self, records: list[Record]) -> None:
        self.spool.append(records)
        self._spool_pending = True

    def _try_replay(self, *, force: bool = False) -> None:
        if not force and not self._db_up():
            return
        try:
            n = self.replay()
        except LogError:
            return
        if n:
            log.info("replayed %d spooled conversation-log records", n)

    def _maintain(self) -> None:
        if self._spool_pending:
            self._try_replay()
        now = time.monotonic()
        if now >= self._next_purge and self._db_up():
            self._next_purge = now + self._purge_every
            cutoff = store.utcnow() - dt.timedelta(days=self.retention_days)
            n = self._direct(lambda conn: store.purge(conn, cutoff), write=True)
            if n:
                log.info("purged %d exchanges older than %d days", n, self.retention_days)

    def _db_up(self) -> bool:
        return time.monotonic() >= self._down_until

    def _mark_down(self, error: BaseException) -> None:
        self._down_until = time.monotonic() + self._retry_interval
        log.warning(
            "conversation log database %s unavailable (%s); spooling to %s",
            safe_url(self.engine),
            type(error).__name__,
            self.spool.directory,
        )

    def _direct(self, fn: Callable[[Any], T], *, write: bool = False) -> T | None:
        """Run one short unit of work; None when the database is down (known or just found)."""
        if not self._db_up():
            return None
        try:
            with self.engine.begin() if write else self.engine.connect() as conn:
                return fn(conn)
        except Exception as error:
            if not is_outage(error):
                raise
            self._mark_down(error)
            return None

    def _required(self, fn: Callable[[Any], T], *, write: bool = False) -> T:
        self._down_until = 0.0  # an explicit request deserves a fresh attempt
        result = self._direct(fn, write=write)
        if result is None:
            raise LogError(f"the conversation log database at {safe_url(self.engine)} is unreachable")
        return result


def _writer(owner: ConversationLog, batch_size: int, flush_interval: float) -> Any:
    from bot.log.writer import BatchWriter

    return BatchWriter(
        owner._process,
        owner._maintain,
        batch_size=batch_size,
        flush_interval=flush_interval,
        idle_interval=1.0,
    )
