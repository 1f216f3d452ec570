"""The exchange log: questions, what the advisor answered, and the feedback on it.

`record()` redacts and pseudonymizes the exchange, writes it ahead to this process's journal
(`bot.log.journal`, so a killed worker loses none) and hands it to a background writer
(`bot.log.writer`) that delivers it in batches. It never blocks on the database or breaks an
answer: an outage sends the batch to the spool.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from bot.log import store
from bot.log.delivery import Delivery
from bot.log.ids import new_id
from bot.log.journal import Journal, Segment
from bot.log.pseudonym import Pseudonymizer
from bot.log.records import ExchangeIn, FeedbackKind, exchange_row, feedback_row
from bot.log.spool import Record
from bot.log.writer import BatchWriter


class ExchangeLog:
    """Records exchanges and feedback in background batches."""

    def __init__(
        self,
        delivery: Delivery,
        pseudonymizer: Pseudonymizer,
        journal: Journal,
        *,
        maintain: Callable[[], None],
        batch_size: int = 500,
        flush_interval: float = 0.2,
    ):
        self._delivery = delivery
        self._pseudo = pseudonymizer
        self._journal = journal
        self._unreleased: Counter[Segment] = Counter()  # journalled, but held in memory
        self._lock = threading.Lock()
        self._closed = False
        self._writer = BatchWriter(
            self._deliver, maintain, batch_size=batch_size, flush_interval=flush_interval, idle_interval=1.0
        )

    def record(self, exchange: ExchangeIn) -> str:
        """Hand an exchange off to the background writer; returns its id (uuid hex) at once."""
        exchange_id = new_id()
        self._put(("exchange", exchange_row(exchange, exchange_id, store.utcnow(), self._pseudo)))
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
        self._put(("feedback", feedback_row(exchange_id, user_key=self._pseudo.key(user_id),
                                            kind=kind, value=value, at=store.utcnow(),
                                            feedback_id=new_id())))

    def start(self) -> None:
        """Start the background writer."""
        self._writer.start()

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Wait until every record handed off so far is in the database or the spool."""
        return self._writer.flush(timeout)

    def close(self) -> None:
        """Stop the writer and deliver what is still queued; later records go straight through."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._writer.stop()
        left = self._writer.drain()  # queued before start(), or the thread did not stop in time
        if left:
            self._deliver(left)

    def _put(self, record: Record) -> None:
        if self._closed:
            self._deliver([(record, None)])  # after close(): straight to the database or the spool
        else:
            self._writer.put((record, self._journal.append(record)))

    def _deliver(self, items: list[tuple[Record, Segment | None]]) -> None:
        self._delivery.deliver([record for record, _ in items])
        with self._lock:
            self._unreleased.update(segment for _, segment in items if segment is not None)
            if self._delivery.held:
                return  # some records are only in memory: keep their journal
            delivered, self._unreleased = self._unreleased, Counter()
        self._journal.release(delivered)
