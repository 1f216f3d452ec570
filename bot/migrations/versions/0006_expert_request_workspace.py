"""Expert requests know their workspace: the team (and Grid organisation) each was asked in,
so that with OAuth distribution it is handed over, relayed and reminded with that
workspace's bot, and counted for that workspace's admins. Existing rows keep NULL: the
single-workspace install (or the terminal).

Revision ID: 0006_expert_request_workspace
Revises: 0005_report_index
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006_expert_request_workspace"
down_revision = "0005_report_index"
branch_labels = None
depends_on = None

_str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.add_column("expert_request", sa.Column("team_id", _str(length=32), nullable=True))
    op.add_column("expert_request", sa.Column("enterprise_id", _str(length=32), nullable=True))
    op.create_index("ix_expert_request_team", "expert_request", ["team_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_expert_request_team", table_name="expert_request")
    with op.batch_alter_table("expert_request") as batch:
        batch.drop_column("enterprise_id")
        batch.drop_column("team_id")
