"""Conversation log: exchanges, feedback, checklist progress, processed events, erasures.

Revision ID: 0001
Revises:
Create Date: 2025-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "exchange",
        sa.Column("id", _str(length=32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("surface", _str(length=16), nullable=False),
        sa.Column("team_id", _str(length=32), nullable=True),
        sa.Column("channel_type", _str(length=16), nullable=True),
        sa.Column("thread_ts", _str(length=32), nullable=True),
        sa.Column("user_key", _str(length=64), nullable=True),
        sa.Column("question", _str(), nullable=False),
        sa.Column("topic", _str(length=64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("abstained", sa.Boolean(), nullable=False),
        sa.Column("ambiguous", sa.Boolean(), nullable=False),
        sa.Column("out_of_scope", sa.Boolean(), nullable=False),
        sa.Column("entry_ids", _str(), nullable=False),
        sa.Column("kb_version", _str(length=64), nullable=False),
        sa.Column("model_version", _str(length=64), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("event_id", _str(length=128), nullable=True),
    )
    op.create_index("ix_exchange_created_at", "exchange", ["created_at"])
    op.create_index("ix_exchange_user_key", "exchange", ["user_key"])
    op.create_index("ix_exchange_abstained", "exchange", ["abstained"])
    op.create_index("ix_exchange_topic_created", "exchange", ["topic", "created_at"])
    op.create_index("ix_exchange_event_id", "exchange", ["event_id"], unique=True)

    op.create_table(
        "feedback",
        sa.Column("id", _str(length=32), primary_key=True),
        sa.Column("exchange_id", _str(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_key", _str(length=64), nullable=True),
        sa.Column("kind", _str(length=16), nullable=False),
        sa.Column("value", _str(length=128), nullable=True),
    )
    op.create_index("ix_feedback_exchange_id", "feedback", ["exchange_id"])
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])
    op.create_index("ix_feedback_user_key", "feedback", ["user_key"])
    op.create_index("ix_feedback_kind", "feedback", ["kind"])

    op.create_table(
        "checklist_item",
        sa.Column("scope", _str(length=96), primary_key=True),
        sa.Column("checklist_id", _str(length=96), primary_key=True),
        sa.Column("item", sa.Integer(), primary_key=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_checklist_item_updated_at", "checklist_item", ["updated_at"])

    op.create_table(
        "processed_event",
        sa.Column("key", _str(length=160), primary_key=True),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_processed_event_seen_at", "processed_event", ["seen_at"])

    op.create_table(
        "erasure",
        sa.Column("user_key", _str(length=64), primary_key=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_erasure_erased_at", "erasure", ["erased_at"])


def downgrade() -> None:
    for table in ("erasure", "processed_event", "checklist_item", "feedback", "exchange"):
        op.drop_table(table)
