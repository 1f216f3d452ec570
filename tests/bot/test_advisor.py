"""The advisor on the shipped knowledge base: quality on the development set, answer shape."""

from __future__ import annotations

import copy
import dataclasses
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.advisor import Advisor, curated_texts
from bot.evaluation import evaluate_file, read_labelled
from classifiers.policy import DecisionPolicy
from knowledge import load_knowledge_base

DEV_SET = Path(__file__).parent.parent / "data" / "dev_set.yaml"


HOLDOUT_SET = DEV_SET.with_name("holdout_set.yaml")
BLIND_SET = DEV_SET.with_name("blind_set.yaml")
"""Written and labelled blind on 1 December 2026 after the base's last tuning; read once."""
BLIND2_SET = DEV_SET.with_name("blind2_set.yaml")
"""Written and labelled blind on 2 December 2026, by other writers and another reader."""


@pytest.fixture(scope="module")
def dev(shipped_advisor: Advisor):
    return evaluate_file(shipped_advisor, DEV_SET)


def test_dev_sets_are_big_enough():
    tune, held = read_labelled(DEV_SET), read_labelled(HOLDOUT_SET)
    topics = [*tune.topics, *held.topics]
    assert sum(1 for t in topics if t) >= 300 and sum(1 for t in topics if t is None) >= 60
    blind = read_labelled(BLIND_SET)
    assert not set(tune.texts) & set(held.texts)
    assert not set(blind.texts) & (set(tune.texts) | set(held.texts))
    assert sum(1 for t in blind.topics if t) >= 150 and blind.topics.count(None) >= 30
    blind2 = read_labelled(BLIND2_SET)
    assert not set(blind2.texts) & (set(tune.texts) | set(held.texts) | set(blind.texts))
    assert sum(1 for t in blind2.topics if t) >= 150 and blind2.topics.count(None) >= 30
    unlabelled = [t for t, ids in zip(topics, [*tune.entries, *held.entries], strict=True)
                  if t and not ids]
    assert len(unlabelled) <= 3  # in scope, yet nothing in the base directly helps


def test_dev_sets_never_feed_the_knowledge_base(shipped_advisor: Advisor):
    def norm(text: str) -> str:
        return " ".join(re.findall(r"\w+", text.lower()))

    kb = shipped_advisor.kb
    curated = {norm(t) for e in kb.entries for t in (*e.situations, *curated_texts(e))}
    curated |= {norm(t) for t in kb.out_of_scope}
    for path in (DEV_SET, HOLDOUT_SET, BLIND_SET, BLIND2_SET):
        leaked = [t for t in read_labelled(path).texts if norm(t) in curated]
        assert leaked == [], f"{path.name} texts in the knowledge base: {leaked[:3]}"


def test_topic_top1_on_in_scope_dev_messages(dev):
    # measured 0.902 (plain 0.888, informal 0.917), top-3 0.970: the line of 0.90
    # holds, with no question to spare
    assert dev.topics.accuracy_in_scope >= 0.90
    assert dev.topic_top3 >= 0.96
    assert all(acc >= 0.87 for _, acc, _ in dev.by_style)


def test_right_entry_is_in_the_top_three(dev):
    # measured hit@1 0.792, hit@3 0.936, MRR 0.861
    assert dev.ranking.hit_at_3 >= 0.92
    assert dev.ranking.hit_at_1 >= 0.78 and dev.ranking.mrr >= 0.85


def test_out_of_scope_dev_messages_are_abstained(dev):
    assert dev.topics.abstained_out_of_scope >= 0.90


def test_in_scope_dev_messages_are_rarely_abstained(dev):
    assert dev.topics.abstained_in_scope <= 0.05


def test_shipped_base_is_broad_enough(shipped_advisor: Advisor):
    kb = shipped_advisor.kb
    assert len(kb.entries) >= 100
    for topic in kb.topics:
        assert len(topic.entries) >= 8, topic.id
        assert len(topic.vocabulary) >= 20, topic.id
        for e in topic.entries:
            assert len(e.situations) >= 30, e.id
            assert e.pitfalls and len(e.actions) >= 5, e.id
    only_practice = sum(all(s.is_practice for s in e.sources) for e in kb.entries)
    seed_backed = sum(any(not s.is_practice for s in e.sources) for e in kb.entries)
    assert only_practice > 0 and seed_backed >= len(kb.entries) // 2
    assert all(s.label.startswith("Practice guidance: ") for e in kb.entries for s in e.sources
               if s.is_practice)


def test_training_is_deterministic(shipped_advisor: Advisor):
    again = Advisor.from_knowledge_base(load_knowledge_base())
    assert again.model_version == shipped_advisor.model_version
    q = "my team keeps hearing rumours that the new system means redundancies"
    assert again.answer(q) == shipped_advisor.answer(q)


def test_answer_leads_with_the_strategy_that_fits_and_says_why(shipped_advisor: Advisor):
    a = shipped_advisor.answer("our data protection officer won't sign off the launch "
                               "until we've done a DPIA")
    assert a.topic is not None and a.topic.id == "security-privacy"
    assert len(a.recommendations) == 3
    assert a.lead.entry.id in {"dpia-and-compliance-early", "get-past-a-security-or-privacy-veto"}
    scores = [r.score for r in a.recommendations]
    assert scores == sorted(scores, reverse=True)
    assert a.lead.closest in a.lead.entry.situations
    assert a.lead.why.startswith("Closest to") and "dpia" in a.lead.terms
    assert a.lead.pitfall == a.lead.entry.pitfalls[0]
    assert [t.topic.id for t in a.alternatives] != ["security-privacy"]
    assert len(a.alternatives) == 2 and a.alternatives[0].confidence <= a.confidence


def test_strategies_come_from_more_than_the_predicted_topic(shipped_advisor: Advisor):
    answers = [a for a in shipped_advisor.answer_many(read_labelled(DEV_SET).texts) if a.topic]
    mixed = [a for a in answers if {r.entry.topic for r in a.recommendations} != {a.topic.id}]
    assert len(mixed) >= len(answers) // 20
    for a in mixed:
        assert a.to_json()["topic"] == a.topic.id  # the classifier's decision, whatever the mix
        assert all(r["topic"] == shipped_advisor.kb.entries_by_id[r["id"]].topic
                   for r in a.to_json()["recommendations"])


def test_unsure_answers_offer_choices_and_say_why(shipped_advisor: Advisor):
    params = dataclasses.replace(shipped_advisor.matcher.params,
                                 policy=DecisionPolicy(abstain_below=0.999))
    matcher = copy.copy(shipped_advisor.matcher)
    matcher.params = params
    unsure = Advisor(shipped_advisor.kb, matcher).answer("the pilot is stuck and staff are worried")
    assert unsure.abstention == "unsure" and unsure.recommendations == () and unsure.asks_to_choose
    assert 2 <= len(unsure.options) <= 3
    confidences = [o.confidence for o in unsure.options]
    assert confidences == sorted(confidences, reverse=True)
    assert all(o.entry is not None and o.entry.topic == o.topic.id for o in unsure.options)
    data = unsure.to_json()
    assert data["abstained"] == "unsure" and len(data["options"]) == len(unsure.options)
    assert shipped_advisor.answer("where is the printer").to_json()["abstained"] == "out_of_scope"
    assert shipped_advisor.answer("staff fear for their jobs").to_json()["abstained"] is None


def test_a_long_message_keeps_its_question_at_the_end(shipped_advisor: Advisor):
    pasted = "Minutes of the board meeting. " + "Item noted and agreed by members. " * 200
    question = "How do we stop rumours that the new case system will cut jobs?"
    a = shipped_advisor.answer(pasted + question)
    assert a.shortened and a.question.endswith(question) and len(a.question) <= 2000
    assert a.question.startswith("Minutes of the board meeting.") and " … " in a.question
    assert not shipped_advisor.answer(question).shortened


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

    from bot.answer_json import answer_json_line

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

    from bot.answer_json import answer_json_line

    answer = shipped_advisor.answer(text)
    assert answer_json_line(answer) == json.dumps(answer.to_json(), ensure_ascii=False)
