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


# -- forgetting a workspace ---------------------------------------------------------------------

GONE, KEPT, ORG = "T0GONE0001", "T0KEPT0001", "E0GRID0001"
LOG_TABLES = ("exchange", "feedback", "expert_request", "checklist_item")
PROG = "root"  # CliRunner's name for the command; `advisor` when installed


def seed_workspaces(backend: Backend) -> dict[str, list[str]]:
    """Two workspaces' exchanges (and an org-wide install's, recorded without a workspace), with
    feedback and expert requests, through the log's own writer; returns each one's exchange ids."""
    log = backend.started()
    ids: dict[str, list[str]] = {GONE: [], KEPT: [], ORG: []}
    for team, users in ((GONE, ("U0ANNA0001", "U0BERT0001")), (KEPT, ("U0CARA0001",)),
                        (ORG, ("U0DAVE0001",))):
        for i, user in enumerate(users * 2):
            ids[team].append(log.record(ExchangeIn(
                "mention", f"{team} question {i}: staff fear the new system", make_answer(), 5.0,
                user_id=user, team_id=team, channel_type="channel", event_id=f"Ev{team}{i}")))
        log.record_feedback(ids[team][0], user_id=users[0], kind="helpful")
        log.record_feedback(ids[team][-1], user_id=users[-1], kind="chose_topic", value="training")
    log.flush()
    for team in (GONE, KEPT):
        log.requests.save(surface="slack", question=f"{team} asks an expert", user_id="U0CARA0001",
                          exchange_id=ids[team][1], team_id=team)
    # a request whose exchange retention has already purged: found by its own workspace
    log.requests.save(surface="slack", question=f"{GONE} asks again", user_id="U0ANNA0001",
                      team_id=GONE)
    log.checklists.set_item(scope="user:U0ANNA0001", checklist_id="comm-faq", item=1, done=True)
    log.close()
    return ids


def log_rows(backend: Backend) -> dict[str, list[tuple]]:
    """Every row of every table the log erases from, in a fixed order."""
    return {t: sorted(tuple(map(str, r)) for r in backend.rows(f"SELECT * FROM {t}"))
            for t in LOG_TABLES}


def test_log_forget_team_erases_that_workspace_and_nothing_of_the_other(backend: Backend) -> None:
    # Given two workspaces' exchanges, feedback and expert requests
    ids = seed_workspaces(backend)
    gone = set(ids[GONE])
    before = log_rows(backend)
    # When an admin forgets one workspace and confirms
    result = invoke(backend, "log", "forget", "--team", GONE, input="y\n")
    # Then it says what it found, and what it removed from each table
    assert result.exit_code == 0, result.output
    assert f"workspace {GONE}: 4 exchange, 2 feedback, 2 expert_request" in result.stdout
    removed = result.stdout.split(f"removed from workspace {GONE}:")[1].split()
    assert removed == ["exchange", "4", "feedback", "2", "expert_request", "2"]
    # And the other workspace's rows (and the organisation's) are all still there, unchanged
    after = log_rows(backend)
    assert after["exchange"] == [r for r in before["exchange"] if r[0] not in gone]
    assert after["feedback"] == [r for r in before["feedback"] if r[1] not in gone]
    assert len(after["exchange"]) == 4 and len(after["feedback"]) == 4
    assert [r.question for r in backend.rows("SELECT question FROM expert_request")] == [
        f"{KEPT} asks an expert"]
    assert after["checklist_item"] == before["checklist_item"]  # ticks are per user, not per workspace
    # And the forgotten one's are gone from every table: no text, id or team id of theirs is left
    dump = backend.dump()
    assert not any(i in dump for i in gone) and f"{GONE} question" not in dump
    assert f"{GONE} asks" not in dump
    assert [r.user_key for r in backend.rows("SELECT user_key FROM erasure")] == [f"team:{GONE}"]
    # And the admin audit records who erased which workspace, with the counts and no content
    audit = backend.rows("SELECT actor, action, target, before, after, detail FROM audit_event")
    assert [(a.action, a.target, a.before, a.after) for a in audit] == [
        ("forget_workspace", f"workspace {GONE}", None, None)]
    assert audit[0].actor.startswith("cli:")
    assert json.loads(audit[0].detail) == {
        "removed": {"exchange": 4, "feedback": 2, "expert_request": 2}}
    shown = invoke(backend, "kb", "audit")
    assert f"forget_workspace  workspace {GONE}" in shown.stdout
    assert "removed 4 exchange, 2 expert_request, 2 feedback" in shown.stdout  # as stored: sorted


def test_log_forget_team_a_second_time_removes_nothing_and_says_so(backend: Backend) -> None:
    seed_workspaces(backend)
    assert invoke(backend, "log", "forget", "--team", GONE, "--yes").exit_code == 0
    before = log_rows(backend)
    # When the same workspace is forgotten again (no --yes: there is nothing to confirm)
    result = invoke(backend, "log", "forget", "--team", GONE)
    # Then nothing is removed, and it says so
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"workspace {GONE}: nothing in the conversation log; nothing removed"
    assert log_rows(backend) == before
    assert backend.count("audit_event") == 1  # the one erasure that happened


def test_log_forget_team_declined_keeps_everything(backend: Backend) -> None:
    seed_workspaces(backend)
    before = log_rows(backend)
    result = invoke(backend, "log", "forget", "--team", GONE, input="n\n")
    assert result.exit_code == 1
    assert "Aborted" in result.output
    assert log_rows(backend) == before
    assert backend.count("erasure") == 0 and backend.count("audit_event") == 0


def test_log_forget_enterprise_erases_what_an_org_wide_install_recorded(backend: Backend) -> None:
    ids = seed_workspaces(backend)
    result = invoke(backend, "log", "forget", "--enterprise", ORG, "--yes")
    assert result.exit_code == 0, result.output
    assert f"removed from organisation {ORG}:" in result.stdout
    left = {r.id for r in backend.rows("SELECT id FROM exchange")}
    assert left == set(ids[GONE]) | set(ids[KEPT])


@pytest.mark.parametrize("option, value", [
    ("--team", "t0gone0001"),  # lower case
    ("--team", "U0ANNA0001"),  # a user id
    ("--team", "T0GONE0001;DROP"),
    ("--team", ""),
    ("--enterprise", GONE),  # a team id where an organisation's is due
])
def test_log_forget_refuses_an_id_not_shaped_like_a_slack_one(
    backend: Backend, option: str, value: str
) -> None:
    seed_workspaces(backend)
    before = log_rows(backend)
    result = invoke(backend, "log", "forget", option, value, "--yes")
    assert result.exit_code == 2
    kind = "team" if option == "--team" else "enterprise"
    assert result.stderr.strip().splitlines() == [
        f"error: invalid value for '{option}': {value!r} is not a Slack {kind} id (such as "
        f"{'T' if kind == 'team' else 'E'}012AB3CD); see '{PROG} log forget --help'"]
    assert log_rows(backend) == before


def test_log_forget_wants_exactly_one_of_user_team_or_enterprise(backend: Backend) -> None:
    for args in ([], ["--user", "U0ANNA0001", "--team", GONE]):
        result = invoke(backend, "log", "forget", *args)
        assert result.exit_code == 2
        assert result.stderr.strip() == (
            f"error: give one of --user U…, --team T… or --enterprise E…; see "
            f"'{PROG} log forget --help'")
