"""Schema migrations: the Alembic history builds exactly the tables the models describe."""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, inspect, text
from sqlmodel import SQLModel

from bot.log import models  # noqa: F401
from bot.log.db import current_revision, head_revision, make_engine, normalize_url, upgrade
from tests.factories import make_log
from tests.log.conftest import Backend

LOG_TABLES = ("exchange", "feedback", "checklist_item", "processed_event", "erasure",
              "expert_request")


def test_migrations_match_the_models(backend: Backend) -> None:
    backend.make_log().prepare()  # SQLite upgrades itself; PostgreSQL was upgraded by the fixture
    ours = MetaData()
    for table in LOG_TABLES:
        SQLModel.metadata.tables[table].to_metadata(ours)
    with backend.engine.connect() as conn:
        options = {"compare_type": True, "include_name": _only_log_tables}
        context = MigrationContext.configure(conn, opts=options)
        assert compare_metadata(context, ours) == []
    assert current_revision(backend.engine) == head_revision()


def test_migrations_build_the_tables_slack_sdks_oauth_stores_use(backend: Backend) -> None:
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    backend.make_log().prepare()
    theirs = SQLAlchemyInstallationStore("c", backend.engine).metadata
    SQLAlchemyOAuthStateStore(60, backend.engine).oauth_states.to_metadata(theirs)
    with backend.engine.connect() as conn:
        options = {"compare_type": True, "include_name": _only(set(theirs.tables))}
        diffs = compare_metadata(MigrationContext.configure(conn, opts=options), theirs)
    assert diffs == []
    assert set(theirs.tables) == {"slack_installations", "slack_bots", "slack_oauth_states"}


def test_reports_are_served_by_indexes(backend: Backend) -> None:
    backend.make_log().prepare()
    indexes = {i["name"]: i for i in inspect(backend.engine).get_indexes("exchange")}
    assert {"ix_exchange_created_at", "ix_exchange_user_key", "ix_exchange_topic_created",
            "ix_exchange_team_created"} <= set(indexes)
    assert indexes["ix_exchange_event_id"]["unique"]


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a database with no schema yet: a SQLite file, or a fresh PostgreSQL one."""
    url = (request.getfixturevalue("pg_database") if request.param == "postgres"
           else f"sqlite:///{tmp_path}/old.db")
    engine = make_engine(normalize_url(url, tmp_path))
    yield engine
    engine.dispose()


def test_upgrading_from_0005_keeps_expert_requests_as_the_single_workspace_installs(
        empty_database: Engine, tmp_path: Path) -> None:
    # Given a log at the previous head holding an expert request, posted, and an exchange
    upgrade(empty_database, "0005_report_index")
    at = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)
    with empty_database.begin() as conn:
        conn.execute(text(
            "INSERT INTO expert_request (id, created_at, surface, named, question, status, "
            "posted_channel, posted_ts, posted_at) VALUES ('r-old', :at, 'slack', false, "
            "'Who signs off the pilot?', 'posted', 'CEXPERTS1', '1.000200', :at)"), {"at": at})
        conn.execute(text(
            "INSERT INTO exchange (id, created_at, surface, question, confidence, abstained, "
            "ambiguous, out_of_scope, entry_ids, kb_version, model_version, latency_ms) VALUES "
            "('x-old', :at, 'slack', 'q', 0.5, false, false, false, '', 'kb', 'm', 1.0)"),
            {"at": at})
    # When it is upgraded to the head
    upgrade(empty_database)
    assert current_revision(empty_database) == head_revision() == "0006_expert_request_workspace"
    # Then the rows are kept, the request naming no workspace (the single-workspace install)
    with empty_database.connect() as conn:
        rows = conn.execute(text("SELECT id, team_id, enterprise_id, status, posted_ts "
                                 "FROM expert_request")).all()
        assert conn.execute(text("SELECT id FROM exchange")).scalars().all() == ["x-old"]
    assert [tuple(r) for r in rows] == [("r-old", None, None, "posted", "1.000200")]
    indexes = {i["name"] for i in inspect(empty_database).get_indexes("expert_request")}
    assert "ix_expert_request_team" in indexes
    # and the store reads it as before: found by its post, counted for every workspace only
    log = make_log(tmp_path, empty_database.url.render_as_string(hide_password=False))
    try:
        log.start()
        found = log.requests.by_post("CEXPERTS1", "1.000200")
        assert found is not None and found.id == "r-old" and found.team_id is None
        assert log.requests.counts()["posted"] == 1
        assert log.requests.counts(team_id="T0000001")["posted"] == 0
        mine = log.requests.save(surface="slack", user_id="U1AAAAAAA", question="new one",
                                 team_id="T0000001", enterprise_id="E0000001")
        assert [r.id for r in log.requests.listing(team_id="T0000001")] == [mine.id]
        assert {r.id for r in log.requests.listing()} == {mine.id, "r-old"}
    finally:
        log.close()


def test_sqlite_is_in_wal_mode(tmp_path: Path) -> None:
    engine = make_engine(normalize_url(None, tmp_path))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()
    assert (tmp_path / "advisor.db").exists()


def test_heroku_style_urls_use_psycopg_3(tmp_path: Path) -> None:
    assert normalize_url("postgres://u:p@h:5432/d", tmp_path) == "postgresql+psycopg://u:p@h:5432/d"
    assert normalize_url("postgresql://u@h/d", tmp_path) == "postgresql+psycopg://u@h/d"
    assert normalize_url(None, tmp_path) == f"sqlite:///{tmp_path}/advisor.db"


def _start(data_dir: str) -> str | None:
    from bot.log import ConversationLog

    log = ConversationLog(database_url=None, data_dir=Path(data_dir), hmac_secret="s")
    log.start()
    log.close()
    return current_revision(log.database.engine)


def test_many_processes_starting_at_once_upgrade_sqlite_once(tmp_path: Path) -> None:
    with ProcessPoolExecutor(4, mp_context=multiprocessing.get_context("spawn")) as pool:
        revisions = list(pool.map(_start, [str(tmp_path)] * 4))
    assert revisions == [head_revision()] * 4


def _only(tables: set[str] | tuple[str, ...]) -> Callable[..., bool]:
    """An autogenerate filter that compares only `tables`: other areas keep their tables in
    the same database (curation, Slack installations)."""

    def include(name: str | None, type_: str, parents: dict[str, str | None]) -> bool:
        if type_ == "table":
            return name in tables
        return parents.get("table_name") in tables if "table_name" in parents else True

    return include


_only_log_tables = _only(LOG_TABLES)
