"""The report's figures on a seeded log, on SQLite and PostgreSQL: every section the page
shows, counted by the database; and grouping unanswered questions by similarity."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections import Counter
from dataclasses import dataclass

import pytest
from sqlmodel import Session

from bot.log import ExchangeIn, store
from bot.log.html import render_html
from bot.log.pseudonym import Pseudonymizer
from bot.log.records import exchange_row, feedback_row
from bot.log.reports import Catalogue, Report, group_questions
from bot.log.store import utcnow
from tests.factories import OTHER, TOPIC, make_answer
from tests.log.conftest import Backend

CATALOGUE = Catalogue(
    titles={TOPIC.id: "Communication and transparency", OTHER.id: "Training and skills",
            "comm-town-halls": "Hold town halls", "comm-faq": "Keep a living FAQ",
            "train-buddies": "Pair learners with buddies", "comm-unused": "Write to every team"},
    entry_ids=("comm-town-halls", "comm-faq", "train-buddies", "comm-unused"),
    abstain_below=0.2,
)


@dataclass(frozen=True)
class Seed:
    """One exchange of the seeded log: how many weeks ago (0: this week), and what it was."""

    weeks_ago: int
    question: str
    topic: str | None  # None: abstained
    confidence: float
    entries: tuple[str, ...] = ("comm-town-halls", "comm-faq")
    ambiguous: bool = False
    surface: str = "mention"
    feedback: tuple[str, ...] = ()


SEEDS = (
    Seed(20, "long before the period", TOPIC.id, 0.9),  # outside the 12 weeks
    Seed(5, "how do we tell staff about the new system", TOPIC.id, 0.92, feedback=("helpful",)),
    Seed(5, "announce the change to the whole office", TOPIC.id, 0.81, feedback=("not_helpful",)),
    Seed(5, "clerks need training on the new screens", OTHER.id, 0.77,
         entries=("train-buddies", "comm-faq"), surface="dm"),
    Seed(3, "who should hear about the change first", TOPIC.id, 0.50, ambiguous=True),
    Seed(3, "staff forget the training within weeks", OTHER.id, 0.31,
         entries=("train-buddies",), feedback=("not_helpful", "not_helpful")),
    Seed(3, "What is the canteen menu today?", None, 0.08, entries=(), surface="command"),
    Seed(3, "canteen menu for friday", None, 0.12, entries=(), surface="command"),
    Seed(1, "rumours about job cuts are everywhere", TOPIC.id, 0.66, feedback=("helpful",)),
    Seed(0, "mail <script>x</script> bob@example.org about the rollout", TOPIC.id, 0.40,
         entries=("comm-faq", "comm-town-halls")),
)
WEEKS = 12


def _monday(at: dt.datetime) -> dt.date:
    return (at - dt.timedelta(days=at.weekday())).date()


def seed_log(backend: Backend, now: dt.datetime) -> list[dt.datetime]:
    """Write SEEDS as the log stores them (redacted rows, then feedback); returns their times."""
    backend.make_log().prepare()
    pseudo = Pseudonymizer(b"seed-secret")
    this_monday = dt.datetime.combine(_monday(now), dt.time(), dt.UTC)
    records, times = [], []
    for i, s in enumerate(SEEDS):
        # Tuesdays at noon, and this week's a minute ago (it may be Monday morning)
        at = (now - dt.timedelta(minutes=1 + i) if s.weeks_ago == 0 else
              this_monday - dt.timedelta(weeks=s.weeks_ago) + dt.timedelta(days=1, hours=12, minutes=i))
        times.append(at)
        answer = make_answer(s.topic, question=s.question, confidence=s.confidence,
                             ambiguous=s.ambiguous, entries=s.entries)
        eid = uuid.uuid4().hex
        records.append(("exchange", exchange_row(ExchangeIn(s.surface, s.question, answer, 3.0),
                                                 eid, at, pseudo)))
        records += [("feedback", feedback_row(eid, user_key=None, kind=kind, value=None,
                                              at=at + dt.timedelta(seconds=5),
                                              feedback_id=uuid.uuid4().hex))
                    for kind in s.feedback]
    with Session(backend.engine) as session:
        store.write(session, records, retention_days=10_000)
        session.commit()
    return times


@pytest.fixture
def seeded(backend: Backend) -> tuple[Report, list[tuple[Seed, dt.datetime]]]:
    now = utcnow()
    times = seed_log(backend, now)
    report = backend.make_log().queries.report(
        since=now - dt.timedelta(weeks=WEEKS), until=now + dt.timedelta(seconds=1),
        catalogue=CATALOGUE)
    inside = [(s, at) for s, at in zip(SEEDS, times, strict=True) if s.weeks_ago <= WEEKS]
    return report, inside


def test_weeks_start_at_the_first_week_with_data_and_count_every_week(seeded) -> None:
    report, inside = seeded
    weeks = Counter(_monday(at) for _, at in inside)
    first, last = min(weeks), _monday(report.until)
    expected = [(first + dt.timedelta(weeks=i), 0) for i in range((last - first).days // 7 + 1)]
    assert report.per_week == [(w, weeks.get(w, 0)) for w, _ in expected]
    assert report.stats.questions == len(inside) == sum(n for _, n in report.per_week)


def test_topic_mix_and_trend_per_topic_follow_the_weeks(seeded) -> None:
    report, inside = seeded
    weeks = [w for w, _ in report.per_week]
    for topic, counts in report.topic_weeks:
        assert counts == [sum(1 for s, at in inside if s.topic == topic and _monday(at) == w)
                          for w in weeks]
    assert dict(report.stats.top_topics) == Counter(s.topic for s, _ in inside if s.topic)
    assert [t for t, _ in report.topic_weeks] == [t for t, _ in report.stats.top_topics]


def test_confidence_histogram_rates_and_surfaces_are_counted_by_the_database(seeded) -> None:
    report, inside = seeded
    histogram = [0] * 10
    for s, _ in inside:
        histogram[min(9, int(s.confidence * 10))] += 1
    assert report.confidence_histogram == histogram
    assert report.stats.abstention_rate == pytest.approx(
        sum(s.topic is None for s, _ in inside) / len(inside))
    assert report.stats.ambiguous_rate == pytest.approx(
        sum(s.ambiguous for s, _ in inside) / len(inside))
    surfaces = Counter(s.surface for s, _ in inside)
    assert report.per_surface == sorted(surfaces.items(), key=lambda x: (-x[1], x[0]))
    assert report.stats.helpful == sum(s.feedback.count("helpful") for s, _ in inside)
    assert report.stats.not_helpful == sum(s.feedback.count("not_helpful") for s, _ in inside)


def test_ambiguous_and_low_confidence_answers_are_listed_newest_first(seeded) -> None:
    report, inside = seeded
    flagged = [(s, at) for s, at in inside
               if s.topic and (s.ambiguous or s.confidence < CATALOGUE.low_confidence)]
    flagged.sort(key=lambda x: x[1], reverse=True)
    assert report.flagged_total == len(flagged) == len(report.flagged)
    assert [(q.topic, q.confidence, q.ambiguous) for q in report.flagged] == [
        (s.topic, s.confidence, s.ambiguous) for s, _ in flagged]
    assert report.low_confidence == sum(bool(s.topic) and s.confidence < 0.45 for s, _ in inside)
    newest = report.flagged[0].question
    assert "bob@example.org" not in newest and "[email]" in newest  # as logged: redacted


def test_not_helpful_rate_per_entry_counts_the_entry_each_answer_led_with(seeded) -> None:
    report, inside = seeded
    by_id = {e.entry_id: e for e in report.entries}
    for entry_id in ("comm-town-halls", "comm-faq", "train-buddies"):
        led = [s for s, _ in inside if s.entries[:1] == (entry_id,)]
        figures = by_id[entry_id]
        assert figures.led == len(led)
        assert figures.not_helpful == sum(s.feedback.count("not_helpful") for s in led)
        assert figures.rated == sum(len(s.feedback) for s in led)
    rates = [e.not_helpful_rate for e in report.entries]
    assert rates == sorted(rates, reverse=True)
    assert report.entries[0].entry_id == "train-buddies"  # 2 of 2 rated not helpful


def test_entries_never_recommended_are_those_of_the_current_base_nothing_recommended(seeded,
                                                                                      backend) -> None:
    report, inside = seeded
    recommended = {e for s, _ in inside for e in s.entries}
    assert report.never_recommended == [e for e in CATALOGUE.entry_ids if e not in recommended]
    assert report.never_recommended == ["comm-unused"]
    seen, n = backend.make_log().queries.recommended_entries(since=report.stats.since)
    assert seen == recommended and n == len(inside)


def test_the_page_shows_every_section_with_titles_axes_and_lines(seeded) -> None:
    report, inside = seeded
    page = render_html(report)
    for heading in ("Questions over time", "Topic mix", "Trend per topic", "Confidence distribution",
                    "Ambiguous and low-confidence answers", "Not helpful, per entry",
                    "Entries never recommended", "Most common unanswered questions"):
        assert f"<h2>{heading}" in page
    assert "week starting (Monday)" in page and "confidence in the best topic" in page
    assert "abstains below 20%" in page and "low confidence below 45%" in page
    # titles, not ids, in the topic mix and the trend
    assert ">Communication and transparency<" in page and ">Training and skills<" in page
    assert ">communication<" not in page and ">training-skills<" not in page
    assert page.count('class="spark"') == len(report.topic_weeks) == 2
    first_week = min(_monday(at) for _, at in inside)
    labels = re.findall(r'text-anchor="middle">(\d\d \w{3})</text>', page)
    assert labels[0] == f"{first_week:%d %b}"
    assert "Write to every team" in page  # never recommended, by title
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "<script" not in page
    assert "http://" not in page and "https://" not in page and "src=" not in page


def test_an_empty_period_says_so_on_every_section(backend: Backend) -> None:
    backend.make_log().prepare()
    now = utcnow()
    report = backend.make_log().queries.report(since=now - dt.timedelta(weeks=4), until=now,
                                               catalogue=CATALOGUE)
    assert report.per_week == [] and report.stats.questions == 0 and report.entries == []
    assert report.never_recommended == list(CATALOGUE.entry_ids)
    page = render_html(report)
    assert "No exchanges in this period." in page and "No answer was rated" in page


def test_report_counts_weeks_and_confidence(backend: Backend) -> None:
    log = backend.started()
    for confidence in (0.05, 0.55, 0.55, 0.95, 1.0):
        log.record(ExchangeIn("cli", "q", make_answer(confidence=confidence), 1.0))
    log.close()
    until = utcnow() + dt.timedelta(seconds=1)
    report = backend.make_log().queries.report(since=until - dt.timedelta(weeks=3), until=until)
    assert report.per_week == [(_monday(until - dt.timedelta(seconds=2)), 5)]
    assert report.confidence_histogram == [1, 0, 0, 0, 0, 2, 0, 0, 0, 2]
    assert report.per_surface == [("cli", 5)]
    assert render_html(report).startswith("<!doctype html>")


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


def test_a_report_may_run_longer_than_the_answer_paths_statement_timeout(backend: Backend) -> None:
    from sqlalchemy import text

    from bot.log.portable_sql import allow_seconds
    from bot.log.queries import REPORT_SECONDS

    log = backend.make_log()
    log.prepare()

    def timeouts(session) -> tuple[str, str]:  # type: ignore[no-untyped-def]
        show = "SHOW statement_timeout" if backend.name == "postgres" else "SELECT 'none'"
        before = session.execute(text(show)).scalar()
        allow_seconds(session, REPORT_SECONDS)
        return before, session.execute(text(show)).scalar()

    before, during = log.database.run(timeouts)
    if backend.name == "postgres":
        assert (before, during) == ("5s", "2min")  # only this transaction; the engine keeps 5 s
        assert log.database.run(lambda s: s.execute(text("SHOW statement_timeout")).scalar()) == "5s"
    else:
        assert before == during == "none"  # SQLite has no statement timeout to lift
