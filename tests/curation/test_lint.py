"""`advisor kb lint`: near-duplicates across topics, thin topics, unused and misclassified entries."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.advisor import training_data
from bot.curation.lint import lint, misclassified, near_duplicates, never_recommended, thin_topics
from bot.log import ConversationLog
from knowledge import editor, load_knowledge_base
from knowledge.models import Entry, KnowledgeBase, Topic
from tests.curation.conftest import record
from tests.factories import make_answer


def _kb(sizes: dict[str, list[int]]) -> KnowledgeBase:
    """A base with the given topics, each entry with that many situations."""
    topics = []
    for topic, counts in sizes.items():
        entries = tuple(
            Entry(id=f"{topic}-{i}", topic=topic, title="t", summary="s",
                  situations=tuple(f"{topic} {i} s{j}" for j in range(n)), actions=("a",),
                  sources=(), owner="o", last_reviewed=dt.date(2026, 1, 1), review_every_days=365)
            for i, n in enumerate(counts))
        topics.append(Topic(topic, topic, "", entries))
    return KnowledgeBase(tuple(topics), ("where is the printer",), "v")


def test_a_situation_repeated_under_another_topic_is_a_near_duplicate(kb_copy: Path) -> None:
    kb = load_knowledge_base(kb_copy)
    source = kb.topic("communication").entries[0]
    target = kb.topic("measurement").entries[2]
    copied = source.situations[3]
    editor.add_situations(kb_copy, target.id, [copied.replace(" ", "  ") + "!"])

    found = near_duplicates(load_knowledge_base(kb_copy))

    assert len(found) == 1
    pair = found[0]
    assert {pair.entry, pair.other_entry} == {source.id, target.id}
    assert {pair.topic, pair.other_topic} == {"communication", "measurement"}
    assert pair.similarity >= 0.85
    assert near_duplicates(kb) == []


def test_thin_topics_are_thin_in_absolute_terms_or_against_the_median() -> None:
    kb = _kb({"a": [20, 20], "b": [20, 20], "c": [10, 5], "d": [30, 30]})
    assert [t.topic for t in thin_topics(kb, min_situations=30)] == ["c"]
    assert {t.topic for t in thin_topics(kb, min_situations=41)} == {"a", "b", "c"}
    [c] = thin_topics(kb, min_situations=1)
    assert (c.topic, c.situations, c.entries, c.median) == ("c", 15, 2, 40.0)


def test_misclassified_situations_are_counted_per_entry_with_where_they_went() -> None:
    kb = _kb({"a": [3, 2], "b": [2]})
    texts, _ = training_data(kb)
    predicted = ["a", "b", None, "a", "a", "b", "a", None]  # a-0 ×3, a-1 ×2, b-0 ×2, oos ×1
    assert len(predicted) == len(texts)

    found = misclassified(kb, predicted)

    assert [(m.entry, m.wrong, m.total) for m in found] == [("a-0", 2, 3), ("b-0", 1, 2)]
    assert found[0].went_to == (("b", 1), ("(abstain)", 1))  # the worst share first


def test_entries_never_recommended_come_from_the_log(conversation_log: ConversationLog) -> None:
    kb = _kb({"a": [8, 8, 8], "b": [8]})
    record(conversation_log, "q1", make_answer("a", confidence=0.9, entries=("a-0", "a-1")))
    record(conversation_log, "q2", make_answer("b", confidence=0.9, entries=("b-0",)))
    conversation_log.flush()

    unused, seen = never_recommended(kb, conversation_log.queries, days=30)

    assert (unused, seen) == (["a-2"], 2)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=60)
    assert never_recommended(kb, conversation_log.queries, days=30, now=later) == (
        ["a-0", "a-1", "a-2", "b-0"], 0)


def test_lint_says_which_checks_it_could_not_run(conversation_log: ConversationLog) -> None:
    kb = _kb({"a": [8, 8], "b": [8, 8]})
    report = lint(kb, queries=conversation_log.queries, days=7)
    assert report.never_recommended is None and report.misclassified is None
    assert any("no exchanges in the last 7 days" in n for n in report.notes)
    assert any("cross-validation skipped" in n for n in report.notes)
    assert lint(kb).notes[0] == "no conversation log: recommendations not checked"
