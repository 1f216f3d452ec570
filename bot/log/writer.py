"""A background thread that drains a queue in batches, so the answer path only hands off.

The thread polls: it sleeps `flush_interval`, then takes everything queued. `put()` never
wakes it, so handing off costs the answer path one lock-free append and no system call,
and the writer competes for the GIL a few times per interval rather than once per item.
`flush()` and `stop()` wake it at once.
"""

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
    """Calls `process(batch)` with up to `batch_size` items, about every `flush_interval` s.

    `maintain()` runs after each round and at least every `idle_interval` seconds; it is
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
        self._wake = threading.Event()
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
        self._wake.set()
        return marker.done.wait(timeout)

    def stop(self, timeout: float | None = None) -> None:
        """Process what is queued, then end the thread."""
        if self.running:
            self._queue.put(_STOP)
            self._wake.set()
            self._thread.join(timeout)

    def drain(self) -> list[Any]:
        """Take everything still queued (for when the thread never ran or has stopped)."""
        items = []
        for item in self._take():
            if isinstance(item, _Flush):
                item.done.set()
            elif item is not _STOP:
                items.append(item)
        return items

    def _take(self) -> list[Any]:
        items = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                return items

    def _run(self) -> None:
        next_maintenance = 0.0
        while True:
            self._wake.wait(self._flush_interval)
            self._wake.clear()
            stopping = self._round(self._take())
            if stopping or time.monotonic() >= next_maintenance:
                self._safely(self._maintain)
                next_maintenance = time.monotonic() + self._idle_interval
            if stopping:
                return

    def _round(self, items: list[Any]) -> bool:
        """Process items in order, in batches; release flush markers once reached. True on stop."""
        batch: list[Any] = []
        for item in items:
            if item is _STOP or isinstance(item, _Flush):
                if batch:
                    self._safely(self._process, batch)
                    batch = []
                if item is _STOP:
                    return True
                item.done.set()
                continue
            batch.append(item)
            if len(batch) >= self._batch_size:
                self._safely(self._process, batch)
                batch = []
        if batch:
            self._safely(self._process, batch)
        return False

    @staticmethod
    def _safely(fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("the conversation log's writer failed; it keeps running")
