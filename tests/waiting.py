"""Waiting for something another thread or process does, without fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable


def eventually(check: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Poll `check` until it is true or `timeout` seconds pass; return its last result."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()
