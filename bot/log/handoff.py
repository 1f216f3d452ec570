"""Record one exchange without opening the database: for one-shot commands like `advisor ask`.

Opening the database means importing SQLAlchemy and Alembic and checking the schema, which
would double the start-up time of a command that answers one question and exits. The
exchange is redacted and pseudonymised exactly as `ConversationLog.record` does, then
appended (fsync'ed) to the spool; the next process that opens the log replays it, exactly
once: the server, `advisor chat`, `advisor log replay`, and every admin command that reads
the log (`report`, `log export`, …) before it reads.
"""

from __future__ import annotations

import datetime as dt

from bot.log.ids import new_id
from bot.log.pseudonym import Pseudonymizer, load_secret
from bot.log.records import ExchangeIn, exchange_row, feedback_row
from bot.log.spool import Spool
from bot.settings import Settings


def hand_off(settings: Settings, exchange: ExchangeIn) -> str:
    """Spool `exchange` for the log and return its id."""
    pseudo = Pseudonymizer(load_secret(settings.log_hmac_secret, settings.advisor_data_dir))
    exchange_id = new_id()
    row = exchange_row(exchange, exchange_id, dt.datetime.now(dt.UTC), pseudo)
    Spool(settings.advisor_data_dir / "spool").append([("exchange", row)])
    return exchange_id


def hand_off_feedback(settings: Settings, exchange_id: str, *, kind: str,
                      value: str | None = None) -> None:
    """Spool feedback on an exchange handed off before (`advisor feedback`)."""
    row = feedback_row(exchange_id, user_key=None, kind=kind, value=value,
                       at=dt.datetime.now(dt.UTC), feedback_id=new_id())
    Spool(settings.advisor_data_dir / "spool").append([("feedback", row)])

