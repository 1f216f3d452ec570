"""Fixtures for the conversation log: every backend test runs on SQLite and PostgreSQL.

PostgreSQL: TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test) is only
used to CREATE and DROP a private database `advisor_test_<random>` per test; nothing is
left in it. Where no server answers, the PostgreSQL variants skip and say why.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, text

from bot.log import ConversationLog
from bot.log.db import make_engine, normalize_url, upgrade
from tests.factories import make_log

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def _pg_admin_url() -> str:
    # Test configuration, not the app's: the app reads the environment only in bot/settings.py.
    return os.environ.get("TEST_DATABASE_URL") or PG_DEFAULT


@pytest.fixture(scope="session")
def pg_admin() -> str:
    """A libpq URL of a PostgreSQL server we may create databases on, or skip."""
    url = _pg_admin_url()
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        pytest.skip(f"PostgreSQL not reachable at {url.split('@')[-1]} ({first}); set TEST_DATABASE_URL")
    return url


@contextmanager
def private_database(pg_admin: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (no schema) on `pg_admin`'s server, dropped after."""
    name = f"advisor_test_{secrets.token_hex(6)}"
    with psycopg.connect(pg_admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_admin.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(pg_admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_database(pg_admin: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database (no schema), dropped afterwards."""
    with private_database(pg_admin) as url:
        yield url


@dataclass
class Backend:
    """Where a test's log lives, and helpers to build logs and look at the tables."""

    name: str
    database_url: str | None  # None: SQLite in data_dir, as when DATABASE_URL is unset
    data_dir: Path
    logs: list[ConversationLog] = field(default_factory=list)
    _engine: Engine | None = None

    def make_log(self, **kwargs: Any) -> ConversationLog:
        log = make_log(self.data_dir, **{"database_url": self.database_url, **kwargs})
        self.logs.append(log)
        return log

    def started(self, **kwargs: Any) -> ConversationLog:
        log = self.make_log(**kwargs)
        log.start()
        return log

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = make_engine(normalize_url(self.database_url, self.data_dir))
        return self._engine

    def rows(self, sql: str, **params: Any) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(text(sql), params))

    def count(self, table: str) -> int:
        return self.rows(f"SELECT count(*) FROM {table}")[0][0]

    def dump(self) -> str:
        """Every text value in every log table, for 'this never reaches the database' checks."""
        parts = []
        for table in ("exchange", "feedback", "checklist_item", "processed_event", "erasure",
                      "expert_request"):
            for row in self.rows(f"SELECT * FROM {table}"):
                parts.extend(str(v) for v in row)
        return "\n".join(parts)

    def close(self) -> None:
        for log in self.logs:
            log.close()
        if self._engine is not None:
            self._engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    """The same test on a SQLite file and on a real PostgreSQL database."""
    data_dir = tmp_path / "data"
    if request.param == "sqlite":
        b = Backend("sqlite", None, data_dir)
    else:
        url = request.getfixturevalue("pg_database")
        engine = make_engine(normalize_url(url, data_dir))
        upgrade(engine)  # what `advisor db upgrade` does on deploy
        engine.dispose()
        b = Backend("postgres", url, data_dir)
    try:
        yield b
    finally:
        b.close()
