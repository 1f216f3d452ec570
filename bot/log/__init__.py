"""The conversation log: every exchange recorded, redacted and pseudonymous.

`ConversationLog.record()` hands an exchange to a background writer and returns at once;
the writer batches rows into SQLite or PostgreSQL, or into a local spool when the
database is unreachable, and replays the spool exactly once when it is back.

Files, all in ADVISOR_DATA_DIR (default ~/.local/share/transformation-advisor):
`advisor.db` (the SQLite log when DATABASE_URL is unset, WAL mode), `spool/` (records
waiting for the database), `log-hmac.key` (the pseudonymization secret when
LOG_HMAC_SECRET is unset; mode 0600).

Names are imported lazily (PEP 562) so `bot.log.cli` can be registered with the
`advisor` command without importing SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.log.conversation import ConversationLog
    from bot.log.db import LogError
    from bot.log.records import ExchangeIn, FeedbackKind, Stats, Surface
    from bot.log.redaction import redact

_WHERE = {
    "ConversationLog": "bot.log.conversation",
    "FeedbackKind": "bot.log.records",
    "LogError": "bot.log.db",
    "ExchangeIn": "bot.log.records",
    "Stats": "bot.log.records",
    "Surface": "bot.log.records",
    "redact": "bot.log.redaction",
}

__all__ = ["ConversationLog", "ExchangeIn", "FeedbackKind", "LogError", "Stats", "Surface", "redact"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bot.log' has no attribute {name!r}")
