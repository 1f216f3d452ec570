"""The one JSON serialiser of an `Answer`: the dict and the fast line share every part."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import answer_json
from bot.advisor import Advisor
from knowledge.models import Entry


def test_a_new_entry_field_reaches_the_dict_and_the_line_from_one_place(
        shipped_advisor: Advisor, monkeypatch: pytest.MonkeyPatch):
    plain = answer_json.entry_json

    def with_owner(entry: Entry) -> dict[str, Any]:
        return {**plain(entry), "owner": entry.owner}

    monkeypatch.setattr(answer_json, "entry_json", with_owner)
    monkeypatch.setattr(answer_json, "_parts", {})  # no line parts cached before the change
    answer = shipped_advisor.answer("staff fear for their jobs")
    line = json.loads(answer_json.answer_json_line(answer))
    assert line == answer.to_json()
    assert [r["owner"] for r in line["recommendations"]] == [
        r.entry.owner for r in answer.recommendations]


def test_json_confidence_is_never_rounded_up_to_a_certainty(shipped_advisor: Advisor):
    import dataclasses

    answer = shipped_advisor.answer("staff fear for their jobs")
    sure = dataclasses.replace(answer, confidence=0.99996)
    assert sure.to_json()["confidence"] == 0.9999
    assert json.loads(answer_json.answer_json_line(sure))["confidence"] == 0.9999
    assert dataclasses.replace(answer, confidence=1.0).to_json()["confidence"] == 1.0
    assert dataclasses.replace(answer, confidence=0.76634).to_json()["confidence"] == 0.7663
