"""Hand-overs and reminders of expert requests, on a real SQLite log and the fake Slack Web
API: a saved request is posted once, a failed post is retried later, and a request nobody
answered is reminded once, in its thread."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.log.expert_requests import POSTED, SAVED
from bot.settings import Settings
from bot.slack.expert_blocks import REMINDER, REQUEST_EVENT
from bot.slack.expert_relay import send_expert_reminders
from bot.slack.web import make_client
from bot.slack.workspaces import Workspaces
from tests.factories import make_log
from tests.slack.fake_slack import Failure, FakeSlack

EXPERTS = "CEXPERTS02"
logger = logging.getLogger("test.expert_relay")


@pytest.fixture
def settings(fake: FakeSlack) -> Settings:
    fake.reset()
    return Settings(slack_bot_token="xoxb-1", slack_api_url=fake.base_url, slack_api_timeout=2,
                    advisor_experts_channel=EXPERTS, advisor_expert_reminder_hours=48)


@pytest.fixture
def log(tmp_path: Path):
    log = make_log(tmp_path, f"sqlite:///{tmp_path}/log.db")
    log.start()
    yield log
    log.close()


def posts(fake: FakeSlack) -> list:
    return [c for c in fake.calls_of("chat.postMessage") if c.args.get("channel") == EXPERTS]


def test_a_saved_request_is_handed_over_once_then_reminded_once_when_nobody_answers(
        fake: FakeSlack, settings: Settings, log, slack_advisor) -> None:
    kb = slack_advisor.kb
    client = Workspaces.one(make_client(settings))
    # Given a request saved in the terminal (no Slack user: anonymous, nothing to relay to)
    request = log.requests.save(surface="terminal", user_id=None, question="Who signs off the pilot?",
                                entry_id="pilots-rollout-1")
    # When the schedule runs twice
    assert send_expert_reminders(client, log, kb, settings, logger) == (1, 0)
    assert send_expert_reminders(client, log, kb, settings, logger) == (0, 0)
    # Then it was posted once, with its id in the metadata, and counts as posted
    [post] = posts(fake)
    assert post.args["metadata"] == {"event_type": REQUEST_EVENT,
                                     "event_payload": {"request": request.id}}
    assert "Asked anonymously" in str(post.args["blocks"])
    stored = log.requests.get(request.id)
    assert stored is not None and stored.status == POSTED and stored.posted_ts
    # When 49 hours pass without an answer, one reminder goes to its thread, and only one
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=49)
    assert send_expert_reminders(client, log, kb, settings, logger, now=later) == (0, 1)
    assert send_expert_reminders(client, log, kb, settings, logger, now=later) == (0, 0)
    [_, reminder] = posts(fake)
    assert reminder.args["thread_ts"] == stored.posted_ts and REMINDER in reminder.args["text"]


def test_a_failed_hand_over_stays_saved_and_goes_out_on_the_next_run(
        fake: FakeSlack, settings: Settings, log, slack_advisor, tmp_path: Path) -> None:
    client = Workspaces.one(make_client(settings))
    request = log.requests.save(surface="slack", user_id="U1AAAAAAA", question="Who decides?")
    fake.fail("chat.postMessage", Failure(error="channel_not_found", channel=EXPERTS))
    assert send_expert_reminders(client, log, slack_advisor.kb, settings, logger) == (0, 0)
    assert log.requests.get(request.id).status == SAVED
    assert send_expert_reminders(client, log, slack_advisor.kb, settings, logger) == (1, 0)
    assert log.requests.get(request.id).status == POSTED


def test_an_answered_request_is_never_reminded(fake: FakeSlack, settings: Settings, log,
                                               slack_advisor, tmp_path: Path) -> None:
    client = Workspaces.one(make_client(settings))
    request = log.requests.save(surface="slack", user_id="U1AAAAAAA", question="Who decides?")
    send_expert_reminders(client, log, slack_advisor.kb, settings, logger)
    log.requests.answer(request.id, text="The board does.", expert_id="UEXPERT001")
    with log.database.engine.begin() as conn:
        conn.execute(text("UPDATE expert_request SET posted_at = :at"),
                     {"at": dt.datetime.now(dt.UTC) - dt.timedelta(days=30)})
    assert send_expert_reminders(client, log, slack_advisor.kb, settings, logger) == (0, 0)


def test_with_many_workspaces_each_request_goes_out_with_its_own_workspaces_token_only(
        fake: FakeSlack, settings: Settings, log, slack_advisor, caplog) -> None:
    kb = slack_advisor.kb
    # Given two installed workspaces (one of a Grid organisation, installed org-wide)
    workspaces = Workspaces(installed={
        (None, "T0000ONE"): make_client(settings, token="xoxb-one"),
        ("E0000ORG", None): make_client(settings, token="xoxb-org")})
    theirs = log.requests.save(surface="slack", user_id="U1AAAAAAA", question="Who decides?",
                               team_id="T0000ONE")
    in_org = log.requests.save(surface="slack", user_id="U2BBBBBBB", question="Who pays?",
                               team_id="T0000SUB", enterprise_id="E0000ORG")
    gone = log.requests.save(surface="slack", user_id="U3CCCCCCC", question="Who signs?",
                             team_id="T0000GONE")
    terminal = log.requests.save(surface="terminal", user_id=None, question="Who knows?")
    unreachable: set[str] = set()
    # When the schedule runs twice
    with caplog.at_level(logging.WARNING, logger=logger.name):
        for _ in range(2):
            send_expert_reminders(workspaces, log, kb, settings, logger, unreachable=unreachable)
    # Then each request of an installed workspace went out once, with that workspace's token
    tokens = {(p.args["metadata"]["event_payload"]["request"], p.token) for p in posts(fake)}
    assert tokens == {(theirs.id, "xoxb-one"), (in_org.id, "xoxb-org")}
    # and the others stay saved, logged once each, never posted with another token
    assert {log.requests.get(r.id).status for r in (gone, terminal)} == {SAVED}
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 2
    assert any(m.startswith(f"expert request {gone.id} skipped: the app is not installed in "
                            "workspace T0000GONE") for m in skipped)
    assert any(terminal.id in m and "names no workspace" in m for m in skipped)
