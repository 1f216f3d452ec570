"""A bounded queue between acknowledging Slack's events and answering them.

The request thread verifies an event, puts it here and answers 200 at once: it never waits
for Bolt's middleware, the claim, the advisor or Slack's Web API. `threads` threads take
events in order and hand each to `handle` (Bolt's `dispatch`), which runs the listener in
that same thread (`ListenerExecutor`), so at most `threads` events are worked on and
`depth` wait; those threads run at a lower CPU priority than the request thread
(`thread_priority.py`). An event that finds the queue full is shed: still acknowledged (a
refusal would only make Slack retry it, into the same queue), counted, and handed to
`on_shed` (a short "busy" reply). Slash commands, clicks and modals never queue here: Bolt's listener threads
take them, so their acknowledgement is not kept behind a backlog of messages.

A queued event lives in this process's memory only: a worker killed with `kill -9` loses
the events waiting in it and those in hand (their answers; no record already written).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

from bot.thread_priority import yield_cpu

DEFAULT_DEPTH = 100
"""Events that may wait per worker: at about 150 answers/s per worker, under a second."""
DEFAULT_THREADS = 8
"""Events worked on at once per worker; most of an event's time is spent waiting on Slack."""
SHEDDING_SECONDS = 60.0
"""`/healthz` says "shedding" for this long after the last shed event."""

Item = TypeVar("Item")
logger = logging.getLogger("bot.slack")
_here = threading.local()


class EventQueue(Generic[Item]):
    """`submit()` queues an item or sheds it; `threads` threads pass items to `handle`."""

    def __init__(self, handle: Callable[[Item], Any], *, depth: int = DEFAULT_DEPTH,
                 threads: int = DEFAULT_THREADS,
                 on_shed: Callable[[Item], Any] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.handle, self.on_shed = handle, on_shed
        self.depth, self.threads = depth, threads
        self.clock = clock
        self._queue: queue.Queue[Item | None] = queue.Queue(maxsize=depth)
        self._lock = threading.Lock()
        self._counts = {"queued": 0, "shed": 0, "done": 0}
        self._working = 0
        self._last_shed: float | None = None
        self._last_shed_at: str | None = None
        self._workers = [threading.Thread(target=self._run, name=f"event-{n}", daemon=True)
                         for n in range(threads)]
        for worker in self._workers:
            worker.start()

    def submit(self, item: Item) -> bool:
        """Queue `item` (True), or shed it when `depth` items already wait (False)."""
        with self._lock:  # counted first, so "handled" never runs ahead of "queued"
            self._counts["queued"] += 1
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            with self._lock:
                self._counts["queued"] -= 1
                self._counts["shed"] += 1
                self._last_shed = self.clock()
                self._last_shed_at = _now()
            if self.on_shed is not None:
                self.on_shed(item)
            return False
        return True

    def health(self) -> dict[str, Any]:
        """`{"status": "ok" | "shedding", "pid", "waiting", "working", "depth", "threads",
        "capacity", "queued", "shed", "handled", "last_shed_at"}`: capacity is the events
        held at once (waiting and in hand); counts are since the worker started; "shedding"
        for `SHEDDING_SECONDS` after an event was shed."""
        with self._lock:
            recent = (self._last_shed is not None
                      and self.clock() - self._last_shed < SHEDDING_SECONDS)
            return {"status": "shedding" if recent else "ok", "pid": os.getpid(),
                    "waiting": self._queue.qsize(), "working": self._working,
                    "depth": self.depth, "threads": self.threads,
                    "capacity": self.depth + self.threads,
                    "queued": self._counts["queued"], "shed": self._counts["shed"],
                    "handled": self._counts["done"], "last_shed_at": self._last_shed_at}

    def close(self, timeout: float = 20.0) -> None:
        """Work off what waits (new items are shed meanwhile), then stop the threads."""
        deadline = self.clock() + timeout
        try:
            for _ in self._workers:
                self._queue.put(None, timeout=max(0.001, deadline - self.clock()))
        except queue.Full:
            pass
        for worker in self._workers:
            worker.join(max(0.0, deadline - self.clock()))
        left = 0
        while True:
            try:
                left += self._queue.get_nowait() is not None
            except queue.Empty:
                break
        if left:
            logger.warning("stopped with %d queued event(s) unanswered", left)

    def _run(self) -> None:
        _here.inline = True
        yield_cpu()
        while (item := self._queue.get()) is not None:
            with self._lock:
                self._working += 1
            try:
                self.handle(item)
            except Exception:
                logger.exception("handling a queued event failed")
            finally:
                with self._lock:
                    self._working -= 1
                    self._counts["done"] += 1


class ListenerExecutor(ThreadPoolExecutor):
    """Bolt's listener executor: on an `EventQueue` thread a listener runs in place (that
    thread is the bound on work); elsewhere (commands, clicks) on this pool's threads."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        if not getattr(_here, "inline", False):
            return super().submit(fn, *args, **kwargs)
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # Bolt's own wrapper has logged it already
            future.set_exception(exc)
        return future


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
