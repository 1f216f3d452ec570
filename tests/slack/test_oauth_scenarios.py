"""OAuth distribution against the real production server (gunicorn, 2 workers): workspaces
install the app through /slack/install and /slack/oauth_redirect (the fake Slack answers
`oauth.v2.access`), each team's events are answered with that team's own bot token, and an
uninstalled team is no longer answered while the others are; expert requests are handed
over, relayed and reminded with the token of the workspace they were asked in, and those of
an uninstalled workspace are posted nowhere. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.curation.gaps import find_gaps, gap_questions
from bot.log.db import make_engine, normalize_url, upgrade
from bot.slack import values as v
from bot.slack.expert_blocks import QUESTION_BLOCK, REMINDER, SHARE_BLOCK
from tests.factories import Server, make_log
from tests.log.conftest import pg_admin, private_database  # noqa: F401 (fixture)
from tests.slack.conftest import start_server
from tests.slack.fake_slack import FakeSlack, Installed
from tests.slack.payloads import (
    action_body,
    action_payload,
    command_body,
    event_body,
    find_action,
    mention,
    message,
    selected,
    signed_headers,
    typed,
    view_submission_body,
)
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(180)
CLIENT_ID = "1111.2222"
ADMIN, ADMINS_TEAM = "UADMIN0001", "T0000AAA"
EXPERTS, ASKER, EXPERT = "CEXPERTS0A", "UASKER000A", "UEXPERT00A"
FORM = "application/x-www-form-urlencoded"
_teams = itertools.count(1)
_channels = itertools.count(1)


@dataclass
class OAuthServer:
    server: Server
    database_url: str
    data: Path

    def rows(self, sql: str, **params: str) -> list[tuple]:
        """What a query of the server's database returns, read as an operator would."""
        engine = make_engine(normalize_url(self.database_url, Path(".")))
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql), params)]
        finally:
            engine.dispose()

    def installations(self, table: str = "slack_bots") -> list[tuple]:
        return self.rows(f"SELECT team_id, enterprise_id FROM {table}")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def oauth(request: pytest.FixtureRequest, fake: FakeSlack, slack_kb_dir: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[OAuthServer]:
    data = tmp_path_factory.mktemp(f"oauth-{request.param}")
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{data}/log.db"
        else:
            url = stack.enter_context(private_database(request.getfixturevalue("pg_admin")))
            engine = make_engine(normalize_url(url, data))
            upgrade(engine)  # `advisor db upgrade`, the release step
            engine.dispose()
        server = start_server(fake, slack_kb_dir, data, DATABASE_URL=url, SLACK_BOT_TOKEN=None,
                              SLACK_CLIENT_ID=CLIENT_ID, SLACK_CLIENT_SECRET="client-secret",
                              ADVISOR_ADMINS=f"{ADMINS_TEAM}:{ADMIN}",
                              ADVISOR_EXPERTS_CHANNEL=EXPERTS)
        stack.callback(server.stop)
        yield OAuthServer(server, url, data)


def new_team() -> str:
    return f"T{next(_teams):07d}Z"


def new_channel() -> str:
    return f"C{next(_channels):07d}O"


def install(oauth: OAuthServer, fake: FakeSlack, team: str | None, **org) -> Installed:
    """A workspace (or, with `enterprise_id`, an organisation) installs the app."""
    code, installed = fake.install(team, **org)
    status, link = oauth.server.install(code)
    assert status == 200
    assert link["client_id"] == [CLIENT_ID] and "chat:write" in link["scope"][0].split(",")
    return installed


def send(server: Server, installed: Installed, event: dict, *,
         team: str | None = None) -> tuple[int, bytes]:
    body = event_body(event, team_id=team or installed.team_id or "T0000000",
                      enterprise_id=installed.enterprise_id, bot_user_id=installed.bot_user_id,
                      is_enterprise_install=installed.is_enterprise_install)
    return server.post(body, signed_headers(body))


def answers_in(fake: FakeSlack, channel: str) -> list:
    return [c for c in fake.calls_of("chat.postMessage") if c.args.get("channel") == channel]


def test_the_install_page_offers_add_to_slack_with_a_fresh_state_each_time(oauth):
    states = []
    for _ in range(2):
        status, page = oauth.server.request("GET", "/slack/install")
        assert status == 200 and b"Add to Slack" in page
        states.append(re.search(rb"state=([\w-]+)", page)[1])
    assert states[0] != states[1]


def test_a_redirect_with_a_forged_state_installs_nothing(oauth, fake):
    before = oauth.installations()
    code, _ = fake.install(new_team())
    status, _ = oauth.server.request("GET", f"/slack/oauth_redirect?code={code}&state=forged",
                                     headers={"Cookie": "slack-app-oauth-state=forged"})
    assert status == 401  # Bolt: the state was never issued (or has expired)
    assert oauth.installations() == before
    assert not [c for c in fake.calls_of("oauth.v2.access") if c.args.get("code") == code]


def test_an_install_link_works_once(oauth, fake):
    status, page = oauth.server.request("GET", "/slack/install")
    state = re.search(rb"state=([\w-]+)", page)[1].decode()
    team = new_team()
    for expected in (200, 401):
        code, _ = fake.install(team)
        status, _ = oauth.server.request("GET", f"/slack/oauth_redirect?code={code}&state={state}",
                                         headers={"Cookie": f"slack-app-oauth-state={state}"})
        assert status == expected
    assert oauth.installations().count((team, None)) == 1


def test_each_workspace_is_answered_with_its_own_token(oauth, fake):
    first, second = install(oauth, fake, new_team()), install(oauth, fake, new_team())
    assert {(first.team_id, None), (second.team_id, None)} <= set(oauth.installations())
    channels = {first.token: new_channel(), second.token: new_channel()}

    for installed in (first, second):
        status, _ = send(oauth.server, installed,
                         mention("staff fear the new case system will cost them their jobs",
                                 channel=channels[installed.token]))
        assert status == 200

    for token, channel in channels.items():
        [answer] = fake.wait_for("chat.postMessage", where=lambda c, ch=channel: c.args.get(
            "channel") == ch)
        assert answer.token == token

    again = new_channel()
    for n in range(1, 5):  # one at a time: concurrent first requests may each miss Bolt's cache
        send(oauth.server, first, mention("how do we train the staff", channel=again))
        fake.wait_for("chat.postMessage", n, where=lambda c: c.args.get("channel") == again)
    checks = [c for c in fake.calls_of("auth.test") if c.token == first.token]
    assert len(checks) <= 3  # once at install, then once per worker: not before every event
    exchange_teams = eventually(lambda: _exchange_teams(oauth, {first.team_id, second.team_id}),
                                "both exchanges in the log")
    assert exchange_teams == {first.team_id, second.team_id}


def test_an_org_wide_install_answers_every_workspace_of_the_organisation(oauth, fake):
    org = install(oauth, fake, None, enterprise_id="E0000ORG", is_enterprise_install=True)
    channel = new_channel()
    status, _ = send(oauth.server, org, mention("how do we pick the first pilot?",
                                                channel=channel), team=new_team())
    assert status == 200
    [answer] = fake.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == channel)
    assert answer.token == org.token
    assert (None, "E0000ORG") in oauth.installations()


def test_an_uninstalled_workspace_is_no_longer_answered_and_the_others_still_are(oauth, fake):
    gone, staying = install(oauth, fake, new_team()), install(oauth, fake, new_team())
    status, _ = send(oauth.server, gone, {"type": "app_uninstalled"})
    assert status == 200
    fake.revoke(gone.token)  # Slack revokes the tokens of an uninstalled app
    oauth.server.wait_for_log(f"uninstalled from workspace {gone.team_id}")
    assert (gone.team_id, None) not in oauth.installations()
    assert (gone.team_id, None) not in oauth.installations("slack_installations")
    eventually(lambda: ("slack", f"workspace {gone.team_id}") in audited(oauth, "app_uninstalled"),
               "the uninstall in the audit")  # recorded just after the log line

    ignored, answered = new_channel(), new_channel()
    status, _ = send(oauth.server, gone, mention("the unions object to the rollout",
                                                 channel=ignored))
    assert status == 200  # acknowledged, so Slack does not retry; nothing is answered
    send(oauth.server, staying, mention("the unions object to the rollout", channel=answered))
    [answer] = fake.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == answered)
    assert answer.token == staying.token
    oauth.server.wait_for_log("the AuthorizeResult (returned value from authorize) for it was "
                              "not found")  # Bolt found no installation: the listener never ran
    assert answers_in(fake, ignored) == []
    assert all(c.token != gone.token for c in fake.calls if c.method != "auth.test")


def test_revoked_bot_tokens_remove_the_workspaces_bot(oauth, fake):
    revoked = install(oauth, fake, new_team())
    event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": [revoked.bot_user_id]}}
    status, _ = send(oauth.server, revoked, event)
    assert status == 200
    eventually(lambda: (revoked.team_id, None) not in oauth.installations(),
               "the revoked bot to be deleted")
    oauth.server.wait_for_log(f"tokens revoked in workspace {revoked.team_id} (1 bot, 0 user)")


def audited(oauth: OAuthServer, action: str) -> list[tuple]:
    """(actor, target) of the audit's events of one kind."""
    return oauth.rows("SELECT actor, target FROM audit_event WHERE action = :a", a=action)


def _exchange_teams(oauth: OAuthServer, teams: set[str | None]) -> set[str] | None:
    found = {team for (team,) in oauth.rows("SELECT team_id FROM exchange")}
    return (found & teams) if teams <= found else None


def test_health_still_answers_in_oauth_mode(oauth):
    status, body = oauth.server.request("GET", "/healthz")
    assert status == 200 and json.loads(body)["status"] in ("ok", "degraded")


# Questions the test base cannot answer well (abstained, or low confidence): gaps.
OURS = ("Zephyrix keeps double-booking the Quellmoor crews",
        "the Zephyrix tool keeps double-booking Quellmoor crews")
THEIRS = ("Brindlemark invoices vanish from the Tollbury ledger",
          "Brindlemark invoices vanished from the Tollbury ledger again")


def test_a_workspace_admin_sees_the_gaps_of_their_own_workspace_only(oauth, fake, tmp_path):
    ours, theirs = install(oauth, fake, ADMINS_TEAM), install(oauth, fake, new_team())
    for installed, questions in ((ours, OURS), (theirs, THEIRS)):
        for question in questions:
            send(oauth.server, installed, mention(question, channel=new_channel()))
    reader = make_log(tmp_path, oauth.database_url, hmac_secret="only-reads")
    try:
        for team in (ours.team_id, theirs.team_id):
            eventually(lambda t=team: len(gap_questions(reader.queries, team_id=t)) >= 2,
                       f"the gap questions of {team} in the log")
    finally:
        reader.close()

    reply = slash(oauth, fake, "admin gaps", team=ours.team_id)
    listing = json.dumps(reply.args["blocks"])
    assert "Zephyrix" in listing and "Brindlemark" not in listing

    refusal = slash(oauth, fake, "admin gaps", team=theirs.team_id)
    assert refusal.args["text"].startswith("Sorry, only knowledge-base admins can do that")


def test_a_workspace_admin_cannot_dismiss_another_workspaces_gaps(oauth, fake, tmp_path,
                                                                  slack_advisor):
    ours, theirs = install(oauth, fake, ADMINS_TEAM), install(oauth, fake, new_team())
    for question in THEIRS:
        send(oauth.server, theirs, mention(question, channel=new_channel()))
    reader = make_log(tmp_path, oauth.database_url, hmac_secret="only-reads")
    try:
        eventually(lambda: len(gap_questions(reader.queries, team_id=theirs.team_id)) >= 2,
                   "the other workspace's gap questions in the log")
        [cluster] = find_gaps(reader.queries, slack_advisor, team_id=theirs.team_id)

        name = f"oauth-click-{next(_channels)}"
        payload = action_payload({"action_id": f"{v.GAP_DISMISS}_0", "value": v.pack(g=cluster.id)},
                                 response_url=fake.response_url(name), user=ADMIN,
                                 ephemeral=True, team_id=ours.team_id)
        body = action_body(payload)
        assert oauth.server.post(body, signed_headers(body, content_type=FORM))[0] == 200
        [reply] = fake.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"))
        assert f"no open gap cluster {cluster.id!r}" in reply.args["text"]
        assert [c.id for c in find_gaps(reader.queries, slack_advisor,
                                        team_id=theirs.team_id)] == [cluster.id]
    finally:
        reader.close()


def slash(oauth: OAuthServer, fake: FakeSlack, text: str, *, team: str | None):
    """`/advisor <text>` typed by ADMIN in `team`: what came back through the response_url."""
    name = f"oauth-cmd-{next(_channels)}"
    body = command_body(text, response_url=fake.response_url(name), user=ADMIN,
                        team_id=str(team))
    status, _ = oauth.server.post(body, signed_headers(body, content_type=FORM))
    assert status == 200
    return fake.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"))[-1]


def test_no_token_or_client_secret_reaches_the_server_log(oauth, fake):
    installed = install(oauth, fake, new_team())
    channel = new_channel()
    send(oauth.server, installed, mention("how do we pick the first pilot?", channel=channel))
    fake.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == channel)
    log = oauth.server.log()
    assert installed.token not in log and "client-secret" not in log
    assert not re.search(r"xox[bpa]-", log)


# -- expert requests ("Ask a person") ---------------------------------------------------------

ABSTAINED = "Zephyrix keeps double-booking the Quellmoor crews again"  # the test base abstains
REPLY = "Book the Quellmoor crews through the shared rota board, not in Zephyrix."


def new_user() -> str:
    return f"U{next(_channels):07d}P"


def handed_over(fake: FakeSlack, request_id: str) -> list:
    """The posts in the experts' channel that hand over one request (by its metadata)."""
    return [c for c in answers_in(fake, EXPERTS) if (c.args.get("metadata") or {}).get(
        "event_payload", {}).get("request") == request_id]


def requests_of(oauth: OAuthServer, team: str | None) -> list[tuple] | None:
    """(id, enterprise_id, status, posted_ts) of the team's expert requests; None if none."""
    return oauth.rows("SELECT id, enterprise_id, status, posted_ts FROM expert_request "
                      "WHERE team_id = :t", t=str(team)) or None


def test_a_request_asked_in_the_second_workspace_is_handed_over_and_relayed_with_its_token(
        oauth, fake):
    first, second = install(oauth, fake, new_team()), install(oauth, fake, new_team())
    asker, dm = new_user(), f"D{next(_channels):07d}M"
    # Given a question asked in the second workspace, which the advisor cannot answer
    send(oauth.server, second, message(ABSTAINED, user=asker, channel=dm, channel_type="im"))
    [answer] = fake.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == dm)
    assert answer.token == second.token
    # When the asker presses "Ask a person" and sends the question
    button = find_action(answer.args["blocks"], v.ASK_PERSON)
    press = action_body(action_payload(
        {"action_id": button["action_id"], "value": button["value"], "block_id": button["block_id"]},
        response_url=fake.response_url(f"ask-{dm}"), user=asker, channel=dm,
        team_id=str(second.team_id)))
    assert oauth.server.post(press, signed_headers(press, content_type=FORM))[0] == 200
    [opened] = fake.wait_for("views.open", where=lambda c: c.token == second.token)
    modal = opened.args["view"]
    values = {QUESTION_BLOCK: {QUESTION_BLOCK: typed(ABSTAINED)},
              SHARE_BLOCK: {SHARE_BLOCK: {"type": "radio_buttons", **selected("anonymous")}}}
    sent = view_submission_body(modal, values, user=asker, view_id=f"V{dm}",
                                team_id=str(second.team_id))
    assert oauth.server.post(sent, signed_headers(sent, content_type=FORM))[0] == 200
    # Then it is stored as the second workspace's, and handed over with its token only
    [(request_id, enterprise, status, posted_ts)] = eventually(
        lambda: [r for r in requests_of(oauth, second.team_id) or () if r[3]], "the posted request")
    assert enterprise is None and status == "posted"
    [post] = handed_over(fake, request_id)
    assert post.token == second.token

    # When an expert replies in its thread, the event coming through the first workspace
    # (the experts' channel is shared between them)
    send(oauth.server, first, message(REPLY, user=EXPERT, channel=EXPERTS, thread_ts=posted_ts))
    # Then the asker gets the reply, and the expert the thanks, from the second's bot
    [relayed] = fake.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == asker
                              and "A person answered" in json.dumps(c.args))
    assert relayed.token == second.token and "shared rota board" in json.dumps(relayed.args)
    [thanks] = fake.wait_for("chat.postMessage", where=lambda c: c.args.get("thread_ts") == posted_ts)
    assert thanks.token == second.token
    assert [c.method for c in fake.calls if c.token == first.token] == ["auth.test"] * len(
        [c for c in fake.calls if c.token == first.token])  # the first's bot posted nothing


def test_the_schedule_hands_over_and_reminds_with_each_requests_own_workspace_only(
        oauth, fake, slack_kb_dir, tmp_path):
    first, second, gone = (install(oauth, fake, new_team()) for _ in range(3))
    # Given one workspace that uninstalled the app
    send(oauth.server, gone, {"type": "app_uninstalled"})
    fake.revoke(gone.token)
    eventually(lambda: (gone.team_id, None) not in oauth.installations() or None,
               "the uninstalled workspace's bot to be deleted")
    # and requests waiting: saved (their post failed), or posted and unanswered for 49 hours,
    # in the second workspace, in the uninstalled one, and one from the terminal
    writer = make_log(tmp_path, oauth.database_url, hmac_secret="writes")
    try:
        writer.start()

        def save(team: str | None, *, posted: str | None = None):
            request = writer.requests.save(surface="slack" if team else "terminal",
                                           user_id=new_user() if team else None,
                                           question="Who signs off the pilot?", team_id=team)
            if posted:
                writer.requests.mark_posted(request.id, channel=EXPERTS, ts=posted)
            return request

        stamp = f"{9100000000 + next(_channels)}"
        saved_second, saved_gone, terminal = save(second.team_id), save(gone.team_id), save(None)
        save(second.team_id, posted=f"{stamp}.000200")
        posted_gone = save(gone.team_id, posted=f"{stamp}.000300")
    finally:
        writer.close()
    with make_engine(normalize_url(oauth.database_url, tmp_path)).begin() as conn:
        conn.execute(text("UPDATE expert_request SET posted_at = :at WHERE posted_ts LIKE :ts"),
                     {"at": dt.datetime.now(dt.UTC) - dt.timedelta(hours=49), "ts": f"{stamp}.%"})

    # When a server starts (it checks the expert requests at once, then hourly)
    data = tmp_path / "scheduler"
    data.mkdir()
    server = start_server(fake, slack_kb_dir, data, workers=1, DATABASE_URL=oauth.database_url,
                          SLACK_BOT_TOKEN=None, SLACK_CLIENT_ID=CLIENT_ID,
                          SLACK_CLIENT_SECRET="client-secret", ADVISOR_EXPERTS_CHANNEL=EXPERTS,
                          ADVISOR_ADMINS=f"{ADMINS_TEAM}:{ADMIN}")
    try:
        server.wait_for_log("expert requests: ")  # the run is over
        log = server.log()
    finally:
        server.stop()
    # Then the second workspace's saved request is handed over, and its unanswered one
    # reminded in its thread, each with the second's token and no other
    [post] = handed_over(fake, saved_second.id)
    assert post.token == second.token
    [reminder] = [c for c in answers_in(fake, EXPERTS) if c.args.get("thread_ts") == f"{stamp}.000200"]
    assert reminder.token == second.token and REMINDER in reminder.args["text"]
    # and nothing of the uninstalled workspace, or of the terminal, is posted anywhere
    assert handed_over(fake, saved_gone.id) == [] and handed_over(fake, terminal.id) == []
    assert [c for c in fake.calls if c.args.get("thread_ts") == f"{stamp}.000300"] == []
    assert all(c.token != gone.token for c in fake.calls if c.method != "auth.test")
    assert all(c.token != first.token for c in fake.calls
               if c.args.get("thread_ts", "").startswith(stamp) or c in handed_over(fake, saved_second.id))
    statuses = dict(oauth.rows("SELECT id, status FROM expert_request WHERE reminded_at IS NULL"))
    assert statuses[saved_gone.id] == "saved" and statuses[posted_gone.id] == "posted"
    # each skipped once, saying why
    assert log.count(f"expert request {saved_gone.id} skipped: the app is not installed in "
                     f"workspace {gone.team_id}") == 1
    assert log.count(f"expert request {posted_gone.id} skipped") == 1
    assert log.count(f"expert request {terminal.id} skipped: it names no workspace") == 1
