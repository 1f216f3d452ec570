"""A background thread that drains a queue in batches, so the answer path only hands off."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class _Flush:
    def __init__(self) -> None:
        self.done = threading.Event()


_STOP = object()


class BatchWriter:
    """Calls `process(batch)` with up to `batch_size` items, at most `flush_interval` s late.

    `maintain()` runs between batches and at least every `idle_interval` seconds; it is
    where the log replays its spool and purges old records.
    """

    def __init__(
        self,
        process: Callable[[list[Any]], None],
        maintain: Callable[[], None],
        *,
        batch_size: int,
        flush_interval: float,
        idle_interval: float = 1.0,
        name: str = "advisor-log-writer",
    ):
        self._process = process
        self._maintain = maintain
        self._batch_size = batch_size
        self._flush_interval = flush_interval
        self._idle_interval = idle_interval
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def put(self, item: Any) -> None:
        self._queue.put(item)

    def start(self) -> None:
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything put so far has been processed; False on timeout."""
        if not self.running:
            return False
        marker = _Flush()
        self._queue.put(marker)
        return marker.done.wait(timeout)

    def stop(self, timeout: float | None = None) -> None:
        """Process what is queued, then end the thread."""
        if self.running:
            self._queue.put(_STOP)
            self._thread.join(timeout)

    def drain(self) -> list[Any]:
        """Take everything still queued (for when the thread never ran or has stopped)."""
        items = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return items
            if isinstance(item, _Flush):
                item.done.set()
            elif item is not _STOP:
                items.append(item)

    def _run(self) -> None:
        stopping = False
        while not stopping:
            try:
                first = self._queue.get(timeout=self._idle_interval)
            except queue.Empty:
                self._safely(self._maintain)
                continue
            batch, markers, stopping = self._collect(first)
            if batch:
                self._safely(self._process, batch)
            for marker in markers:
                marker.done.set()
            self._safely(self._maintain)

    def _collect(self, first: Any) -> tuple[list[Any], list[_Flush], bool]:
        batch: list[Any] = []
        markers: list[_Flush] = []
        deadline = time.monotonic() + self._flush_interval
        item = first
        while True:
            if item is _STOP:
                return batch, markers, True
            if isinstance(item, _Flush):
                markers.append(item)
                return batch, markers, False
            batch.append(item)
            if len(batch) >= self._batch_size:
                return batch, markers, False
            remaining = deadline - time.monotonic()
            try:
                item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                return batch, markers, False

    @staticmethod
    def _safely(fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("the conversation log's writer failed; it keeps running")
