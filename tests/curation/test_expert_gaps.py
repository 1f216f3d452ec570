"""Answered expert requests in the gaps inbox: a cluster of their own with the experts' reply,
accepted into an entry or drafted into a new one from the reply, through the usual flow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.curation.audit import AuditLog
from bot.curation.gaps import gap_questions
from bot.log import ConversationLog
from knowledge import load_knowledge_base
from tests.curation.conftest import record
from tests.factories import make_answer
from tests.log.conftest import Backend, backend, pg_admin, pg_database  # noqa: F401 (fixtures)

runner = CliRunner()
QUESTION = "the zorbex rota double books our night crews"
REPLY = ("Ask the rota team to switch off auto-fill in Zorbex. Book night crews by hand for a "
         "month. Review the double bookings every Friday.")


@pytest.fixture(autouse=True)
def _env(cli_env: None) -> None:
    """Every test here runs `advisor kb …` in its own data folder and base."""


@pytest.fixture
def answered(conversation_log: ConversationLog) -> str:
    """An abstained question a user handed to a person, and the expert's answer; its ref."""
    exchange = record(conversation_log, QUESTION, make_answer(None, confidence=0.05))
    record(conversation_log, "zorbex rota keeps double booking night crews",
           make_answer(None, confidence=0.05))
    conversation_log.flush()
    request = conversation_log.requests.save(surface="slack", question=QUESTION,
                                             user_id="U0SOMEONE", exchange_id=exchange)
    conversation_log.requests.mark_posted(request.id, channel="CEXPERTS1", ts="1.2")
    conversation_log.requests.answer(request.id, text=REPLY, expert_id="U0EXPERT1")
    listing = runner.invoke(app, ["kb", "gaps", "--json"])
    assert listing.exit_code == 0, listing.output
    clusters = [json.loads(line) for line in listing.output.splitlines()]
    assert clusters[0]["expert_reply"] == REPLY and clusters[0]["questions"] == [QUESTION]
    # its exchange is not also in another cluster: only the other question is left there
    rest = [q for c in clusters[1:] for q in c["questions"]]
    assert QUESTION not in rest and "zorbex rota keeps double booking night crews" in rest
    return clusters[0]["ref"]


def test_kb_gaps_shows_the_reply_and_an_unanswered_request_is_not_a_cluster(
        answered: str, conversation_log: ConversationLog) -> None:
    conversation_log.requests.save(surface="slack", question="still waiting", user_id="U1")
    shown = runner.invoke(app, ["kb", "gaps"])
    assert shown.exit_code == 0, shown.output
    assert f"{answered}  1 question(s)" in shown.output
    assert f"a person answered: {REPLY!r}" in shown.output
    assert "still waiting" not in shown.output


def test_accepting_an_answered_request_adds_its_question_and_it_leaves_the_inbox(
        answered: str, kb_copy: Path, conversation_log: ConversationLog) -> None:
    result = runner.invoke(app, ["kb", "accept", answered, "--entry", "measurement-entry-2",
                                 "--no-check"])
    assert result.exit_code == 0, result.output
    assert QUESTION in load_knowledge_base(kb_copy).entries_by_id["measurement-entry-2"].situations
    after = runner.invoke(app, ["kb", "gaps", "--json"])
    assert REPLY not in after.output
    [event] = [e for e in AuditLog(conversation_log.database.engine).recent(limit=10)
               if e.action == "add_situations"]
    assert event.target == "measurement-entry-2" and event.detail["cluster"]["size"] == 1


def test_a_new_entry_is_drafted_from_the_reply_with_the_usual_validation(
        answered: str, kb_copy: Path) -> None:
    # Without enough situations the usual validation speaks, file:line and all
    thin = runner.invoke(app, ["kb", "draft", answered, "--topic", "measurement",
                               "--title", "Stop rota double bookings", "--no-check"])
    assert thin.exit_code == 1 and "situations: at least 8 required" in thin.output
    more = [a for n in range(7) for a in ("--situation", f"the rota books night crew {n} twice")]
    result = runner.invoke(app, ["kb", "draft", answered, "--topic", "measurement",
                                 "--title", "Stop rota double bookings", *more, "--no-check"])
    assert result.exit_code == 0, result.output
    entry = load_knowledge_base(kb_copy).entries_by_id["stop-rota-double-bookings"]
    assert entry.summary == REPLY and entry.actions == (
        "Ask the rota team to switch off auto-fill in Zorbex.",
        "Book night crews by hand for a month.", "Review the double bookings every Friday.")
    assert entry.situations[0] == QUESTION


def test_drafting_an_ordinary_cluster_still_needs_summary_and_actions(
        conversation_log: ConversationLog) -> None:
    record(conversation_log, QUESTION, make_answer(None, confidence=0.05))
    conversation_log.flush()
    [cluster] = [json.loads(line) for line in
                 runner.invoke(app, ["kb", "gaps", "--json"]).output.splitlines()]
    result = runner.invoke(app, ["kb", "draft", cluster["ref"], "--topic", "measurement",
                                 "--title", "T", "--no-check"])
    assert result.exit_code == 1 and "--summary and --action are needed" in result.output


def test_the_exchange_of_an_answered_request_leaves_the_other_clusters_on_both_databases(
        backend: Backend) -> None:  # noqa: F811 (the fixture imported above)
    log = backend.started()
    handed = record(log, QUESTION, make_answer(None, confidence=0.05))
    other = record(log, "where do the zorbex crews go", make_answer(None, confidence=0.05))
    log.flush()
    request = log.requests.save(surface="slack", question=QUESTION, user_id="U1",
                                exchange_id=handed)
    log.requests.save(surface="terminal", question="no exchange", user_id=None)  # NULL id
    assert {q.exchange_id for q in gap_questions(log.queries)} == {handed, other}
    log.requests.answer(request.id, text=REPLY, expert_id="U2")
    assert [q.exchange_id for q in gap_questions(log.queries)] == [other]
