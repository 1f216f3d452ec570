"""The exchange log: questions, what the advisor answered, and the feedback on it.

`record()` only hands the exchange to a background writer (`bot.log.writer`) and returns its
id at once; the writer redacts, pseudonymizes and delivers it in batches. It never blocks or
breaks an answer: an outage sends the batch to the spool.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from bot.log import store
from bot.log.delivery import Delivery
from bot.log.ids import new_id
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
        *,
        maintain: Callable[[], None],
        batch_size: int = 500,
        flush_interval: float = 0.2,
    ):
        self._delivery = delivery
        self._pseudo = pseudonymizer
        self._lock = threading.Lock()
        self._closed = False
        self._writer = BatchWriter(
            self._deliver, maintain, batch_size=batch_size, flush_interval=flush_interval, idle_interval=1.0
        )

    def record(self, exchange: ExchangeIn) -> str:
        """Hand an exchange off to the background writer; returns its id (uuid hex) at once."""
        exchange_id = new_id()
        self._put(("exchange", (exchange, exchange_id, store.utcnow())))
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

    def _put(self, item: tuple[str, Any]) -> None:
        if self._closed:
            self._deliver([item])  # after close(): straight to the database or the spool
        else:
            self._writer.put(item)

    def _deliver(self, items: list[tuple[str, Any]]) -> None:
        self._delivery.deliver([self._row(kind, payload) for kind, payload in items])

    def _row(self, kind: str, payload: Any) -> Record:
        if kind != "exchange":
            return kind, payload
        exchange, exchange_id, at = payload
        return "exchange", exchange_row(exchange, exchange_id, at, self._pseudo)
