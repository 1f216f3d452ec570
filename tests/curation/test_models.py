"""The curation tables come from their own Alembic revision and match the models."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlmodel import SQLModel

from bot.curation import models  # noqa: F401  (registers the tables)
from bot.log import ConversationLog
from bot.log.db import current_revision, head_revision

CURATION_TABLES = ("audit_event", "gap_resolution")


def test_the_migration_builds_exactly_the_curation_models(conversation_log: ConversationLog) -> None:
    engine = conversation_log.database.engine
    ours = MetaData()
    for table in CURATION_TABLES:
        SQLModel.metadata.tables[table].to_metadata(ours)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(context, ours) if _table(d) in CURATION_TABLES]
    assert diffs == []
    assert current_revision(engine) == head_revision()  # 0002_curation, and what came after
    indexes = {i["name"] for i in inspect(engine).get_indexes("gap_resolution")}
    assert "ix_gap_resolution_cluster_id" in indexes


def _table(diff: Any) -> str:
    """The table an Alembic autogenerate diff is about (other areas' tables are ignored)."""
    if isinstance(diff, list):
        return _table(diff[0])
    op, subject = diff[0], diff[1]
    if op.endswith("_table"):
        return subject.name
    if op.endswith("_index") or op.endswith("_constraint"):
        return subject.table.name
    return diff[2]  # add/remove/modify column: (op, schema, table, ...)
