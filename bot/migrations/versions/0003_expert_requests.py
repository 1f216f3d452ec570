"""Expert requests: questions handed to a person, and the experts' answers.

Revision ID: 0003_expert_requests
Revises: 0002_curation
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003_expert_requests"
down_revision = "0002_curation"
branch_labels = None
depends_on = None

_str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "expert_request",
        sa.Column("id", _str(length=32), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("surface", _str(length=16), nullable=False),
        sa.Column("user_key", _str(length=64), nullable=True),
        sa.Column("asker_id", _str(length=32), nullable=True),
        sa.Column("named", sa.Boolean(), nullable=False),
        sa.Column("exchange_id", _str(length=32), nullable=True),
        sa.Column("question", _str(), nullable=False),
        sa.Column("entry_id", _str(length=128), nullable=True),
        sa.Column("route", _str(length=64), nullable=True),
        sa.Column("status", _str(length=16), nullable=False),
        sa.Column("posted_channel", _str(length=32), nullable=True),
        sa.Column("posted_ts", _str(length=32), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answer", _str(), nullable=True),
        sa.Column("answered_by", _str(length=64), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("relayed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_expert_request_created_at", "expert_request", ["created_at"])
    op.create_index("ix_expert_request_user_key", "expert_request", ["user_key"])
    op.create_index("ix_expert_request_status", "expert_request", ["status"])
    op.create_index("ix_expert_request_post", "expert_request", ["posted_channel", "posted_ts"])


def downgrade() -> None:
    op.drop_table("expert_request")
