"""SQL expressions the reports need that SQLite and PostgreSQL spell differently.

Each is a SQLAlchemy construct compiled per dialect, so a query reads the same on both.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, String, func, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Session


class week_start(FunctionElement[Any]):  # lower case: it reads as the SQL function it is
    """The Monday (UTC) of the week a timestamp falls in, as a date."""

    type = Date()
    name = "week_start"
    inherit_cache = True


class first_entry(FunctionElement[Any]):
    """The first id of a comma-separated list (the entry an answer led with; '' if none)."""

    type = String()
    name = "first_entry"
    inherit_cache = True


@compiles(week_start, "sqlite")
def _week_start_sqlite(element: week_start, compiler: Any, **kw: Any) -> str:
    # 'weekday 0' moves forward to the Sunday ending the week (or stays on one); 6 days back
    # is its Monday. SQLite stores these timestamps as UTC text.
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


@compiles(week_start, "postgresql")
def _week_start_postgresql(element: week_start, compiler: Any, **kw: Any) -> str:
    return (f"CAST(date_trunc('week', ({compiler.process(element.clauses, **kw)}) "
            "AT TIME ZONE 'UTC') AS DATE)")


@compiles(first_entry, "sqlite")
def _first_entry_sqlite(element: first_entry, compiler: Any, **kw: Any) -> str:
    ids = compiler.process(element.clauses, **kw)
    return f"substr({ids}, 1, instr({ids} || ',', ',') - 1)"


@compiles(first_entry, "postgresql")
def _first_entry_postgresql(element: first_entry, compiler: Any, **kw: Any) -> str:
    return f"split_part({compiler.process(element.clauses, **kw)}, ',', 1)"


def each_id(ids: ColumnElement[str], dialect: str) -> Any:
    """A table-valued function with one row (column `value`) per id of a comma-separated
    list, to join beside the list's row; ids are slugs, so they need no JSON escaping."""
    if dialect == "postgresql":
        return (func.unnest(func.string_to_array(ids, ",")).table_valued("value")
                .render_derived(name="ids"))
    return func.json_each('["' + func.replace(ids, ",", '","') + '"]').table_valued("value")


def allow_seconds(session: Session, seconds: float) -> None:
    """Let this transaction's statements run up to `seconds` each on PostgreSQL, instead of
    the engine's short timeout meant for the answer path (SQLite has no statement timeout)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL statement_timeout = {int(seconds * 1000)}"))
