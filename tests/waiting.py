"""Waiting for something another thread or process does, without fixed sleeps."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(check: Callable[[], T], what: str = "the condition", *, timeout: float = 30.0) -> T:
    """Poll `check` until it returns something true, and return that; fail naming `what`
    when `timeout` seconds (a generous upper bound, never an assertion on speed) pass first."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what} after {timeout:g} s")
        time.sleep(0.05)
    return value
