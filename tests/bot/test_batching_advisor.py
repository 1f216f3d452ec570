"""The batching advisor answers exactly what the advisor answers, also under concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.batching_advisor import BatchingAdvisor
from tests.slack.kb import VOCAB, write_test_kb

QUESTIONS = [f"we have trouble: {phrase}" for phrases in VOCAB.values() for phrase in phrases]
QUESTIONS += ["where is the printer", "", "hello <!channel>"]


@pytest.fixture(scope="module")
def advisor(tmp_path_factory: pytest.TempPathFactory):
    from bot.advisor import Advisor

    return Advisor.load(write_test_kb(tmp_path_factory.mktemp("batching-kb") / "kb"))


def test_concurrent_questions_get_the_same_answers_as_one_by_one(advisor):
    batching = BatchingAdvisor(lambda: advisor, max_batch=8)
    try:
        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(batching.answer, QUESTIONS))
    finally:
        batching.close()
    assert answers == [advisor.answer(q) for q in QUESTIONS]


def test_a_failure_reaches_the_caller(advisor, monkeypatch):
    batching = BatchingAdvisor(lambda: advisor)

    def broken(texts):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(advisor, "answer_many", broken)
    try:
        with pytest.raises(RuntimeError, match="model exploded"):
            batching.answer("run a pilot")
    finally:
        monkeypatch.undo()
        batching.close()
