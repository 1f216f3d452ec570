"""Write-ahead for the exchange log: a record is in a file before the batcher holds it.

`record()` appends the redacted record to this process's journal file (a plain `write`, no
fsync: what the kernel holds survives the process being killed, though not the machine
losing power) and only then queues it. A journal file is deleted once every record in it
has reached the database or the spool. The process holds an exclusive `flock` on its files
while it lives; a file whose lock is free belongs to a dead process (`kill -9`, OOM) and is
moved into the spool by `recover()`, to be replayed like any spooled record (inserts ignore
records already written, so replaying a record twice is harmless).
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import threading
from collections import Counter
from pathlib import Path

from bot.log.health import LogHealth
from bot.log.spool import Record, dumps

log = logging.getLogger(__name__)


class Segment:
    """One journal file, locked by this process, and how many of its records are undelivered."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / f"{os.getpid()}-{secrets.token_hex(6)}.jsonl"
        opening = self.path.with_suffix(".new")  # locked before `recover()` can see it
        self.fd = os.open(opening, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            os.rename(opening, self.path)
        except OSError:
            os.close(self.fd)
            opening.unlink(missing_ok=True)
            raise
        self.outstanding = 0

    def discard(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self.fd)


class Journal:
    """This process's journal files under `directory`."""

    def __init__(self, directory: Path, health: LogHealth):
        self.directory = Path(directory)
        self._health = health
        self._lock = threading.Lock()
        self._current: Segment | None = None

    def append(self, record: Record) -> Segment | None:
        """Write `record` ahead; its segment, or None when it could not be written (counted)."""
        data = dumps([record])
        with self._lock:
            try:
                if self._current is None:
                    self._current = Segment(self.directory)
                segment = self._current
                os.write(segment.fd, data)
            except OSError as error:
                self._health.failed("journal_write", error)
                log.error("cannot write the conversation-log journal in %s (%s)", self.directory, error)
                return None
            segment.outstanding += 1
        self._health.recovered("journal_write")
        return segment

    def release(self, segments: Counter[Segment]) -> None:
        """These records were delivered: delete segments that hold nothing undelivered."""
        with self._lock:
            for segment, n in segments.items():
                segment.outstanding -= n
                if segment.outstanding <= 0:
                    if segment is self._current:
                        self._current = None
                    segment.discard()

    def recover(self, spool_directory: Path) -> int:
        """Move dead processes' journal files into the spool; returns how many were moved."""
        if not self.directory.is_dir():
            return 0
        moved = 0
        for path in self.directory.glob("*.jsonl"):
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue  # its process is alive
            try:
                if os.fstat(fd).st_size == 0:
                    path.unlink(missing_ok=True)
                else:
                    os.rename(path, spool_directory / f"journal-{path.name}")
                    moved += 1
            except FileNotFoundError:
                pass  # another process recovered it first
            finally:
                os.close(fd)
        return moved
