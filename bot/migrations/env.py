"""Alembic environment for the conversation log.

`bot.log.db.upgrade` passes a live connection in `config.attributes["connection"]`; the
`alembic` command line (with alembic.ini) builds one from `sqlalchemy.url` instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

from bot.curation import models as _curation  # noqa: F401  (revision 0002's tables)
from bot.log import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from bot.log.db import normalize_url

config = context.config
target_metadata = SQLModel.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = normalize_url(config.get_main_option("sqlalchemy.url"), data_dir=".")
    with create_engine(url).connect() as conn:
        _run(conn)
        conn.commit()
