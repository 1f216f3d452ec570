"""`advisor db|log|report` for admins, and which CLI runs count as conversations."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.log import ExchangeIn
from bot.log.db import head_revision
from tests.factories import OTHER, make_answer
from tests.log.conftest import Backend
from tests.log.test_log import _old_rows

runner = CliRunner()


def env_for(backend: Backend) -> dict[str, str]:
    return {
        "ADVISOR_DATA_DIR": str(backend.data_dir),
        "DATABASE_URL": backend.database_url or "",
        "LOG_HMAC_SECRET": "test-secret",
    }


def invoke(backend: Backend, *args: str, input: str | None = None):
    return runner.invoke(app, list(args), env=env_for(backend), input=input)


def seed(backend: Backend) -> list[str]:
    log = backend.started()
    ids = []
    for i in range(4):
        ids.append(
            log.record(
                ExchangeIn(
                    "mention",
                    f"How do I brief staff, call +44 20 7946 0958, case {i}",
                    make_answer(),
                    5.0,
                    user_id="U1AAAAAAA",
                )
            )
        )
    ids.append(
        log.record(
            ExchangeIn("dm", "Training plan for clerks?", make_answer(OTHER), 5.0, user_id="U2BBBBBBB")
        )
    )
    for q in (
        "What is the canteen menu today?",
        "canteen menu for friday",
        "<script>alert(1)</script> parking",
    ):
        ids.append(log.record(ExchangeIn("command", q, make_answer(None, confidence=0.1), 5.0)))
    log.record_feedback(ids[0], user_id="U1AAAAAAA", kind="not_helpful")
    log.record_feedback(ids[1], user_id="U1AAAAAAA", kind="helpful")
    log.close()
    return ids


def test_db_upgrade_creates_the_schema(backend: Backend, tmp_path: Path, request) -> None:
    if backend.name == "postgres":
        url = request.getfixturevalue("pg_database")  # a second, empty database
        result = runner.invoke(app, ["db", "upgrade"], env={**env_for(backend), "DATABASE_URL": url})
    else:
        result = invoke(backend, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"schema at {head_revision()}" in result.output


def test_report_on_a_postgres_database_never_upgraded_says_what_to_run(
    pg_database: str, tmp_path: Path
) -> None:
    result = runner.invoke(
        app, ["report"], env={"DATABASE_URL": pg_database, "ADVISOR_DATA_DIR": str(tmp_path)}
    )
    assert result.exit_code == 1
    assert "advisor db upgrade" in result.output


def test_log_purge_older_than(backend: Backend) -> None:
    backend.started(retention_days=10_000).close()
    _old_rows(backend, 120)
    _old_rows(backend, 20)
    result = invoke(backend, "log", "purge", "--older-than", "90d")
    assert result.exit_code == 0, result.output
    assert "purged 1 exchanges older than 90 days" in result.output
    assert backend.count("exchange") == 1


def test_log_purge_refuses_a_bad_age(backend: Backend) -> None:
    result = invoke(backend, "log", "purge", "--older-than", "ninety")
    assert result.exit_code == 2
    assert "90d" in result.output


def test_log_forget_user(backend: Backend) -> None:
    seed(backend)
    result = invoke(backend, "log", "forget", "--user", "U1AAAAAAA")
    assert result.exit_code == 0, result.output
    assert "removed 6 records" in result.output  # 4 exchanges and 2 feedback
    assert backend.count("exchange") == 4


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_log_export(backend: Backend, fmt: str, tmp_path: Path) -> None:
    ids = seed(backend)
    out = tmp_path / f"export.{fmt}"
    result = invoke(backend, "log", "export", "--format", fmt, "--output", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    rows = (
        list(csv.DictReader(io.StringIO(text)))
        if fmt == "csv"
        else [json.loads(line) for line in text.splitlines()]
    )
    assert [r["id"] for r in rows] == ids
    assert rows[0]["feedback"] == "not_helpful" and rows[0]["question"].endswith("[phone], case 0")
    assert "U1AAAAAAA" not in text
    # Only the questions can hold the number: timestamps may contain "7946" by chance.
    assert not any(re.search(r"7946|0958", r["question"]) for r in rows)


def test_log_export_since_a_date(backend: Backend) -> None:
    backend.started(retention_days=10_000).close()
    _old_rows(backend, 40)
    log = backend.started()
    log.record(ExchangeIn("cli", "recent", make_answer(), 1.0))
    log.close()
    result = invoke(backend, "log", "export", "--format", "jsonl", "--since", "2000-01-01")
    assert len(result.stdout.splitlines()) == 2
    import datetime as dt

    from bot.log.store import utcnow

    since = (utcnow() - dt.timedelta(days=7)).strftime("%Y-%m-%d")
    result = invoke(backend, "log", "export", "--format", "jsonl", "--since", since)
    assert [json.loads(line)["question"] for line in result.stdout.splitlines()] == ["recent"]


def test_report_in_the_terminal(backend: Backend) -> None:
    seed(backend)
    result = invoke(backend, "report", "--weeks", "4")
    assert result.exit_code == 0, result.output
    for expected in (
        "Exchanges",
        "8",
        "Abstained",
        "38%",
        "Not helpful",
        "50% of 2 rated",
        "Communication and transparency",  # topic titles from the knowledge base, not ids
        "Ambiguous or low confidence",
        "Never recommended:",
        "canteen",
    ):
        assert expected in result.output
    # The two canteen questions are grouped together
    assert "  canteen menu for friday" in result.output or "canteen menu for friday" in result.output


def test_report_html_is_self_contained_and_escaped(backend: Backend, tmp_path: Path) -> None:
    seed(backend)
    page = tmp_path / "report.html"
    result = invoke(backend, "report", "--html", str(page))
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert html.count("<svg") >= 3
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "http://" not in html and "https://" not in html and "src=" not in html


def test_report_without_a_readable_knowledge_base_still_comes_and_says_what_is_missing(
        backend: Backend, tmp_path: Path) -> None:
    seed(backend)
    broken = tmp_path / "kb"
    broken.mkdir()
    (broken / "communication.yaml").write_text("id: [unclosed\n")
    page = tmp_path / "report.html"
    result = runner.invoke(app, ["report", "--html", str(page)],
                           env={**env_for(backend), "ADVISOR_KB_PATH": str(broken)})
    assert result.exit_code == 0, result.output
    assert "warning: the knowledge base could not be read" in result.output
    assert "Exchanges" in result.output and "communication" in result.output  # ids for titles
    assert "made without the knowledge base" in page.read_text()


# -- which CLI runs are conversations -----------------------------------------------------------


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {"ADVISOR_DATA_DIR": str(tmp_path / "data"), "DATABASE_URL": "", "LOG_HMAC_SECRET": "s"}


def _exchanges(env: dict[str, str]) -> list[tuple[str, str]]:
    from bot.log import ConversationLog

    log = ConversationLog(database_url=None, data_dir=Path(env["ADVISOR_DATA_DIR"]), hmac_secret="s")
    log.prepare()
    with log.database.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT surface, question FROM exchange").all()
    log.close()
    return [tuple(r) for r in rows]


def test_advisor_ask_is_logged_as_a_cli_exchange(synthetic_kb_dir: Path, sqlite_env) -> None:
    result = runner.invoke(
        app, ["ask", "--kb", str(synthetic_kb_dir), "mail bob@example.org: staff resist"], env=sqlite_env
    )
    assert result.exit_code == 0, result.output
    # One-shot: handed off to the spool, already redacted, without opening the database ...
    spooled = b"".join(p.read_bytes() for p in (Path(sqlite_env["ADVISOR_DATA_DIR"]) / "spool").iterdir())
    assert b"mail [email]: staff resist" in spooled and b"bob@example.org" not in spooled
    # ... and in the database as soon as an admin command reads the log.
    export = runner.invoke(app, ["log", "export", "--format", "jsonl"], env=sqlite_env)
    assert export.exit_code == 0, export.output
    assert [json.loads(line)["question"] for line in export.stdout.splitlines()] == [
        "mail [email]: staff resist"]
    assert _exchanges(sqlite_env) == [("cli", "mail [email]: staff resist")]


def test_advisor_chat_logs_each_question(synthetic_kb_dir: Path, sqlite_env) -> None:
    result = runner.invoke(
        app,
        ["chat", "--kb", str(synthetic_kb_dir)],
        env=sqlite_env,
        input="staff resist change\ntopics\nwho leads?\nquit\n",
    )
    assert result.exit_code == 0, result.output
    assert [q for _, q in _exchanges(sqlite_env)] == ["staff resist change", "who leads?"]


def test_batch_json_runs_write_nothing(synthetic_kb_dir: Path, sqlite_env) -> None:
    result = runner.invoke(
        app, ["ask", "--json", "--kb", str(synthetic_kb_dir)], env=sqlite_env, input="a\nb\n"
    )
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 2
    assert not (Path(sqlite_env["ADVISOR_DATA_DIR"]) / "advisor.db").exists()


def test_every_exchange_id_is_a_uuid(backend: Backend) -> None:
    for exchange_id in seed(backend):
        assert uuid.UUID(hex=exchange_id).hex == exchange_id


FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
            "\tstarts with a tab"]


def test_csv_export_neutralises_spreadsheet_formulas(backend: Backend, tmp_path: Path) -> None:
    # Given questions that a spreadsheet would run as formulas
    log = backend.started()
    for q in FORMULAS:
        log.record(ExchangeIn("dm", q, make_answer(), 5.0, user_id="U1AAAAAAA"))
    log.close()
    # When the log is exported as CSV, Then each such cell starts with an apostrophe
    out = tmp_path / "export.csv"
    result = invoke(backend, "log", "export", "--format", "csv", "--output", str(out))
    assert result.exit_code == 0, result.output
    questions = [r["question"] for r in csv.DictReader(io.StringIO(out.read_text()))]
    assert sorted(questions) == sorted("'" + q for q in FORMULAS)
