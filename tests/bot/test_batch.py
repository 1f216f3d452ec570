"""Batch runs answer every line, in order, the same on one core or several."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.advisor import Advisor
from bot.answer_json import answer_json_line
from bot.batch import answer_stream


@pytest.fixture(scope="module")
def advisor(synthetic_kb_dir: Path) -> Advisor:
    return Advisor.load(synthetic_kb_dir)


def test_workers_keep_input_order_and_match_one_process(advisor: Advisor):
    lines = [e.situations[i % 3] for i, e in enumerate(advisor.kb.entries)]
    lines += ["", "where is the printer", "\x00binary\x01", "x" * 5000]
    one, many = io.BytesIO(), io.BytesIO()
    answer_stream(advisor, lines, one.write, jobs=1, chunk=7)
    answer_stream(advisor, lines, many.write, jobs=2, chunk=7)
    assert many.getvalue() == one.getvalue()
    expected = [answer_json_line(advisor.answer(q)) for q in lines]
    assert one.getvalue().decode().splitlines() == expected


def test_empty_input_writes_nothing(advisor: Advisor):
    out = io.BytesIO()
    answer_stream(advisor, [], out.write, jobs=2)
    assert out.getvalue() == b""


def test_a_line_repeated_within_a_chunk_is_answered_once(advisor: Advisor, monkeypatch):
    first, second = (e.situations[0] for e in advisor.kb.entries[:2])
    lines = [first, second, first, "where is the printer", first, second]
    asked: list[str] = []
    answer_many = advisor.answer_many

    def counting(texts, **kwargs):
        texts = list(texts)
        asked.extend(texts)
        return answer_many(texts, **kwargs)

    monkeypatch.setattr(advisor, "answer_many", counting)
    out = io.BytesIO()
    answer_stream(advisor, lines, out.write, jobs=1)
    assert asked == [first, second, "where is the printer"]
    assert out.getvalue().decode().splitlines() == [answer_json_line(advisor.answer(q)) for q in lines]
