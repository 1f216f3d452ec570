"""Pseudonymous user keys: a keyed HMAC of the Slack user id, so admins can count and group
users without seeing who they are. Raw user ids are never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_FILE = "log-hmac.key"


def load_secret(secret: str | None, data_dir: Path) -> bytes:
    """The HMAC secret: LOG_HMAC_SECRET if set, else one generated once and kept in the data dir.

    The generated secret is 32 random bytes (hex) in `<data_dir>/log-hmac.key`, created with
    mode 0600. Keep it with the database: a new secret gives every user a new key, so
    `advisor log forget` would no longer find their older records.
    """
    if secret:
        return secret.encode()
    path = Path(data_dir) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)  # atomic: the first process to get here wins
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip().encode()


def shared_secret_warning(secret: str | None, database_url: str | None) -> str | None:
    """Why a server on a shared (PostgreSQL) log should be given LOG_HMAC_SECRET; None if set.

    Each server would otherwise key users with a secret of its own data folder, so one user
    would get a different key on each server: `advisor log forget` on one server would miss
    the records the others wrote, and a user's recent questions would split between them.
    """
    if secret or not database_url or database_url.startswith("sqlite"):
        return None
    return ("LOG_HMAC_SECRET is not set: this server keys users with a secret generated in "
            "its own data folder. With more than one server on this database, set the same "
            "LOG_HMAC_SECRET on every server, or `advisor log forget` on one server misses "
            "the records the others wrote.")


class Pseudonymizer:
    """Turns raw Slack user ids into stable, non-reversible keys."""

    def __init__(self, secret: bytes):
        self._secret = secret

    def __repr__(self) -> str:
        return "Pseudonymizer(secret=***)"

    def key(self, user_id: str | None) -> str | None:
        if not user_id:
            return None
        return hmac.new(self._secret, user_id.encode(), hashlib.sha256).hexdigest()[:32]

    def scope(self, scope: str) -> str:
        """`user:<raw id>` → `user:<key>`; `channel:<id>` stays as it is."""
        kind, _, value = scope.partition(":")
        if not value or kind not in {"user", "channel"}:
            raise ValueError(f"checklist scope must be 'user:<id>' or 'channel:<id>', got {scope!r}")
        return f"user:{self.key(value)}" if kind == "user" else scope
