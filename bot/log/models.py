"""The conversation log's tables. Times are UTC; user keys are HMACs, never raw ids.

Feedback carries its exchange id without a foreign-key constraint: feedback can reach the
database before its exchange (the exchange may still sit in another process's spool), and
purge/forget delete both explicitly.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class Exchange(SQLModel, table=True):
    """One question and what the advisor answered."""

    __tablename__ = "exchange"
    __table_args__ = (
        Index("ix_exchange_topic_created", "topic", "created_at"),
        Index("ix_exchange_team_created", "team_id", "created_at"),
        # every column `advisor report` counts, in time order (migration 0005)
        Index("ix_exchange_report", "created_at", "topic", "surface", "confidence", "ambiguous",
              "entry_ids"),
    )

    id: str = Field(primary_key=True, max_length=32)
    created_at: dt.datetime = Field(index=True)
    surface: str = Field(max_length=16)
    team_id: str | None = Field(default=None, max_length=32)
    channel_type: str | None = Field(default=None, max_length=16)
    thread_ts: str | None = Field(default=None, max_length=32)
    user_key: str | None = Field(default=None, index=True, max_length=64)
    question: str
    topic: str | None = Field(default=None, max_length=64)
    confidence: float
    abstained: bool = Field(index=True)
    ambiguous: bool
    out_of_scope: bool = False
    entry_ids: str = ""  # comma-separated recommended entry ids, best first
    kb_version: str = Field(max_length=64)
    model_version: str = Field(max_length=64)
    latency_ms: float
    event_id: str | None = Field(default=None, unique=True, index=True, max_length=128)


class Feedback(SQLModel, table=True):
    """A reaction to an exchange: helpful, not helpful, or a topic chosen when ambiguous."""

    __tablename__ = "feedback"

    id: str = Field(primary_key=True, max_length=32)
    exchange_id: str = Field(index=True, max_length=32)
    created_at: dt.datetime = Field(index=True)
    user_key: str | None = Field(default=None, index=True, max_length=64)
    kind: str = Field(index=True, max_length=16)
    value: str | None = Field(default=None, max_length=128)


class ChecklistItem(SQLModel, table=True):
    """Whether one checklist item is done in a scope (`user:<key>` or `channel:<id>`).

    Unticked items keep their row (done=False) so replayed writes resolve by `updated_at`.
    """

    __tablename__ = "checklist_item"

    scope: str = Field(primary_key=True, max_length=96)
    checklist_id: str = Field(primary_key=True, max_length=96)
    item: int = Field(primary_key=True)
    done: bool
    updated_at: dt.datetime = Field(index=True)


class ProcessedEvent(SQLModel, table=True):
    """A Slack event (or channel:ts) already claimed by some worker; answered once."""

    __tablename__ = "processed_event"

    key: str = Field(primary_key=True, max_length=160)
    seen_at: dt.datetime = Field(index=True)


class Erasure(SQLModel, table=True):
    """A forgotten user, or workspace (`team:<team id>`): spooled records of theirs from before
    `erased_at` are dropped."""

    __tablename__ = "erasure"

    user_key: str = Field(primary_key=True, max_length=64)  # a user key, or `team:<team id>`
    erased_at: dt.datetime = Field(index=True)


TABLES = {
    "exchange": Exchange.__table__,
    "feedback": Feedback.__table__,
    "checklist": ChecklistItem.__table__,
    "event": ProcessedEvent.__table__,
}


class ExpertRequest(SQLModel, table=True):
    """A question a user chose to hand to a person ("Ask a person"), and the expert's answer.

    `question` is what the asker confirmed, redacted; `asker_id` is the Slack user id answers
    are relayed to (the one raw id the log keeps, because relaying needs it), `user_key` its
    HMAC for `forget`, and `named` whether the experts were told who asked; `answered_by` is
    the first expert's key, never their id. `team_id` and `enterprise_id` are the workspace
    (and Grid organisation) it was asked in, whose bot posts it; both None when it was asked
    in the terminal or saved before migration 0006 (the single-workspace install). Follows
    the log's retention and `advisor log forget`.
    """

    __tablename__ = "expert_request"
    __table_args__ = (Index("ix_expert_request_post", "posted_channel", "posted_ts"),
                      Index("ix_expert_request_team", "team_id", "status"))

    id: str = Field(primary_key=True, max_length=32)
    created_at: dt.datetime = Field(index=True)
    surface: str = Field(max_length=16)
    team_id: str | None = Field(default=None, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    user_key: str | None = Field(default=None, index=True, max_length=64)
    asker_id: str | None = Field(default=None, max_length=32)
    named: bool = False
    exchange_id: str | None = Field(default=None, max_length=32)
    question: str
    entry_id: str | None = Field(default=None, max_length=128)
    route: str | None = Field(default=None, max_length=64)  # an owner's id, or the channel
    status: str = Field(index=True, max_length=16)  # saved, posted, answered
    posted_channel: str | None = Field(default=None, max_length=32)
    posted_ts: str | None = Field(default=None, max_length=32)
    posted_at: dt.datetime | None = None
    reminded_at: dt.datetime | None = None
    answer: str | None = None  # the experts' replies, redacted
    answered_by: str | None = Field(default=None, max_length=64)
    answered_at: dt.datetime | None = None
    relayed_at: dt.datetime | None = None
