"""Claims shared by every process on one host, for while the log database is down.

A claim is an empty file `<data_dir>/claims/<sha256 of key>`, created with O_EXCL, which
the kernel makes atomic across processes. It is shared by the workers of one server (and
every server using the same data folder on this host), not across hosts. Files older than
`KEEP_SECONDS` are pruned: Slack stops retrying an event within minutes.
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

KEEP_SECONDS = 24 * 3600.0
PRUNE_EVERY = 600.0


class LocalClaims:
    """`claim(key)`: True for the first process on this host; OSError if the folder fails."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._next_prune = 0.0

    def claim(self, key: str) -> bool:
        """Create the key's file; False when it exists. Raises OSError (disk full, read-only)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._prune()
        try:
            os.close(os.open(self._path(key), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            return False
        return True

    def holds(self, key: str) -> bool:
        """True when some process on this host claimed `key` here (while the database was down)."""
        try:
            return self._path(key).exists()
        except OSError:
            return False

    def _path(self, key: str) -> Path:
        return self.directory / hashlib.sha256(key.encode()).hexdigest()[:40]

    def _prune(self) -> None:
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY
        cutoff = time.time() - KEEP_SECONDS
        for path in self.directory.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                continue
