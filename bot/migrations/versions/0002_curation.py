"""Curation: the admin audit log and resolved knowledge-base gaps.

Revision ID: 0002_curation
Revises: 0001
Create Date: 2025-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0002_curation"
down_revision = "0001"
branch_labels = None
depends_on = None

_str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", _str(length=64), nullable=False),
        sa.Column("action", _str(length=32), nullable=False),
        sa.Column("target", _str(length=128), nullable=False),
        sa.Column("before", _str(), nullable=True),
        sa.Column("after", _str(), nullable=True),
        sa.Column("detail", _str(), nullable=True),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_index("ix_audit_event_actor", "audit_event", ["actor"])
    op.create_index("ix_audit_event_action", "audit_event", ["action"])
    op.create_index("ix_audit_event_target", "audit_event", ["target"])

    op.create_table(
        "gap_resolution",
        sa.Column("exchange_id", _str(length=32), primary_key=True),
        sa.Column("cluster_id", _str(length=16), nullable=False),
        sa.Column("action", _str(length=16), nullable=False),
        sa.Column("target", _str(length=128), nullable=True),
        sa.Column("actor", _str(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_gap_resolution_cluster_id", "gap_resolution", ["cluster_id"])
    op.create_index("ix_gap_resolution_at", "gap_resolution", ["at"])


def downgrade() -> None:
    op.drop_table("gap_resolution")
    op.drop_table("audit_event")
