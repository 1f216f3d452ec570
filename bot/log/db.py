"""One engine per process, built from DATABASE_URL, and Alembic upgrades.

`DATABASE_URL` unset → SQLite file `advisor.db` in the data directory, in WAL mode with
synchronous=NORMAL. `postgresql://…` and Heroku's `postgres://…` → PostgreSQL through
psycopg 3.
"""

from __future__ import annotations

import fcntl
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from knowledge.errors import AdvisorError

log = logging.getLogger(__name__)

SQLITE_FILE = "advisor.db"
MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class LogError(AdvisorError):
    """The conversation log cannot do what was asked; the message says how to fix it."""


def normalize_url(database_url: str | None, data_dir: Path) -> str:
    """The SQLAlchemy URL for a DATABASE_URL value (None → SQLite in `data_dir`)."""
    if not database_url:
        return f"sqlite:///{Path(data_dir) / SQLITE_FILE}"
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix) :]
    return database_url


def make_engine(url: str, *, timeout: float = 10.0) -> Engine:
    """An engine with sensible timeouts; SQLite gets WAL mode and a busy timeout."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            hide_parameters=True,  # error messages must not carry questions or keys
            connect_args={"timeout": timeout, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            cur.close()

        return engine
    return create_engine(
        url,
        hide_parameters=True,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=timeout,
        connect_args={
            "connect_timeout": max(1, int(timeout)),
            "options": f"-c statement_timeout={int(timeout * 1000)}",
        },
    )


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def safe_url(engine: Engine) -> str:
    """The engine's URL with any password masked, fit for messages and logs."""
    return engine.url.render_as_string(hide_password=True)


def is_outage(error: BaseException) -> bool:
    """True when `error` means the database is unreachable, locked or too slow."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, exc.OperationalError | exc.InterfaceError | exc.TimeoutError)


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", safe_url(engine).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (SQLite: under a file lock, safe for many processes)."""
    from alembic import command

    cfg = _alembic_config(engine)
    lock_path = _lock_path(engine)
    lock = open(lock_path, "a") if lock_path else None  # noqa: SIM115 (held for the upgrade)
    try:
        if lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        if lock:
            lock.close()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(create_engine("sqlite://"))
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def check_schema(engine: Engine) -> None:
    """Raise LogError when the schema is not at the newest migration."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        raise LogError(
            f"the conversation log's schema at {safe_url(engine)} is at {current or 'nothing'}, "
            f"expected {head}: run `advisor db upgrade`"
        )


def _lock_path(engine: Engine) -> Path | None:
    if not is_sqlite(engine) or not engine.url.database or engine.url.database == ":memory:":
        return None
    return Path(engine.url.database).with_suffix(".migrate.lock")
