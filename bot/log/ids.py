"""Exchange ids: UUID-shaped (version 4) hex, unique across processes, cheap to make.

`uuid.uuid4()` reads os.urandom on every call, and that call releases the GIL, which hands
the log's own writer thread the interpreter in the middle of the answer path. Here each
process draws 60 random bits once (again after a fork) and appends a counter.
"""

from __future__ import annotations

import itertools
import os

_LOW_MASK = (1 << 62) - 1
_VARIANT = 1 << 63  # RFC 4122 variant bits "10"


def _fresh() -> tuple[str, itertools.count]:
    high = int.from_bytes(os.urandom(8), "big")
    high = (high & ~(0xF << 12)) | (0x4 << 12)  # version 4 nibble
    return f"{high:016x}", itertools.count(int.from_bytes(os.urandom(4), "big"))


_prefix, _counter = _fresh()


def _after_fork() -> None:
    global _prefix, _counter
    _prefix, _counter = _fresh()


os.register_at_fork(after_in_child=_after_fork)


def new_id() -> str:
    """A new id: 32 lowercase hex digits, parseable as a version-4 UUID."""
    return f"{_prefix}{_VARIANT | (next(_counter) & _LOW_MASK):016x}"
