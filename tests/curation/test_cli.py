"""`advisor kb gaps | accept | draft | dismiss | stale | lint | reload | reviewed | audit`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.curation.audit import AuditLog
from bot.curation.quality import Quality
from bot.log import ConversationLog
from bot.server_process import write_pid_file
from knowledge import load_knowledge_base
from tests.curation.conftest import record
from tests.factories import make_answer

runner = CliRunner()
QUESTIONS = ("the zorbex rota double books our night crews",
             "zorbex rota keeps double booking night crews",
             "why does the zorbex rota double book the crews at night")


@pytest.fixture(autouse=True)
def _env(cli_env: None) -> None:
    """Every test here runs `advisor kb …` in its own data folder and base."""


@pytest.fixture
def cluster_id(conversation_log: ConversationLog) -> str:
    for q in QUESTIONS:
        record(conversation_log, q, make_answer("communication", confidence=0.2, entries=()))
    record(conversation_log, "where is the printer", make_answer(None, confidence=0.05))
    conversation_log.flush()
    result = runner.invoke(app, ["kb", "gaps"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    header = lines[next(i for i, ln in enumerate(lines) if "zorbex" in ln) - 1]
    return header.split()[0]


def _invoke(*args: str, input: str | None = None):
    result = runner.invoke(app, list(args), input=input)
    return result


def test_gaps_lists_clusters_with_size_topic_and_representative(cluster_id: str) -> None:
    result = _invoke("kb", "gaps", "--days", "7")
    assert result.exit_code == 0, result.output
    assert "1 gap clusters, 3 questions, last 7 days" in result.output
    # the printer question is plainly out of scope: counted apart, listed with --noise
    assert "1 out-of-scope cluster(s), 1 question(s) (small talk, helpdesk and the like) kept " \
           "apart: advisor kb gaps --noise lists them." in result.output
    assert "where is the printer" not in result.output
    listed = _invoke("kb", "gaps", "--days", "7", "--noise")
    assert "Out of scope (1 clusters):" in listed.output
    assert "where is the printer" in listed.output
    row = next(ln for ln in result.output.splitlines() if ln.startswith(cluster_id))
    assert "3 question(s)" in row and "likely topic: " in row and "[low_confidence 3]" in row
    assert len(cluster_id) == 12


def test_gaps_export_yaml_is_a_reviewable_proposal(cluster_id: str, tmp_path: Path) -> None:
    target = tmp_path / "patch.yaml"
    result = _invoke("kb", "gaps", "--export", str(target))
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert text.startswith("# Knowledge-base gaps:")
    doc = yaml.safe_load(text)
    [cluster] = [c for c in doc["clusters"] if c["id"] == cluster_id]
    assert sorted(cluster["questions"]) == sorted(QUESTIONS) and cluster["size"] == 3
    proposal = cluster["proposal"]
    assert proposal["action"] == "add_situations" and proposal["entry"]
    assert proposal["diff"].startswith(f"--- a/{proposal['file']}\n+++ b/{proposal['file']}\n")
    assert "+  - zorbex rota keeps double booking night crews" in proposal["diff"]


def test_gaps_export_diff_applies_with_git(cluster_id: str, tmp_path: Path, kb_copy: Path) -> None:
    target = tmp_path / "gaps.diff"
    assert _invoke("kb", "gaps", "--export", str(target)).exit_code == 0
    doc = yaml.safe_load(_export_yaml(tmp_path))
    entry = next(c["proposal"]["entry"] for c in doc["clusters"] if c["id"] == cluster_id)

    subprocess.run(["git", "apply", "-p1", str(target)], cwd=kb_copy.parent, check=True)

    situations = load_knowledge_base(kb_copy).entries_by_id[entry].situations
    assert set(QUESTIONS) <= set(situations)


def _export_yaml(tmp_path: Path) -> str:
    target = tmp_path / "again.yaml"
    assert _invoke("kb", "gaps", "--export", str(target)).exit_code == 0
    return target.read_text()


def test_accept_writes_the_entry_and_audits_the_os_user(cluster_id: str, kb_copy: Path,
                                                        conversation_log: ConversationLog) -> None:
    result = _invoke("kb", "accept", cluster_id[:6], "--entry", "measurement-entry-2", "--no-check")

    assert result.exit_code == 0, result.output
    assert "+  - zorbex rota keeps double booking night crews" in result.output
    assert f"wrote {kb_copy / 'measurement.yaml'}" in result.output
    assert "no advisor server is running" in result.output
    situations = load_knowledge_base(kb_copy).entries_by_id["measurement-entry-2"].situations
    assert set(QUESTIONS) <= set(situations)
    [event] = AuditLog(conversation_log.database.engine).recent()
    assert event.actor.startswith("cli:") and event.action == "add_situations"
    assert "zorbex" not in _invoke("kb", "gaps").output  # dealt with

    audit = _invoke("kb", "audit")
    assert audit.exit_code == 0 and "add_situations" in audit.output and "cli:" in audit.output


def _fake_measure(kb_copy: Path):
    def measure(kb_path: Path, **_: object) -> Quality:
        cv = 0.90 if Path(kb_path) == kb_copy else 0.86
        return Quality("v", cv, 0.8, None, 0, 5)
    return measure


def test_accept_asks_before_a_change_that_lowers_accuracy(
        cluster_id: str, kb_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.curation.service.measure", _fake_measure(kb_copy))
    before = (kb_copy / "measurement.yaml").read_text()

    refused = _invoke("kb", "accept", cluster_id, "--entry", "measurement-entry-2", input="n\n")

    assert refused.exit_code == 1
    assert "cross-validation accuracy 90.0% → 86.0% (-4.0 points)" in refused.output
    assert "Apply anyway?" in refused.output and "not applied" in refused.output
    assert (kb_copy / "measurement.yaml").read_text() == before

    forced = _invoke("kb", "accept", cluster_id, "--entry", "measurement-entry-2", "--yes")
    assert forced.exit_code == 0, forced.output
    assert (kb_copy / "measurement.yaml").read_text() != before


def test_draft_adds_a_new_entry(cluster_id: str, kb_copy: Path) -> None:
    result = _invoke(
        "kb", "draft", cluster_id, "--topic", "strategy-governance",
        "--title", "Fix double bookings in the rota tool",
        "--summary", "Find out why it double-books. Fix the rules first.",
        "--action", "Pull a month of bookings.", "--action", "Find the failing rule.",
        "--action", "Fix and retest.",
        *[arg for n in range(5) for arg in ("--situation", f"the rota books crew {n} twice")],
        "--no-check")
    assert result.exit_code == 0, result.output
    entry = load_knowledge_base(kb_copy).entries_by_id["fix-double-bookings-in-the-rota-tool"]
    assert entry.topic == "strategy-governance" and len(entry.situations) == 8


def test_an_invalid_draft_prints_every_error_with_file_and_line(cluster_id: str,
                                                                kb_copy: Path) -> None:
    result = _invoke("kb", "draft", cluster_id, "--topic", "measurement", "--title", "Thin",
                     "--summary", "One. Two.", "--action", "x", "--no-check")
    assert result.exit_code == 1
    assert f"{kb_copy / 'measurement.yaml'}:" in result.output
    assert "situations: at least 8 required" in result.output
    assert "nothing was changed" in result.output


def test_the_options_a_cluster_was_listed_with_travel_with_its_reference(cluster_id: str) -> None:
    # Given the inbox listed with another window and confidence line than the defaults
    listing = _invoke("kb", "gaps", "--days", "60", "--low-confidence", "0.6")
    assert listing.exit_code == 0, listing.output
    ref = next(ln.split()[0] for ln in listing.output.splitlines() if ln.startswith(cluster_id))
    assert ref == f"{cluster_id}@60d,0.60"
    # When the admin acts on the reference as shown, Then the same cluster is found
    dismissed = _invoke("kb", "dismiss", ref)
    assert dismissed.exit_code == 0, dismissed.output
    assert f"dismissed cluster {cluster_id} (3 questions)" in dismissed.output
    bad = _invoke("kb", "dismiss", f"{cluster_id}@sixty")
    assert bad.exit_code == 1 and "is not a cluster reference" in bad.output


def test_dismiss_and_unknown_clusters(cluster_id: str) -> None:
    result = _invoke("kb", "dismiss", cluster_id)
    assert result.exit_code == 0 and f"dismissed cluster {cluster_id} (3 questions)" in result.output
    again = _invoke("kb", "dismiss", cluster_id)
    assert again.exit_code == 1 and "no open gap cluster" in again.output


def test_stale_lists_overdue_entries_with_owner(kb_copy: Path) -> None:
    assert "no entries are past their review date" in _invoke("kb", "stale").output
    path = kb_copy / "communication.yaml"
    path.write_text(path.read_text().replace("last_reviewed: '2026-11-01'",
                                             "last_reviewed: '2020-01-01'", 1))
    result = _invoke("kb", "stale")
    assert result.exit_code == 0
    row = next(ln for ln in result.output.splitlines() if "communication-entry-0" in ln)
    assert "owner: Synthetic team" in row and "last reviewed 2020-01-01" in row
    assert f"{kb_copy / 'communication.yaml'}:" in row


def test_reviewed_marks_today_and_audits(kb_copy: Path, conversation_log: ConversationLog) -> None:
    result = _invoke("kb", "reviewed", "communication-entry-0")
    assert result.exit_code == 0, result.output
    assert "communication-entry-0: last reviewed 2026-11-01 → " in result.output
    [event] = AuditLog(conversation_log.database.engine).recent()
    assert event.action == "mark_reviewed" and event.actor.startswith("cli:")


def test_lint_reports_each_check(conversation_log: ConversationLog) -> None:
    record(conversation_log, "q", make_answer("communication", confidence=0.9,
                                              entries=("communication-entry-0",)))
    conversation_log.flush()
    result = _invoke("kb", "lint", "--no-cv", "--days", "7")
    assert result.exit_code == 0, result.output
    assert "near-duplicate situations across topics: 0" in result.output
    assert "thin topics: 0" in result.output
    assert "entries never recommended in the last 7 days (1 exchanges): 39" in result.output
    assert "communication-entry-0\n" not in result.output
    assert "cross-validation skipped" in result.output


def test_reload_without_a_server_says_so() -> None:
    result = _invoke("kb", "reload")
    assert result.exit_code == 1 and "no advisor server is running" in result.output


HUP_CHILD = """
import signal, sys, time
signal.signal(signal.SIGHUP, lambda *_: sys.exit(7))
print("ready", flush=True)
time.sleep(120)
"""


@pytest.fixture
def server(data_dir: Path):
    proc = subprocess.Popen([sys.executable, "-c", HUP_CHILD], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    write_pid_file(data_dir, pid=proc.pid)
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_reload_signals_the_running_server(server: subprocess.Popen[str], kb_copy: Path) -> None:
    result = _invoke("kb", "reload")
    assert result.exit_code == 0, result.output
    version = load_knowledge_base(kb_copy).version
    assert f"asked the advisor server (pid {server.pid}) to reload knowledge base {version}" in (
        result.output)
    assert server.wait(timeout=60) == 7  # it got SIGHUP


def test_reload_of_an_invalid_base_prints_errors_and_leaves_the_server_alone(
        server: subprocess.Popen[str], kb_copy: Path) -> None:
    path = kb_copy / "measurement.yaml"
    path.write_text(path.read_text() + "oops: [\n")
    result = _invoke("kb", "reload")
    assert result.exit_code == 1
    assert f"{path}:" in result.output and "invalid YAML" in result.output
    assert "keeps serving its current version" in result.output
    assert server.poll() is None


def test_questions_asked_on_the_command_line_reach_the_gaps_inbox() -> None:
    for q in QUESTIONS:
        asked = _invoke("ask", "--json", q)
        assert asked.exit_code == 0 and '"topic": null' in asked.output, asked.output
    result = _invoke("kb", "gaps")
    assert result.exit_code == 0, result.output
    assert "1 gap clusters, 3 questions" in result.output


def test_a_confident_misroute_in_the_terminal_reaches_the_gaps_inbox(kb_copy: Path) -> None:
    # Given a chat answer and a one-shot answer the user judges as misses
    topics = load_knowledge_base(kb_copy).topics
    chat = _invoke("chat", input=f"{QUESTIONS[0]}\nwrong\n{QUESTIONS[1]}\nwrong {topics[1].id}\nquit\n")
    assert chat.exit_code == 0, chat.output
    assert "Noted as not helpful" in chat.output
    one_shot = _invoke("ask", QUESTIONS[2])
    assert one_shot.exit_code == 0, one_shot.output
    exchange_id = one_shot.output.split("advisor feedback ")[1].split()[0]
    # When the one-shot miss is reported with advisor feedback
    said = _invoke("feedback", exchange_id, "not-helpful")
    assert said.exit_code == 0 and f"noted: exchange {exchange_id} was not-helpful" in said.output
    # Then all three are gaps with the reason the user gave
    listing = _invoke("kb", "gaps", "--low-confidence", "0")
    assert listing.exit_code == 0, listing.output
    assert "not_helpful 2" in listing.output and "rerouted 1" in listing.output, listing.output


def test_feedback_refuses_what_it_cannot_record(kb_copy: Path) -> None:
    assert "is not an exchange id" in _invoke("feedback", "abc", "helpful").output
    ok_id = "0" * 32
    assert "no topic 'nowhere'" in _invoke("feedback", ok_id, "--topic", "nowhere").output
    assert "say helpful or not-helpful" in _invoke("feedback", ok_id, "maybe").output


def test_audit_shows_what_changed_and_both_listings_speak_json(cluster_id: str) -> None:
    # Given the inbox as JSON, one object per cluster with the reference to act on
    listed = [json.loads(line) for line in _invoke("kb", "gaps", "--json").output.splitlines()]
    [zorbex] = [c for c in listed if c["ref"] == cluster_id]
    assert zorbex["size"] == 3 and zorbex["noise"] is False
    assert sorted(zorbex["questions"]) == sorted(QUESTIONS)
    assert [c["noise"] for c in listed] == sorted(c["noise"] for c in listed)  # noise last
    # When the cluster is accepted, Then the audit says which situations came from which cluster
    assert _invoke("kb", "accept", cluster_id, "--entry", "measurement-entry-2",
                   "--no-check").exit_code == 0
    text = _invoke("kb", "audit").output
    assert f"from gap cluster {cluster_id} (3 questions)" in text
    assert all(f"+ {q!r}" in text for q in QUESTIONS)
    [event] = [json.loads(line) for line in _invoke("kb", "audit", "--json").output.splitlines()]
    assert event["action"] == "add_situations" and event["detail"]["cluster"]["id"] == cluster_id
    assert set(QUESTIONS) <= set(event["after"]["situations"])
