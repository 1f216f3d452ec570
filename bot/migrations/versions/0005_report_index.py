"""Reports: one index holding every column the report counts, in time order.

`advisor report` tallies a period's exchanges by week, topic, surface, confidence and
recommended entries; with this index the database reads the period's slice of it in order
instead of looking each row up (on SQLite, 5 times less CPU per row; `python bench/report.py`).

Revision ID: 0005_report_index
Revises: 0004_slack_installations
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0005_report_index"
down_revision = "0004_slack_installations"
branch_labels = None
depends_on = None

COLUMNS = ["created_at", "topic", "surface", "confidence", "ambiguous", "entry_ids"]


def upgrade() -> None:
    op.create_index("ix_exchange_report", "exchange", COLUMNS)


def downgrade() -> None:
    op.drop_index("ix_exchange_report", table_name="exchange")
