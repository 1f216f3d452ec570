"""The advisor on the shipped knowledge base: quality on the development set, answer shape."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.advisor import Advisor
from bot.evaluation import evaluate_file
from knowledge import load_knowledge_base

DEV_SET = Path(__file__).parent.parent / "data" / "dev_set.yaml"


@pytest.fixture(scope="module")
def dev_report(shipped_advisor: Advisor):
    return evaluate_file(shipped_advisor, DEV_SET)


def test_dev_set_is_big_enough(dev_report):
    assert dev_report.n_in_scope >= 150 and dev_report.n_out_of_scope >= 25
    assert all(s.support >= 10 for s in dev_report.per_label)


def test_top1_accuracy_on_in_scope_dev_messages(dev_report):
    assert dev_report.accuracy_in_scope >= 0.85


def test_out_of_scope_dev_messages_are_abstained(dev_report):
    assert dev_report.abstained_out_of_scope >= 0.80


def test_in_scope_dev_messages_are_rarely_abstained(dev_report):
    assert dev_report.abstained_in_scope <= 0.10


def test_training_is_deterministic(shipped_advisor: Advisor):
    again = Advisor.from_knowledge_base(load_knowledge_base())
    assert again.model_version == shipped_advisor.model_version
    q = "my team keeps hearing rumours that the new system means redundancies"
    assert again.answer(q) == shipped_advisor.answer(q)


def test_answer_recommends_up_to_three_entries_of_the_chosen_topic(shipped_advisor: Advisor):
    a = shipped_advisor.answer("our data protection officer won't sign off the launch "
                               "until we've done a DPIA")
    assert a.topic is not None and a.topic.id == "security-privacy"
    assert 1 <= len(a.recommendations) <= 3
    assert all(r.entry.topic == "security-privacy" for r in a.recommendations)
    scores = [r.score for r in a.recommendations]
    assert scores == sorted(scores, reverse=True)
    assert [t.topic.id for t in a.alternatives] != ["security-privacy"]
    assert len(a.alternatives) == 2 and a.alternatives[0].confidence <= a.confidence


def test_entries_are_found_from_their_own_situations(shipped_advisor: Advisor):
    kb = shipped_advisor.kb
    hits = 0
    for e in kb.entries:
        a = shipped_advisor.answer(e.situations[0])
        hits += any(r.entry.id == e.id for r in a.recommendations)
    assert hits / len(kb.entries) >= 0.9


def test_out_of_scope_and_empty_questions_abstain(shipped_advisor: Advisor):
    for q in ("what's for lunch in the canteen today?", "asdf qwerty", "", "   ", "🙂🙂"):
        a = shipped_advisor.answer(q)
        assert a.topic is None and a.recommendations == ()
    assert shipped_advisor.answer("  ").is_empty
    assert not shipped_advisor.answer("where is the printer").is_empty


def test_answer_in_topic_uses_the_chosen_topic(shipped_advisor: Advisor):
    a = shipped_advisor.answer_in_topic("people are worried about the new system", "training-skills")
    assert a.topic.id == "training-skills" and a.forced_topic and not a.ambiguous
    assert all(r.entry.topic == "training-skills" for r in a.recommendations)


def test_batch_answers_equal_single_answers(shipped_advisor: Advisor):
    qs = ["staff fear for their jobs", "", "where is the printer",
          "the pilot has been running for two years and nobody decides", "x" * 10_000]
    assert list(shipped_advisor.answer_many(qs, chunk=2)) == [shipped_advisor.answer(q) for q in qs]


def test_huge_and_binary_input_is_bounded(shipped_advisor: Advisor):
    a = shipped_advisor.answer("training " * 100_000)
    assert len(a.question) <= 2000
    b = shipped_advisor.answer("\x00\x01\x02 <script>alert(1)</script> \udcff")
    assert isinstance(b.question, str)


def test_cached_model_is_reused_and_a_broken_one_replaced(synthetic_kb_dir: Path, tmp_path: Path):
    first = Advisor.load(synthetic_kb_dir, cache_dir=tmp_path)
    [cached] = tmp_path.glob("model-*.pkl")
    assert cached.name == f"model-{first.kb.version}.pkl"
    stamp = cached.stat().st_mtime_ns
    second = Advisor.load(synthetic_kb_dir, cache_dir=tmp_path)
    assert cached.stat().st_mtime_ns == stamp
    q = first.kb.entries[7].situations[1]
    assert second.answer(q) == first.answer(q)
    cached.write_bytes(b"not a model")
    third = Advisor.load(synthetic_kb_dir, cache_dir=tmp_path)
    assert third.answer(q) == first.answer(q)
    assert cached.read_bytes() != b"not a model"


def test_json_lines_are_exactly_the_json_of_the_answer(shipped_advisor: Advisor):
    import json

    from bot.json_lines import answer_json_line

    questions = ["staff fear for their jobs", "", "where is the printer", 'quote " and \\ and é ✓',
                 "our pilot has dragged on", "privacy worries block the launch of the portal"]
    for answer in shipped_advisor.answer_many(questions * 2):
        line = answer_json_line(answer)
        assert line == json.dumps(answer.to_json(), ensure_ascii=False)
        assert json.loads(line) == answer.to_json()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300))
def test_json_lines_match_for_any_question(shipped_advisor: Advisor, text: str):
    import json

    from bot.json_lines import answer_json_line

    answer = shipped_advisor.answer(text)
    assert answer_json_line(answer) == json.dumps(answer.to_json(), ensure_ascii=False)
