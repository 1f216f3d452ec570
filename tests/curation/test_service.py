"""The curation actions Slack and the CLI share: admin check, edit, quality gate, audit, reload."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.curation.audit import CliActor, NotAdmin
from bot.curation.gaps import GapCluster
from bot.curation.quality import Quality, compare
from bot.curation.service import Curator, NeedsConfirmation, PersonalDataError, Proposal
from bot.live import LiveAdvisor
from bot.log import ConversationLog
from bot.settings import Settings
from knowledge import KnowledgeBaseError, load_knowledge_base
from tests.curation.conftest import ADMIN, OWNER, SOMEONE, record
from tests.factories import make_answer

QUESTIONS = ("the zorbex rota double books our night crews",
             "zorbex rota keeps double booking night crews",
             "why does the zorbex rota double book the crews at night")


@pytest.fixture
def curator(settings: Settings, conversation_log: ConversationLog, kb_copy: Path,
            synthetic_live: LiveAdvisor) -> Curator:
    return Curator(settings=settings, log=conversation_log, kb_path=kb_copy,
                   live=synthetic_live, measure_quality=False)


@pytest.fixture
def cluster(curator: Curator, conversation_log: ConversationLog,
            synthetic_live: LiveAdvisor) -> GapCluster:
    for q in QUESTIONS:
        record(conversation_log, q, make_answer("communication", confidence=0.2, entries=()))
    conversation_log.flush()
    [found] = curator.gaps(synthetic_live.current)
    return found


def _q(cv: float) -> Quality:
    return Quality("v", cv, 0.5, None, 0, 5)


def test_accepting_a_cluster_edits_audits_closes_it_and_reloads(
        curator: Curator, cluster: GapCluster, synthetic_live: LiveAdvisor, kb_copy: Path) -> None:
    old_version = synthetic_live.current.kb.version

    outcome = curator.commit(ADMIN, curator.propose_accept(cluster, "measurement-entry-2"))

    entry = load_knowledge_base(kb_copy).entries_by_id["measurement-entry-2"]
    assert entry.situations[-3:] == QUESTIONS
    assert outcome.kb_version == synthetic_live.current.kb.version != old_version
    assert outcome.reload.startswith("now serving knowledge base")
    [event] = curator.audit.recent()
    assert (event.actor, event.action, event.target) == (ADMIN, "add_situations",
                                                         "measurement-entry-2")
    assert event.after["situations"][-3:] == list(QUESTIONS)
    assert event.before["situations"] == list(entry.situations[:-3])
    assert event.detail["cluster"] == {"id": cluster.id, "size": 3}
    assert curator.gaps(synthetic_live.current) == []


def test_a_non_admin_is_refused_and_nothing_changes(curator: Curator, cluster: GapCluster,
                                                    kb_copy: Path,
                                                    synthetic_live: LiveAdvisor) -> None:
    before = (kb_copy / "measurement.yaml").read_text()
    proposal = curator.propose_accept(cluster, "measurement-entry-2")

    with pytest.raises(NotAdmin):
        curator.commit(SOMEONE, proposal)
    with pytest.raises(NotAdmin):
        curator.dismiss(SOMEONE, cluster)
    with pytest.raises(NotAdmin):
        curator.reload(SOMEONE)

    assert (kb_copy / "measurement.yaml").read_text() == before
    assert [(e.actor, e.action) for e in curator.audit.recent()] == [(SOMEONE, "refused")] * 3
    assert [c.id for c in curator.gaps(synthetic_live.current)] == [cluster.id]


def test_a_change_that_drops_a_figure_by_more_than_two_points_waits_for_confirmation(
        curator: Curator, cluster: GapCluster, kb_copy: Path) -> None:
    planned = curator.propose_accept(cluster, "measurement-entry-2")
    proposal = Proposal(planned.change, cluster, compare(_q(0.80), _q(0.77)))
    before = (kb_copy / "measurement.yaml").read_text()

    with pytest.raises(NeedsConfirmation, match="cross-validation accuracy"):
        curator.commit(ADMIN, proposal)
    assert (kb_copy / "measurement.yaml").read_text() == before

    outcome = curator.commit(ADMIN, proposal, confirmed=True)
    assert outcome.comparison is not None and outcome.comparison.cv_delta == -3.0
    [event] = curator.audit.recent()
    assert event.detail["confirmed_drop"] is True
    assert event.detail["quality"]["cv_delta"] == -3.0


def test_proposals_carry_before_and_after_figures(
        settings: Settings, conversation_log: ConversationLog, kb_copy: Path, cluster: GapCluster,
        tmp_path: Path) -> None:
    dev = tmp_path / "dev.yaml"
    kb = load_knowledge_base(kb_copy)
    dev.write_text(yaml.safe_dump([{"text": e.situations[1], "topic": e.topic}
                                   for e in kb.entries[::3]]))
    measuring = Curator(settings=settings, log=conversation_log, kb_path=kb_copy,
                        dev_set=dev)
    before = (kb_copy / "measurement.yaml").read_text()

    proposal = measuring.propose_accept(cluster, "measurement-entry-2")

    comparison = proposal.comparison
    assert comparison is not None
    assert comparison.before.kb_version == kb.version
    assert comparison.after.kb_version != kb.version
    assert comparison.after.dev_accuracy is not None
    assert comparison.lines()[0].startswith("5-fold cross-validation accuracy ")
    assert (kb_copy / "measurement.yaml").read_text() == before  # measuring wrote nothing
    assert proposal.change.changed


def test_drafting_a_new_entry_from_a_cluster(curator: Curator, cluster: GapCluster,
                                             kb_copy: Path, synthetic_live: LiveAdvisor) -> None:
    extra = [f"the night rota tool books crew {n} twice" for n in range(5)]
    proposal = curator.propose_draft(
        cluster, topic="strategy-governance", title="Fix double bookings in the rota tool",
        summary="Find out why the tool double-books. Fix the rules before adding crews.",
        actions=["Pull a month of bookings.", "Find the rule that fails.", "Fix and retest."],
        situations=extra, owner=OWNER)

    outcome = curator.commit(ADMIN, proposal)

    entry = load_knowledge_base(kb_copy).entries_by_id["fix-double-bookings-in-the-rota-tool"]
    assert entry.topic == "strategy-governance" and entry.owner == OWNER
    assert entry.situations == (*QUESTIONS, *extra)
    assert outcome.change.action == "add_entry"
    assert curator.gaps(synthetic_live.current) == []


def test_an_invalid_draft_is_refused_with_file_and_line_and_the_cluster_stays_open(
        curator: Curator, cluster: GapCluster, kb_copy: Path, synthetic_live: LiveAdvisor) -> None:
    before = (kb_copy / "strategy-governance.yaml").read_text()
    proposal = curator.propose_draft(
        cluster, topic="strategy-governance", title="Too few situations",
        summary="Only three questions. Not enough to learn from.", actions=["a.", "b.", "c."])

    with pytest.raises(KnowledgeBaseError) as caught:
        curator.commit(ADMIN, proposal)

    assert any(p.file.endswith("strategy-governance.yaml") and p.line > 0
               and "situations: at least 8 required" in p.message for p in caught.value.problems)
    assert (kb_copy / "strategy-governance.yaml").read_text() == before
    assert curator.audit.recent() == []
    assert [c.id for c in curator.gaps(synthetic_live.current)] == [cluster.id]


def test_dismissing_is_audited_and_remembered(curator: Curator, cluster: GapCluster,
                                              synthetic_live: LiveAdvisor) -> None:
    audit_id = curator.dismiss(ADMIN, cluster)
    [event] = curator.audit.recent()
    assert (event.id, event.action, event.target) == (audit_id, "dismiss_gap", cluster.id)
    assert event.before == {"questions": list(cluster.situations)}
    assert curator.gaps(synthetic_live.current) == []


def test_the_owner_or_an_admin_may_mark_an_entry_reviewed(curator: Curator, kb_copy: Path) -> None:
    path = kb_copy / "communication.yaml"
    head, tail = path.read_text().split("- id: communication-entry-1\n", 1)
    path.write_text(head + "- id: communication-entry-1\n"
                    + tail.replace("owner: Synthetic team", f"owner: {OWNER}", 1))

    with pytest.raises(NotAdmin):
        curator.mark_reviewed(SOMEONE, "communication-entry-1")
    outcome = curator.mark_reviewed(OWNER, "communication-entry-1")
    curator.mark_reviewed(ADMIN, "communication-entry-0")

    assert outcome.change.before == {"last_reviewed": "2026-11-01"}
    entry = load_knowledge_base(kb_copy).entries_by_id["communication-entry-1"]
    assert entry.last_reviewed.isoformat() == outcome.change.after["last_reviewed"]
    assert [(e.actor, e.action, e.target) for e in curator.audit.recent()] == [
        (ADMIN, "mark_reviewed", "communication-entry-0"),
        (OWNER, "mark_reviewed", "communication-entry-1"),
        (SOMEONE, "refused", "mark_reviewed"),
    ]


def test_without_a_live_advisor_the_server_is_asked_to_reload(
        settings: Settings, conversation_log: ConversationLog, kb_copy: Path,
        cluster: GapCluster) -> None:
    cli_curator = Curator(settings=settings, log=conversation_log, kb_path=kb_copy,
                          measure_quality=False)
    proposal = cli_curator.propose_accept(cluster, "measurement-entry-2")
    outcome = cli_curator.commit(CliActor("cli:ops"), proposal)
    assert outcome.reload.startswith("no advisor server is running")


def _as_logged_long_ago(cluster: GapCluster, questions: tuple[str, ...]) -> GapCluster:
    """The cluster as if its questions had been logged under older, weaker redaction rules."""
    qs = tuple(replace(q, question=text) for q, text in zip(cluster.questions, questions, strict=True))
    return replace(cluster, questions=qs, representative=qs[0])


def test_personal_data_never_reaches_the_knowledge_base(
        curator: Curator, cluster: GapCluster, kb_copy: Path) -> None:
    # Given questions that still hold a name, an address and a date of birth
    personal = _as_logged_long_ago(cluster, (
        "my name is Sarah Jones and the zorbex rota double books me",
        "zorbex rota double booking again, I live at 12 High Street, LS1 4AB",
        "zorbex rota keeps double booking night crews"))
    # When an admin accepts the cluster into an entry
    proposal = curator.propose_accept(personal, "measurement-entry-2")
    outcome = curator.commit(ADMIN, proposal)
    # Then only the impersonal question is added, and the admin is told which were left out
    written = "".join(p.read_text() for p in kb_copy.glob("*.yaml"))
    for trace in ("Sarah", "Jones", "High Street", "LS1"):
        assert trace not in written
    entry = load_knowledge_base(kb_copy).entries_by_id["measurement-entry-2"]
    assert entry.situations[-1] == "zorbex rota keeps double booking night crews"
    assert [r.text for r in outcome.refused] == [
        "my name is [name] and the zorbex rota double books me",
        "zorbex rota double booking again, I live at [address], [postcode]"]
    assert outcome.refused[0].reasons == ("held personal data ([name])", "says 'my name is'")
    assert curator.audit.recent()[0].detail["refused_personal"] == 2


def test_a_cluster_that_is_all_personal_is_refused_and_nothing_is_written(
        curator: Curator, cluster: GapCluster, kb_copy: Path) -> None:
    before = {p: p.read_text() for p in kb_copy.glob("*.yaml")}
    personal = _as_logged_long_ago(cluster, (
        "zorbex rota, DOB 03/04/1971, please fix my shifts",
        "Regards, Anna Kowalska: the zorbex rota double books me",
        "my NI number is QQ 12 34 56 C and the zorbex rota is wrong"))
    with pytest.raises(PersonalDataError, match="every question still looks personal"):
        curator.propose_accept(personal, "measurement-entry-2")
    assert {p: p.read_text() for p in kb_copy.glob("*.yaml")} == before
