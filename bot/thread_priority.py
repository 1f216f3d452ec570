"""Background threads yield the CPU to the thread acknowledging Slack's requests.

Linux schedules each thread by its own nice value, so a thread that answers (the advisor's
batcher, the event threads) can lower its priority: when the cores are busy, the request
thread runs first and acknowledges within milliseconds, while answers take what is left.
Nowhere else (or where it is not allowed) this does nothing.
"""

from __future__ import annotations

import os
import threading

BACKGROUND_NICE = 10
"""The nice value of background threads (the request thread keeps the process's, usually 0)."""


def yield_cpu(nice: int = BACKGROUND_NICE) -> None:
    """Lower the calling thread's CPU priority to `nice` (never raise it)."""
    try:
        tid = threading.get_native_id()
        if os.getpriority(os.PRIO_PROCESS, tid) < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
    except (OSError, AttributeError):  # not Linux, or not allowed: priority unchanged
        pass
