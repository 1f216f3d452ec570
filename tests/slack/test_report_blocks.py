"""`/advisor admin report`'s builder: figures and text bars, titles, escaping, no links, and
Slack's limits whatever the report holds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from bot.log.records import Stats
from bot.log.reports import Catalogue, EntryFigures, FlaggedQuestion, QuestionGroup, Report
from bot.slack.report_blocks import BAR, report_blocks, report_text
from tests.slack.limits_check import assert_within_limits, texts

UNTIL = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
PINGS = ("<!channel>", "<!here>", "<@U012AB3CD>", "<https://evil.example|click>")
CATALOGUE = Catalogue({"communication": "Communication and transparency",
                       "training-skills": "Training and skills", "comm-faq": "Keep a living FAQ",
                       "comm-unused": "Write to every team"},
                      ("comm-faq", "comm-unused"), 0.2)


def report(*, questions: str = "who tells the staff", n: int = 1, long: bool = False) -> Report:
    weeks = [(dt.date(2026, 11, 2) + dt.timedelta(weeks=i), 10 * (i + 1)) for i in range(5)]
    total = sum(c for _, c in weeks)
    topics = [("communication", total - 40), ("training-skills", 30)]
    return Report(
        stats=Stats(UNTIL - dt.timedelta(weeks=12), total, topics, 10 / total, 0.04, 6, 4),
        until=UNTIL, per_week=weeks, per_surface=[("dm", total)],
        confidence_histogram=[0] * 9 + [total],
        unanswered=[QuestionGroup(f"{questions} {i}" * (50 if long else 1), 3, ())
                    for i in range(n)],
        topic_weeks=[("communication", [c for _, c in weeks])], low_confidence=2,
        flagged=[FlaggedQuestion(f"{questions} {i}" * (50 if long else 1), "communication", 0.31,
                                 i % 2 == 0) for i in range(n)],
        flagged_total=n, entries=[EntryFigures("comm-faq", 30, 6, 4)],
        never_recommended=["comm-unused"], catalogue=CATALOGUE)


def text_of(blocks: list) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_summary_shows_figures_bars_and_titles_not_ids():
    r = report()
    blocks = report_blocks(r, weeks=12)
    assert_within_limits(blocks)
    text = text_of(blocks)
    assert f"*Exchanges*\\n{r.stats.questions}" in text and "*Abstained*\\n7%" in text
    assert "*Not helpful*\\n40% of 10 rated" in text
    week_lines = blocks[3]["text"]["text"].strip("`").split("\n")[1:]
    assert len(week_lines) == len(r.per_week)
    # the busiest week has the full bar, the others in proportion
    assert week_lines[-1].count("█") == BAR and week_lines[0].count("█") == round(BAR * 10 / 50)
    assert "Communication and transparency" in text and "Training and skills" in text
    assert '"communication' not in text  # never the bare id
    assert "Keep a living FAQ: 4 of 10 rated (40%)" in text
    assert "*Never recommended*: 1 of 2 entries: Write to every team" in text
    assert report_text(r).startswith(f"Conversation report: {r.stats.questions} exchanges")


def test_questions_are_escaped_and_nothing_links_or_pings():
    for ping in PINGS:
        blocks = report_blocks(report(questions=f"help {ping}", n=3), weeks=4)
        # no `<` at all: no mention, no broadcast, no link reaches Slack's markup
        assert not any("<" in t for t in texts(blocks))
        assert any("&lt;" in t for t in texts(blocks))
    assert "&lt;!channel&gt;" in text_of(report_blocks(report(questions="<!channel>"), weeks=4))


def test_many_long_questions_stay_within_a_message():
    blocks = report_blocks(report(n=40, long=True), weeks=104)
    assert_within_limits(blocks)


def test_an_empty_period_says_so():
    empty = dataclasses.replace(report(), stats=Stats(UNTIL, 0, [], 0.0, 0.0, 0, 0), per_week=[],
                                flagged=[], flagged_total=0, unanswered=[], entries=[])
    blocks = report_blocks(empty, weeks=12)
    assert_within_limits(blocks)
    assert "No exchanges in this period." in text_of(blocks)
