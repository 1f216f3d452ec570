"""Curation tables, on the conversation log's database and SQLModel metadata.

Times are UTC. Created by the Alembic revision `0002_curation` (`advisor db upgrade`).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class AuditEvent(SQLModel, table=True):
    """One admin action (or a refused attempt): who, when, what, and the values before/after."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_target", "target"),)

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(index=True)
    actor: str = Field(max_length=64, index=True)  # a Slack user id, or "cli:<os user>"
    action: str = Field(max_length=32, index=True)
    target: str = Field(default="", max_length=128)
    before: str | None = None  # JSON
    after: str | None = None  # JSON
    detail: str | None = None  # JSON: cluster, quality figures, knowledge-base version


class GapResolution(SQLModel, table=True):
    """A gap question an admin has dealt with: accepted into an entry, drafted, or dismissed."""

    __tablename__ = "gap_resolution"

    exchange_id: str = Field(primary_key=True, max_length=32)
    cluster_id: str = Field(index=True, max_length=16)
    action: str = Field(max_length=16)
    target: str | None = Field(default=None, max_length=128)
    actor: str = Field(max_length=64)
    at: dt.datetime = Field(index=True)
