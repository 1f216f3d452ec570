"""`advisor db …`, `advisor log …` and `advisor report`: the conversation log for admins.

SQLAlchemy and friends are imported inside the commands, so `advisor --help` stays fast.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from bot.cli_support import err, fail
from bot.cli_support import lines as out

if TYPE_CHECKING:
    from bot.log import ConversationLog

log_app = typer.Typer(help="Purge, forget, export and replay the conversation log.", no_args_is_help=True)
db_app = typer.Typer(help="The conversation log's database schema.", no_args_is_help=True)

_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"


def _open_log(*, replay: bool = True) -> ConversationLog:
    """The log for an admin command: schema ready, spooled records replayed, no writer."""
    from bot.log import ConversationLog, LogError
    from bot.settings import SettingsError, load_settings

    try:
        log = ConversationLog.from_settings(load_settings())
        log.prepare()
        if replay:
            log.replay()  # what one-shot commands handed off, and what waited out an outage
    except (LogError, SettingsError) as error:
        raise fail(str(error)) from None
    return log


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_age(text: str) -> int:
    """'90d', '12w' or '90' → days."""
    match = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", text.lower())
    if not match:
        raise typer.BadParameter(f"{text!r}: give an age such as 90d or 12w")
    n, unit = int(match.group(1)), match.group(2)
    return n * 7 if unit == "w" else n


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Option(help="Target Alembic revision.")] = "head",
) -> None:
    """Apply the conversation log's schema migrations (run on each deploy for PostgreSQL)."""
    from bot.log.db import current_revision, make_engine, normalize_url, safe_url, upgrade
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as error:
        raise fail(str(error)) from None
    engine = make_engine(normalize_url(settings.database_url, settings.advisor_data_dir))
    try:
        upgrade(engine, revision)
        out.print(f"{safe_url(engine)}: schema at {current_revision(engine)}")
    except Exception as error:
        raise fail(f"could not upgrade {safe_url(engine)}: {type(error).__name__}") from error
    finally:
        engine.dispose()


@log_app.command("purge")
def purge(
    older_than: Annotated[str, typer.Option("--older-than", help="Age such as 90d or 12w.")],
) -> None:
    """Delete exchanges and feedback older than the given age (checklist progress is kept)."""
    days = parse_age(older_than)
    log = _open_log()
    try:
        n = _run(lambda: log.purge(older_than_days=days))
    finally:
        log.close()
    out.print(f"purged {n} exchanges older than {days} days")


def _slack_id(kind: str, example: str):  # type: ignore[no-untyped-def]
    """A parameter callback refusing an id not shaped like a Slack `kind` id (exit 2)."""

    def check(value: str | None) -> str | None:
        from bot.settings import SLACK_ENTERPRISE_ID, SLACK_TEAM_ID

        if value is None:
            return None
        shape = SLACK_TEAM_ID if example.startswith("T") else SLACK_ENTERPRISE_ID
        if not shape.fullmatch(value.strip()):
            raise typer.BadParameter(f"{value!r} is not a Slack {kind} id (such as {example})")
        return value.strip()

    return check


@log_app.command("forget")
def forget(
    ctx: typer.Context,
    user: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--user", help="Slack user id, e.g. U012AB3CD.")] = None,
    team: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--team", help="A workspace's team id, e.g. T012AB3CD: erase all of it.",
                     callback=_slack_id("team", "T012AB3CD"))] = None,
    enterprise: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--enterprise", help="A Grid organisation's id, e.g. E012AB3CD: erase "
                     "what its org-wide install recorded without a workspace.",
                     callback=_slack_id("enterprise", "E012AB3CD"))] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Erase a workspace without asking.")] = False,
) -> None:
    """Erase everything of one user (found by their pseudonymous key), or of one workspace.

    A workspace's exchanges go with their feedback and the expert requests made from them;
    the admin audit keeps who erased which workspace when, and how many rows.
    """
    given = [v for v in (user, team, enterprise) if v is not None]
    if len(given) != 1:
        raise fail("give one of --user U…, --team T… or --enterprise E…; see "
                   f"'{ctx.command_path} --help'", code=2)
    if user is not None:
        log = _open_log()
        try:
            n = _run(lambda: log.forget_user(user.strip()))
        finally:
            log.close()
        out.print(f"removed {n} records of that user")
        return
    if team is not None:
        _forget_workspace(team, "workspace", yes=yes)
    else:
        _forget_workspace(given[0], "organisation", yes=yes)


def _forget_workspace(team_id: str, what: str, *, yes: bool) -> None:
    """Count, confirm, erase, audit and print per table what went."""
    name = f"{what} {team_id}"
    log = _open_log()
    try:
        found = _run(lambda: log.workspace_records(team_id))
        if not any(found.values()):
            out.print(f"{name}: nothing in the conversation log; nothing removed")
            return
        out.print(f"{name}: {_tally(found)}")
        if not yes:
            typer.confirm(f"Erase all of {name} from the conversation log? This cannot be undone",
                          abort=True, err=True)
        removed = _run(lambda: log.forget_workspace(team_id))
        _audit_forget(log, name, removed)
    finally:
        log.close()
    out.print(f"removed from {name}:")
    width = max(len(table) for table in removed)
    for table, n in removed.items():
        out.print(f"  {table:<{width}}  {n}")


def _tally(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {table}" for table, n in counts.items())


def _audit_forget(log: ConversationLog, name: str, removed: dict[str, int]) -> None:
    """Record in the admin audit that `name` was erased: who, when, how many rows, no content."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.curation.audit import AuditLog, cli_actor

    try:
        AuditLog(log.database.engine).record(actor=cli_actor(), action="forget_workspace",
                                             target=name, detail={"removed": removed})
    except SQLAlchemyError as error:  # the erasure stands; say that the audit misses it
        err.print(f"warning: {name} is erased, but the audit could not record it "
                  f"({type(error).__name__})")


@log_app.command("export")
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv or jsonl.")] = ExportFormat.csv,
    since: Annotated[
        Optional[dt.datetime],  # noqa: UP045 - Typer needs Optional here
        typer.Option(help="Only exchanges on or after this date (UTC).", formats=_DATE_FORMATS),
    ] = None,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--output", "-o", help="File to write (default: standard output)."),
    ] = None,
) -> None:
    """Export exchanges (redacted, pseudonymous) with their feedback."""
    log = _open_log()
    try:
        if output is None:
            n = _run(lambda: log.queries.export(sys.stdout, fmt=fmt.value, since=_utc(since)))
        else:
            with output.open("w", encoding="utf-8", newline="") as f:
                n = _run(lambda: log.queries.export(f, fmt=fmt.value, since=_utc(since)))
    finally:
        log.close()
    err.print(f"exported {n} exchanges")


@log_app.command("replay")
def replay() -> None:
    """Write records spooled while the database was unreachable (each exactly once)."""
    log = _open_log(replay=False)
    try:
        n = _run(log.replay)
        left = log.spool.pending()
    finally:
        log.close()
    out.print(f"replayed {n} records" + ("; some spool files are busy, run again" if left else ""))


def report(
    weeks: Annotated[int, typer.Option(min=1, help="How many weeks back the period starts.")] = 12,
    html: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--html", help="Also write a self-contained HTML page with charts here."),
    ] = None,
    team: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--team", help="Only one workspace's exchanges (its team id, T…), for the "
                     "admins of one agency when the app is installed in many."),
    ] = None,
) -> None:
    """This period's figures, and the most common unanswered questions grouped by similarity.

    Exchanges per week, topic mix, abstention, ambiguous and not-helpful rates; the HTML page
    adds the trend per topic, the ambiguous and low-confidence answers, the not-helpful rate
    per entry and the entries never recommended.
    """
    from bot.log.console import render_report
    from bot.log.store import utcnow

    until = utcnow()
    since = until - dt.timedelta(weeks=weeks)
    catalogue = _catalogue()
    log = _open_log()
    try:
        grouping = _inbox_grouping if catalogue.entry_ids else None  # None: by words alone
        data = _run(lambda: log.queries.report(since=since, until=until, cluster=grouping,
                                               catalogue=catalogue, team_id=team))
    finally:
        log.close()
    out.print(render_report(data))
    if html is not None:
        from bot.log.html import render_html

        html.write_text(render_html(data), encoding="utf-8")
        out.print(f"wrote {html}")


def _catalogue():  # type: ignore[no-untyped-def]
    """Titles and entries of the current knowledge base; without one that loads, the report
    still comes, with ids for titles and no list of entries never recommended."""
    from bot.log.reports import Catalogue
    from bot.settings import SettingsError, load_settings
    from knowledge import load_knowledge_base
    from knowledge.errors import KnowledgeBaseError

    try:
        return Catalogue.of(load_knowledge_base(load_settings().advisor_kb_path))
    except SettingsError as error:
        raise fail(str(error)) from None
    except KnowledgeBaseError as error:
        first = str(error).strip().splitlines()[0].rstrip(":") if str(error).strip() else "invalid"
        err.print(f"warning: the knowledge base could not be read ({first}; `advisor kb validate` "
                  "lists them): topics are shown by id, entries never recommended are not listed, "
                  "and unanswered questions are grouped by their words alone")
        return Catalogue()


def _inbox_grouping(texts: list[str]):  # type: ignore[no-untyped-def]
    """Group the report's unanswered questions as `advisor kb gaps` groups its clusters (the
    advisor is loaded, from the model cache, only when there are questions to group)."""
    from bot.advisor import Advisor
    from bot.curation.gaps import grouping
    from bot.settings import load_settings

    settings = load_settings()
    advisor = Advisor.load(settings.advisor_kb_path, cache_dir=settings.advisor_data_dir / "models")
    return grouping(advisor)(texts)


def _run(fn):  # type: ignore[no-untyped-def]
    from bot.log import LogError

    try:
        return fn()
    except LogError as error:
        raise fail(str(error)) from None
