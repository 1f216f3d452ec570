"""`advisor doctor`: is this server ready to serve? One line per check, each failure with what
to fix, and the start-up checks `advisor serve` refuses to run without.

Checks the tokens (`auth.test`), the granted scopes against those the code uses, the signing
secret's shape, the app-level token, the pseudonym secret, the data folder, the log's
database and its migrations, and the knowledge base. No secret's value is ever printed.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import typer

from bot.cli_support import lines, print_problems
from knowledge.errors import AdvisorError

if TYPE_CHECKING:
    from bot.settings import Settings

Status = Literal["ok", "warn", "fail"]
SIGNING_SECRET = re.compile(r"^[0-9a-f]{32}$")
MIN_SECRET_CHARS = 32
SHOWN_PROBLEMS = 10
MAKE_SECRET = "python3 -c 'import secrets; print(secrets.token_hex(32))'"


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it went, and what to do about it."""

    name: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{self.status:<4} {self.name}: {self.detail}"


# -- what `advisor serve` also refuses to start without ----------------------------------------


def secret_problem(settings: Settings) -> str | None:
    """Why serving would give users pseudonyms that change, or None when it would not."""
    if settings.log_hmac_secret or settings.advisor_allow_generated_secret:
        return None
    return ("LOG_HMAC_SECRET is not set: without it every new machine or data folder makes "
            "its own pseudonym key and `advisor log forget` misses older records; set the same "
            f"random value on every server (e.g. `{MAKE_SECRET}`), or "
            "ADVISOR_ALLOW_GENERATED_SECRET=1 for a trial")


def data_dir_problem(data_dir: Path) -> str | None:
    """Why the data folder cannot hold the log's spool, claims and keys, or None."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-check-"):
            pass
    except OSError as exc:
        return (f"ADVISOR_DATA_DIR {data_dir} is not writable ({exc.strerror or exc}): give the "
                "service's user write access, or point ADVISOR_DATA_DIR at a persistent folder "
                "(a volume in a container)")
    return None


def startup_problem(settings: Settings) -> str | None:
    """The first reason `advisor serve` must not start, as one line; None to go ahead."""
    return secret_problem(settings) or data_dir_problem(settings.advisor_data_dir)


# -- the checks ---------------------------------------------------------------------------------


def slack_checks(settings: Settings) -> Iterator[Check]:
    """The bot token (auth.test), the scopes it was granted, the signing secret, the app token."""
    from bot.slack.runner import check_slack
    from bot.slack.scopes import BOT_SCOPES

    if not settings.slack_bot_token:
        yield Check("bot token", "fail", "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth "
                    "Token (xoxb-…) from the app's OAuth & Permissions page")
    else:
        try:
            auth = check_slack(settings)
        except AdvisorError as exc:
            yield Check("bot token", "fail", str(exc))
        else:
            yield Check("bot token", "ok", f"workspace {auth.get('team')} ({auth.get('team_id')}), "
                        f"bot user {auth.get('user_id')}")
            yield scope_check(auth.headers, set(BOT_SCOPES))
    yield signing_secret_check(settings.slack_signing_secret, socket_mode=bool(settings.slack_app_token))
    if settings.slack_app_token and settings.slack_bot_token:
        yield app_token_check(settings)


def scope_check(headers: dict[str, object], wanted: set[str]) -> Check:
    """The scopes Slack says it granted (auth.test's `x-oauth-scopes` header) against `wanted`."""
    header = next((str(v) for k, v in headers.items() if k.lower() == "x-oauth-scopes"), None)
    if header is None:
        return Check("scopes", "warn", "Slack did not list the granted scopes (no x-oauth-scopes "
                     "header); compare OAuth & Permissions with manifest.yaml by hand")
    granted = {s.strip() for s in header.split(",") if s.strip()}
    missing, unused = sorted(wanted - granted), sorted(granted - wanted)
    if missing:
        return Check("scopes", "fail", f"missing {', '.join(missing)}: add them under OAuth & "
                     "Permissions → Bot Token Scopes (or paste manifest.yaml again), then "
                     "reinstall the app")
    if unused:
        return Check("scopes", "warn", f"granted but never used: {', '.join(unused)}; remove "
                     "them from the app's scopes and reinstall")
    return Check("scopes", "ok", f"the {len(wanted)} the advisor uses, no more")


def signing_secret_check(secret: str | None, *, socket_mode: bool) -> Check:
    """The signing secret's shape (32 hex characters); not needed in Socket Mode."""
    if not secret:
        if socket_mode:
            return Check("signing secret", "ok", "not set; Socket Mode does not need one")
        return Check("signing secret", "fail", "SLACK_SIGNING_SECRET is not set (HTTP mode): copy "
                     "it from Basic Information → App Credentials; or set SLACK_APP_TOKEN for "
                     "Socket Mode")
    if not SIGNING_SECRET.match(secret):
        return Check("signing secret", "fail", f"SLACK_SIGNING_SECRET is not 32 hex characters "
                     f"(it has {len(secret)} characters): copy the Signing Secret, not the "
                     "Client Secret or a token, from Basic Information → App Credentials")
    return Check("signing secret", "ok", "32 hex characters, as Slack issues them")


def app_token_check(settings: Settings) -> Check:
    """Whether the app-level token may open a Socket Mode connection (apps.connections.open)."""
    from slack_sdk.errors import SlackApiError

    from bot.slack.web import make_client

    client = make_client(settings)
    try:
        client.apps_connections_open(app_token=settings.slack_app_token)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else "refused"
        return Check("app token", "fail", f"SLACK_APP_TOKEN was refused by Slack ({error}): "
                     "generate an app-level token with connections:write under Basic "
                     "Information → App-Level Tokens, and turn Socket Mode on")
    except (OSError, ValueError) as exc:
        return Check("app token", "fail", f"cannot reach Slack's Web API at {client.base_url} "
                     f"({getattr(exc, 'reason', exc)})")
    return Check("app token", "ok", "Socket Mode may connect")


def secret_check(settings: Settings) -> Check:
    problem = secret_problem(settings)
    if problem:
        return Check("pseudonym secret", "fail", problem)
    if not settings.log_hmac_secret:
        return Check("pseudonym secret", "warn", "generated in the data folder "
                     "(ADVISOR_ALLOW_GENERATED_SECRET=1): fine for a trial on one machine; set "
                     "LOG_HMAC_SECRET before you keep real records")
    if len(settings.log_hmac_secret) < MIN_SECRET_CHARS:
        return Check("pseudonym secret", "warn", f"LOG_HMAC_SECRET has only "
                     f"{len(settings.log_hmac_secret)} characters: use at least "
                     f"{MIN_SECRET_CHARS} random ones (`{MAKE_SECRET}`)")
    return Check("pseudonym secret", "ok", "LOG_HMAC_SECRET is set")


def data_dir_check(settings: Settings) -> Check:
    problem = data_dir_problem(settings.advisor_data_dir)
    return Check("data folder", "fail", problem) if problem else \
        Check("data folder", "ok", f"{settings.advisor_data_dir} is writable")


def database_check(settings: Settings, *, timeout: float = 5.0) -> Check:
    """The log's database: reachable, and its schema at the newest migration."""
    from sqlalchemy.engine import make_url

    from bot.log.db import current_revision, head_revision, make_engine, normalize_url

    url = make_url(normalize_url(settings.database_url, settings.advisor_data_dir))
    where = url.render_as_string(hide_password=True)
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and url.database and url.database != ":memory:" and not Path(url.database).exists():
        return Check("database", "ok", f"{where} does not exist yet; `advisor serve` creates it")
    engine = None
    try:
        engine = make_engine(url.render_as_string(hide_password=False), timeout=timeout)
        current, head = current_revision(engine), head_revision()
    except Exception as exc:  # whatever the driver raises, as one line without the password
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return Check("database", "fail", f"cannot open {where} ({type(exc).__name__}: {reason}): "
                     "check DATABASE_URL, that the server runs and that this host may reach it")
    finally:
        if engine is not None:
            engine.dispose()
    if current == head:
        return Check("database", "ok", f"{where}, schema at {head}")
    if sqlite:
        return Check("database", "ok", f"{where}, schema at {current or 'nothing'}; `advisor "
                     f"serve` upgrades it to {head} at start")
    return Check("database", "fail", f"{where}: schema at {current or 'nothing'}, expected {head}: "
                 "run `advisor db upgrade`")


def knowledge_check(settings: Settings) -> tuple[Check, list]:
    """The knowledge base loads; its errors (file:line) come back to be printed under the line."""
    from knowledge import load_knowledge_base
    from knowledge.errors import KnowledgeBaseError

    try:
        kb = load_knowledge_base(settings.advisor_kb_path)
    except KnowledgeBaseError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        return Check("knowledge base", "fail", f"{len(errors)} error(s), listed below; fix them, "
                     "then check with `advisor kb validate`"), errors
    return Check("knowledge base", "ok", f"{kb.version}: {len(kb.topics)} topics, "
                 f"{len(kb.entries_by_id)} entries"), []


def run_checks(settings: Settings, show: Callable[[Check], None]) -> list[Check]:
    """Every check, each shown as soon as it is done (the Slack ones wait on the network)."""
    done: list[Check] = []

    def record(check: Check) -> None:
        done.append(check)
        show(check)

    for check in slack_checks(settings):
        record(check)
    for check in (secret_check(settings), data_dir_check(settings), database_check(settings)):
        record(check)
    check, problems = knowledge_check(settings)
    record(check)
    print_problems(problems[:SHOWN_PROBLEMS])
    return done


def doctor() -> None:
    """Check this server's settings, Slack tokens and scopes, database, data folder and
    knowledge base: one line each, with what to fix. Exit 1 if any check fails."""
    from bot.settings import SettingsError, load_settings

    try:
        settings = load_settings()
    except SettingsError as exc:
        lines.print(f"fail settings: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    if settings.https_proxy:
        from bot.slack.web import SLACK_API

        bypassed = settings.proxy_for(settings.slack_api_url or SLACK_API) is None
        via = "directly (NO_PROXY names it)" if bypassed else "through HTTPS_PROXY"
        lines.print(f"info proxy: Slack's Web API is reached {via}", markup=False, highlight=False)
    checks = run_checks(settings, lambda c: lines.print(c.line(), markup=False, highlight=False))
    failed = [c for c in checks if c.status == "fail"]
    lines.print(f"{len(failed)} problem(s) to fix" if failed else "ready to serve",
                markup=False, highlight=False)
    if failed:
        raise typer.Exit(1)

