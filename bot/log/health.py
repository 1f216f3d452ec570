"""What the conversation log could not do, counted for `/healthz`.

Logging never stops an answer, so its failures must be seen somewhere else: each is logged
where it happens and counted here, and `/healthz` shows the counts.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any


class LogHealth:
    """Thread-safe counters of the log's failures, and the last one's reason."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._last: dict[str, Any] | None = None
        self._failing: set[str] = set()
        self.held = 0  # records kept in memory because neither the database nor the spool took them

    def failed(self, what: str, error: BaseException | str, *, count: int = 1) -> None:
        """Count `count` failures of kind `what` (e.g. "spool_write_failed")."""
        reason = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        with self._lock:
            self._counts[what] = self._counts.get(what, 0) + count
            self._failing.add(what)
            self._last = {"what": what, "reason": reason[:200],
                          "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}

    def recovered(self, what: str) -> None:
        """`what` works again (its count stays)."""
        if what in self._failing:
            with self._lock:
                self._failing.discard(what)

    def count(self, what: str) -> int:
        with self._lock:
            return self._counts.get(what, 0)

    def to_json(self) -> dict[str, Any]:
        """`{"status", "failing", "failures", "held_in_memory", "last_failure"}`: status is
        "degraded" while something still fails or records wait in memory; counts are since start."""
        with self._lock:
            degraded = self.held > 0 or bool(self._failing)
            return {
                "status": "degraded" if degraded else "ok",
                "failing": sorted(self._failing),
                "failures": dict(self._counts),
                "held_in_memory": self.held,
                "last_failure": self._last,
            }
