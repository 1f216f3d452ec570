"""The conversation log: every exchange recorded, redacted and pseudonymous.

`ConversationLog.record()` hands an exchange to a background writer and returns at once;
the writer batches rows into SQLite or PostgreSQL, or into a local spool when the
database is unreachable, and replays the spool exactly once when it is back.
"""

from bot.log.conversation import ConversationLog, FeedbackKind
from bot.log.db import LogError
from bot.log.records import ExchangeIn, Stats, Surface
from bot.log.redaction import redact

__all__ = ["ConversationLog", "ExchangeIn", "FeedbackKind", "LogError", "Stats", "Surface", "redact"]
