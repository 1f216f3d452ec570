"""The whole curation loop without Slack, on a copy of the shipped knowledge base.

Questions the advisor abstains on → a gap cluster → an admin adds them to an entry → the
YAML on disk changes (comments kept) → reload → the same questions now get that entry. A
broken edit never goes live; a non-admin is refused.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from bot.curation.audit import NotAdmin
from bot.curation.service import Curator
from bot.live import LiveAdvisor
from bot.log import ConversationLog
from bot.settings import Settings
from knowledge import KnowledgeBaseError, load_knowledge_base
from tests.curation.conftest import ADMIN, SOMEONE, ZEPHYRIX, record

ENTRY = "phased-rollout-and-parallel-running"


@pytest.fixture
def curator(settings: Settings, conversation_log: ConversationLog, shipped_kb_copy: Path,
            shipped_live: LiveAdvisor) -> Curator:
    return Curator(settings=settings, log=conversation_log, kb_path=shipped_kb_copy,
                   live=shipped_live, measure_quality=False)


def _ask_and_record(log: ConversationLog, live: LiveAdvisor) -> None:
    for q in ZEPHYRIX:
        answer = live.current.answer(q)
        assert answer.abstained, f"precondition: the shipped base should not know {q!r}"
        record(log, q, answer)
    record(log, "where is the printer on floor 3", live.current.answer("where is the printer"))
    log.flush()


def test_abstained_questions_become_situations_and_then_get_that_entry(
        curator: Curator, conversation_log: ConversationLog, shipped_live: LiveAdvisor,
        shipped_kb_copy: Path) -> None:
    assert load_knowledge_base(shipped_kb_copy).entries_by_id[ENTRY].topic == "pilots-rollout"
    path = shipped_kb_copy / "pilots-rollout.yaml"
    before = path.read_text(encoding="utf-8")
    old = shipped_live.current
    _ask_and_record(conversation_log, shipped_live)

    # The gaps inbox shows them as one cluster.
    clusters = curator.gaps(shipped_live.current)
    cluster = clusters[0]
    assert sorted(cluster.situations) == sorted(ZEPHYRIX)
    assert cluster.size == 4 and sum(cluster.reasons.values()) == 4
    assert set(cluster.reasons) <= {"out_of_scope", "abstained"}  # each one declined

    # An admin adds them to an entry.
    outcome = curator.commit(ADMIN, curator.propose_accept(cluster, ENTRY))

    # The YAML on disk changed as expected: only the new lines, in place, comments kept.
    after = path.read_text(encoding="utf-8")
    changed = [line for line in difflib.ndiff(before.splitlines(), after.splitlines())
               if line[:1] in "+-"]
    assert sorted(changed) == sorted(f'+       - "{q}"' for q in cluster.situations)
    assert after.splitlines()[0] == before.splitlines()[0] and after.startswith("# ")
    entry = load_knowledge_base(shipped_kb_copy).entries_by_id[ENTRY]
    last_old = entry.situations[-len(ZEPHYRIX) - 1]
    lines = after.splitlines()
    i = lines.index(f'      - "{last_old}"')
    assert lines[i + 1:i + 1 + len(ZEPHYRIX)] == [f'      - "{q}"' for q in cluster.situations]
    assert lines[i + 1 + len(ZEPHYRIX)] == "    actions:"

    # Reloaded: the same questions now get that entry.
    assert outcome.reload.startswith("now serving knowledge base")
    assert shipped_live.current is not old and shipped_live.status.changed
    for q in ZEPHYRIX:
        answer = shipped_live.current.answer(q)
        assert answer.topic is not None and answer.topic.id == "pilots-rollout", q
        assert answer.recommendations[0].entry.id == ENTRY, q
    assert old.answer(ZEPHYRIX[0]).abstained  # a request in flight keeps the old advisor
    assert curator.gaps(shipped_live.current)[0].representative.question.startswith("where is")
    [event] = curator.audit.recent()
    assert (event.actor, event.action, event.target) == (ADMIN, "add_situations", ENTRY)


def test_a_broken_edit_never_goes_live_and_errors_name_file_and_line(
        curator: Curator, conversation_log: ConversationLog, shipped_live: LiveAdvisor,
        shipped_kb_copy: Path) -> None:
    old = shipped_live.current
    path = shipped_kb_copy / "pilots-rollout.yaml"
    text = path.read_text(encoding="utf-8")
    line = text[: text.index("  - id: design-pilot-with-exit-criteria")].count("\n") + 1
    path.write_text(text.replace("  - id: design-pilot-with-exit-criteria",
                                 "  - id: Design Pilot!", 1), encoding="utf-8")

    result = curator.live.reload(reason="admin")  # type: ignore[union-attr]

    assert not result.ok and shipped_live.current is old
    assert any(e.startswith(f"{path}:{line}:") or f"pilots-rollout.yaml:{line}:" in e
               for e in result.errors), result.errors
    assert shipped_live.health()["kb_version"] == old.kb.version
    assert shipped_live.current.answer("which service should we pilot first?").topic is not None

    # An edit through the curator that would make the base invalid is refused before writing.
    path.write_text(text, encoding="utf-8")
    _ask_and_record(conversation_log, shipped_live)
    cluster = curator.gaps(shipped_live.current)[0]
    measurement = (shipped_kb_copy / "measurement.yaml").read_text(encoding="utf-8")
    proposal = curator.propose_draft(cluster, topic="measurement", title="Rota tool bookings",
                                     summary="Count them.", actions=["Count."])
    with pytest.raises(KnowledgeBaseError) as caught:
        curator.commit(ADMIN, proposal)
    messages = [str(p) for p in caught.value.problems]
    assert any("measurement.yaml:" in m and "situations: at least 8 required" in m
               for m in messages), messages
    assert (shipped_kb_copy / "measurement.yaml").read_text(encoding="utf-8") == measurement
    assert shipped_live.current is old


def test_a_non_admin_is_refused(curator: Curator, conversation_log: ConversationLog,
                                shipped_live: LiveAdvisor, shipped_kb_copy: Path) -> None:
    _ask_and_record(conversation_log, shipped_live)
    cluster = curator.gaps(shipped_live.current)[0]
    before = (shipped_kb_copy / "pilots-rollout.yaml").read_text(encoding="utf-8")

    with pytest.raises(NotAdmin, match="only knowledge-base admins"):
        curator.commit(SOMEONE, curator.propose_accept(cluster, ENTRY))

    assert (shipped_kb_copy / "pilots-rollout.yaml").read_text(encoding="utf-8") == before
    assert curator.gaps(shipped_live.current)[0].id == cluster.id
    assert [(e.actor, e.action) for e in curator.audit.recent()] == [(SOMEONE, "refused")]
