"""Grouping unanswered questions by similarity, and the report's figures."""

from __future__ import annotations

import datetime as dt

from bot.log import ExchangeIn
from bot.log.html import render_html
from bot.log.reports import group_questions
from bot.log.store import utcnow
from tests.factories import make_answer
from tests.log.conftest import Backend


def test_similar_questions_are_grouped_largest_first() -> None:
    groups = group_questions(
        [
            "Where is the canteen menu?",
            "How do I book a meeting room?",
            "canteen menu this week",
            "What is on the canteen menu today",
            "book a meeting room for Friday",
            "Who won the football?",
        ]
    )
    assert [g.count for g in groups] == [3, 2, 1]
    assert groups[0].example == "Where is the canteen menu?"
    assert set(groups[0].others) == {"canteen menu this week", "What is on the canteen menu today"}


def test_grouping_copes_with_nothing_and_with_stop_words_only() -> None:
    assert group_questions([]) == []
    assert group_questions(["", "  "]) == []
    (only,) = group_questions(["and the", "the and"])
    assert only.count == 2


def test_report_counts_weeks_and_confidence(backend: Backend) -> None:
    log = backend.started()
    for confidence in (0.05, 0.55, 0.55, 0.95, 1.0):
        log.record(ExchangeIn("cli", "q", make_answer(confidence=confidence), 1.0))
    log.close()
    until = utcnow() + dt.timedelta(seconds=1)
    report = backend.make_log().queries.report(since=until - dt.timedelta(weeks=3), until=until)
    assert sum(n for _, n in report.per_week) == 5
    assert 3 <= len(report.per_week) <= 5
    assert report.confidence_histogram == [1, 0, 0, 0, 0, 2, 0, 0, 0, 2]
    assert report.per_surface == [("cli", 5)]
    assert render_html(report).startswith("<!doctype html>")


def test_a_report_and_the_weekly_figures_for_one_workspace_count_only_its_exchanges(
        backend: Backend) -> None:
    log = backend.started()
    for team, n in (("T0AGENCY1", 3), ("T0AGENCY2", 2)):
        for _ in range(n):
            log.record(ExchangeIn("mention", "q", make_answer(), 1.0, user_id="U1", team_id=team))
    log.close()
    until = utcnow() + dt.timedelta(seconds=1)
    queries = backend.make_log().queries
    since = until - dt.timedelta(weeks=1)

    def questions(team: str | None) -> int:
        return queries.report(since=since, until=until, team_id=team).stats.questions

    assert (questions("T0AGENCY1"), questions("T0AGENCY2"), questions(None)) == (3, 2, 5)
    assert questions("T0ELSEWHERE") == 0
    assert queries.weekly_stats(team_id="T0AGENCY2").questions == 2
