"""A local append-only spool: records that could not reach the database wait here.

Each process appends JSON lines to its own file `<pid>-<random>.jsonl` under an exclusive
`flock`. A replayer takes a file by locking it, checking it is still the file at that
path, and renaming it to `*.replaying`; an appender that then finds the path gone starts a
new file, so no line is written to a file after it was read. A `*.replaying` file is only
deleted once its records are committed; one left behind by a crash is replayed again,
which is harmless because every record carries a unique key and inserts ignore conflicts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Record = tuple[str, dict[str, Any]]  # (kind, row) — kind names a table in bot.log.models
_DATETIMES = frozenset({"created_at", "updated_at", "seen_at"})


def dumps(records: list[Record]) -> bytes:
    lines = []
    for kind, row in records:
        row = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row.items()}
        # ASCII only: no character in a line can be read as a line break ("\x85", "\u2028")
        lines.append(json.dumps({"kind": kind, "row": row}))
    return ("\n".join(lines) + "\n").encode()


def loads(line: str) -> Record:
    data = json.loads(line)
    row = {
        k: dt.datetime.fromisoformat(v) if k in _DATETIMES and isinstance(v, str) else v
        for k, v in data["row"].items()
    }
    return data["kind"], row


class Spool:
    """The spool directory shared by every process using the same data directory."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._own = self.directory / f"{os.getpid()}-{secrets.token_hex(4)}.jsonl"

    def append(self, records: list[Record]) -> None:
        """Append records durably (fsync) to this process's spool file."""
        if not records:
            return
        data = dumps(records)
        self.directory.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self._own, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                if not _same_file(fd, self._own):
                    continue  # a replayer took it between open and lock: start a new file
                os.write(fd, data)
                os.fsync(fd)
                return
            finally:
                os.close(fd)

    def pending(self) -> bool:
        """True when some process's records are waiting to be replayed."""
        return self.directory.is_dir() and any(
            p.suffix in {".jsonl", ".replaying"} for p in self.directory.iterdir()
        )

    @contextlib.contextmanager
    def take(self, path: Path) -> Iterator[list[Record] | None]:
        """Claim one spool file and yield its records; delete it if the block succeeds.

        Yields None when another replayer holds it or it is already gone.
        """
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            yield None
            return
        try:
            flags = fcntl.LOCK_EX | (fcntl.LOCK_NB if path.suffix == ".replaying" else 0)
            try:
                fcntl.flock(fd, flags)
            except BlockingIOError:
                yield None
                return
            if not _same_file(fd, path):
                yield None
                return
            if path.suffix == ".jsonl":
                claimed = path.with_name(f"{path.stem}.{secrets.token_hex(4)}.replaying")
                os.rename(path, claimed)
                path = claimed
            with os.fdopen(os.dup(fd), encoding="utf-8") as f:
                text = f.read()
            yield list(_parse(text, path))
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)

    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(
            (p for p in self.directory.iterdir() if p.suffix in {".jsonl", ".replaying"}),
            key=lambda p: p.stat().st_mtime if p.exists() else 0,
        )

    def reject(self, records: list[Record]) -> Path:
        """Keep records the database refused (not an outage) for a person to look at."""
        path = self.directory / "rejected" / f"{os.getpid()}.rejected"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, dumps(records))
        finally:
            os.close(fd)
        return path


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False


def _parse(text: str, path: Path) -> Iterator[Record]:
    for number, line in enumerate(text.split("\n"), 1):  # only "\n" ends a record
        if not line.strip():
            continue
        try:
            yield loads(line)
        except (ValueError, KeyError):
            log.warning("skipping a damaged line %s:%d in the log spool", path, number)
