"""Admin listeners called directly, as Bolt would call them, with a recording client.

Only what changes nothing on disk: the end-to-end edits are in test_admin_scenarios.py.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from pathlib import Path

import pytest

from bot.curation.audit import REFUSAL, AuditLog
from bot.curation.service import Curator
from bot.live import LiveAdvisor
from bot.settings import Settings
from bot.slack import values as v
from bot.slack.listeners import commands, gaps
from bot.slack.listeners.admin import on_mark_reviewed
from bot.slack.reminders import send_stale_reminders
from bot.slack.services import Services
from knowledge.models import KnowledgeBase
from tests.slack.payloads import action_payload, selected, typed
from tests.slack.test_listeners import Recorder, new_user

logger = logging.getLogger("test.slack.admin")
ADMIN = "UADMIN0001"


@pytest.fixture
def services(slack_advisor, slack_log, slack_kb_dir: Path) -> Services:
    settings = Settings(slack_bot_token="xoxb-1", slack_signing_secret="s", advisor_admins=ADMIN)
    live = LiveAdvisor(slack_advisor, kb_path=slack_kb_dir)
    curator = Curator(settings=settings, log=slack_log, kb_path=slack_kb_dir, live=live,
                      measure_quality=False)
    return Services(settings, slack_advisor, slack_log, live, curator)


def command(text: str, user: str) -> dict:
    return {"command": "/advisor", "text": text, "user_id": user, "team_id": "T1",
            "channel_id": "C1", "response_url": "http://fake/respond"}


def refused_targets(services: Services, user: str) -> list[str]:
    return [e.target for e in AuditLog(services.log.database.engine).recent(action="refused")
            if e.actor == user]


def test_a_non_admin_is_acknowledged_then_refused_politely_and_the_attempt_is_audited(services):
    user, ack, respond = new_user(), Recorder(), Recorder()
    commands.on_advisor(ack, command("admin gaps", user), respond, logger, services)
    assert ack.calls == [("call", {})]
    [reply] = respond.named("call")
    assert reply["text"] == REFUSAL and reply["response_type"] == "ephemeral"
    assert refused_targets(services, user) == ["gaps"]


def test_admin_help_and_the_stale_list_come_back_in_the_ack(services):
    ack, respond = Recorder(), Recorder()
    commands.on_advisor(ack, command("admin", ADMIN), respond, logger, services)
    commands.on_advisor(ack, command("admin stale", ADMIN), respond, logger, services)
    help_, stale = ack.named("call")
    assert "`/advisor admin reload`" in str(help_["blocks"])
    assert stale["text"] == "Nothing is due for review"
    assert respond.calls == []


def test_a_draft_with_missing_fields_gets_field_errors_and_nothing_runs(services):
    ack, client = Recorder(), Recorder()
    view = {"id": "V1", "private_metadata": v.pack(g="abc", n=3), "state": {"values": {
        "title": {"title": typed("Fix it")}, "summary": {"summary": typed("One. Two.")},
        "actions": {"actions": typed("a\nb\nc")}}}}
    body = {"user": {"id": ADMIN}, "view": view}
    gaps.on_draft_submitted(ack, body, view, client, logger, services)
    [answer] = ack.named("call")
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {"topic", "situations"}
    assert client.calls == []


def test_when_the_modal_was_closed_the_result_comes_as_a_dm(services):
    user, ack, client = new_user(), Recorder(), Recorder(fail="views_update")
    view = {"id": "VGONE", "private_metadata": v.pack(g="abc123def456", n=3),
            "state": {"values": {"entry": {"entry": selected("measurement-0")}}}}
    gaps.on_add_submitted(ack, {"user": {"id": user}, "view": view}, view, client, logger,
                          services)
    assert ack.named("call")[0]["response_action"] == "update"
    [update] = client.named("views_update")
    assert update["view_id"] == "VGONE"
    [dm] = client.named("chat_postMessage")
    assert dm["channel"] == user and dm["text"] == "Not allowed"
    assert REFUSAL in str(dm["blocks"])


def test_an_admin_button_clicked_in_the_home_by_a_non_admin_is_refused_in_a_modal(services):
    user, client = new_user(), Recorder()
    body = {"type": "block_actions", "user": {"id": user}, "trigger_id": "1.2.3",
            "view": {"type": "home", "id": "VHOME"}, "container": {"type": "view"}}
    action = {"action_id": f"{v.GAP_DRAFT}_0", "value": v.pack(g="abc123def456")}
    gaps.on_gap_draft(Recorder(), body, action, client, None, logger, services)
    [opened] = client.named("views_open")
    assert opened["view"]["title"]["text"] == "Knowledge base"
    assert REFUSAL in str(opened["view"]["blocks"])
    assert refused_targets(services, user) == ["add_entry"]


def test_only_the_owner_or_an_admin_may_mark_an_entry_reviewed(services, slack_kb_dir: Path):
    user, respond = new_user(), Recorder()
    before = {p.name: p.read_text() for p in slack_kb_dir.glob("*.yaml")}
    body = action_payload({"action_id": f"{v.MARK_REVIEWED}_0"}, response_url="http://fake/r",
                          user=user)
    action = {"action_id": f"{v.MARK_REVIEWED}_0", "value": v.pack(e="measurement-0", o=1)}
    on_mark_reviewed(Recorder(), body, action, Recorder(), respond, logger, services)
    [reply] = respond.named("call")
    assert reply["text"] == REFUSAL and reply["replace_original"] is False
    assert {p.name: p.read_text() for p in slack_kb_dir.glob("*.yaml")} == before
    assert refused_targets(services, user) == ["mark_reviewed"]


def test_the_weekly_reminder_goes_to_each_slack_owner_once_a_week(slack_advisor, slack_log):
    kb: KnowledgeBase = slack_advisor.kb
    owner = new_user()
    topic = kb.topics[0]
    entries = (dataclasses.replace(topic.entries[0], owner=owner),
               dataclasses.replace(topic.entries[1], owner=owner), *topic.entries[2:])
    mine = dataclasses.replace(kb, topics=(dataclasses.replace(topic, entries=entries),
                                           *kb.topics[1:]))
    today = dt.date(2030, 1, 7)  # a Monday: every entry is overdue by then
    client = Recorder()

    first = send_stale_reminders([client], slack_log, mine, logger, today=today)
    again = send_stale_reminders([client], slack_log, mine, logger, today=today + dt.timedelta(days=3))
    next_week = send_stale_reminders([client], slack_log, mine, logger,
                                     today=today + dt.timedelta(days=7))

    assert (first, again, next_week) == (1, 0, 1)
    dm, _ = client.named("chat_postMessage")
    assert dm["channel"] == owner and dm["text"] == "2 strategies are due for review"
    assert [b["accessory"]["value"] for b in dm["blocks"] if "accessory" in b] == [
        v.pack(e=entries[0].id, o=1), v.pack(e=entries[1].id, o=1)]


def _owned_by(kb: KnowledgeBase, owner: str) -> KnowledgeBase:
    """`kb` with its first topic's first entry owned by `owner` (overdue by 2030)."""
    topic = kb.topics[0]
    entries = (dataclasses.replace(topic.entries[0], owner=owner), *topic.entries[1:])
    return dataclasses.replace(kb, topics=(dataclasses.replace(topic, entries=entries),
                                           *kb.topics[1:]))


def test_with_many_workspaces_the_reminder_goes_through_the_one_that_reaches_the_owner(
        slack_advisor, slack_log):
    owner = new_user()
    elsewhere, home = Recorder(fail="chat_postMessage"), Recorder()

    sent = send_stale_reminders([elsewhere, home], slack_log, _owned_by(slack_advisor.kb, owner),
                                logger, today=dt.date(2030, 1, 14))

    assert sent == 1
    assert [dm["channel"] for dm in elsewhere.named("chat_postMessage")] == [owner]
    assert [dm["channel"] for dm in home.named("chat_postMessage")] == [owner]


def test_a_reminder_no_workspace_takes_is_not_counted_as_sent(slack_advisor, slack_log):
    owner = new_user()
    clients = [Recorder(fail="chat_postMessage"), Recorder(fail="chat_postMessage")]

    sent = send_stale_reminders(clients, slack_log, _owned_by(slack_advisor.kb, owner), logger,
                                today=dt.date(2030, 1, 14))

    assert sent == 0 and all(len(c.named("chat_postMessage")) == 1 for c in clients)


def test_with_many_workspaces_the_app_home_shows_an_admin_their_own_workspaces_week(
        slack_advisor, slack_log, slack_kb_dir: Path):
    from bot.log import ExchangeIn
    from bot.slack.listeners.home import on_app_home_opened
    from tests.factories import make_answer

    ours, theirs = f"T{new_user()[1:]}", f"T{new_user()[1:]}"
    for team, n in ((ours, 2), (theirs, 3)):
        for _ in range(n):
            slack_log.record(ExchangeIn("mention", "q", make_answer(), 1.0, user_id=new_user(),
                                        team_id=team))
    settings = Settings(slack_client_id="1.2", slack_client_secret="c", slack_signing_secret="s",
                        advisor_admins=f"{ours}:{ADMIN}")
    services = Services(settings, slack_advisor, slack_log,
                        LiveAdvisor(slack_advisor, kb_path=slack_kb_dir))
    client = Recorder()
    event = {"type": "app_home_opened", "user": ADMIN, "tab": "home"}

    for team in (ours, theirs):
        on_app_home_opened(event, client, logger, services, body={"team_id": team, "event": event})

    home, elsewhere = (str(c["view"]) for c in client.named("views_publish"))
    assert re.findall(r"\*Questions\*\\n(\d+)", home) == ["2"]
    assert "This week (admins)" not in elsewhere  # not an admin in the other workspace


def test_with_many_workspaces_an_admin_counts_and_lists_the_expert_requests_of_their_own_workspace(
        slack_advisor, slack_log, slack_kb_dir: Path):
    from bot.slack.listeners.home import on_app_home_opened

    ours, theirs = f"T{new_user()[1:]}", f"T{new_user()[1:]}"
    boss = new_user()
    asked = {}
    for team, n in ((ours, 2), (theirs, 3)):
        asked[team] = [slack_log.requests.save(surface="slack", user_id=new_user(),
                                               question=f"Who decides in {team}?", team_id=team)
                       for _ in range(n)]
    slack_log.requests.answer(asked[ours][0].id, text="The board.", expert_id=new_user())
    settings = Settings(slack_client_id="1.2", slack_client_secret="c", slack_signing_secret="s",
                        advisor_admins=f"{ours}:{ADMIN}", advisor_org_admins=boss)
    live = LiveAdvisor(slack_advisor, kb_path=slack_kb_dir)
    services = Services(settings, slack_advisor, slack_log, live,
                        Curator(settings=settings, log=slack_log, kb_path=slack_kb_dir, live=live,
                                measure_quality=False))
    client = Recorder()
    event = {"type": "app_home_opened", "tab": "home"}

    # The App Home: the workspace's admin counts its requests; the organisation admin all
    on_app_home_opened({**event, "user": ADMIN}, client, logger, services,
                       body={"team_id": ours, "event": event})
    everyone = slack_log.requests.counts()
    on_app_home_opened({**event, "user": boss}, client, logger, services,
                       body={"team_id": theirs, "event": event})
    home, org = (str(c["view"]) for c in client.named("views_publish"))
    assert "*Expert requests:* 1 waiting for an answer, 1 answered" in home
    waiting = everyone["saved"] + everyone["posted"]
    assert f"*Expert requests:* {waiting} waiting for an answer, {everyone['answered']} answered" in org
    assert waiting >= 4  # theirs are in the organisation admin's count

    # `/advisor admin requests`: the workspace's admin lists its own requests only
    ack = Recorder()
    commands.on_advisor(ack, {**command("admin requests", ADMIN), "team_id": ours}, Recorder(),
                        logger, services)
    [listing] = ack.named("call")
    assert f"Who decides in {ours}?" in str(listing["blocks"])
    assert f"Who decides in {theirs}?" not in str(listing)
