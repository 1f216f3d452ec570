"""`/advisor admin report` end to end: the real server (gunicorn, 2 workers) answers DMs and
logs them; an admin's command posts the summary of that log through the response_url, with
topic titles and text bars; anyone else is refused."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.curation.audit import REFUSAL
from tests.factories import Server, make_log
from tests.slack.conftest import start_server
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import command_body, event_body, message, signed_headers
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(180)
FORM = "application/x-www-form-urlencoded"
ADMIN = "UADMIN0001"  # scenario_env's admin
QUESTIONS = ("the unions object to the new case system", "how do we train the clerks",
             "where is the canteen")


@pytest.fixture(scope="module")
def server(fake: FakeSlack, slack_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Server]:
    server = start_server(fake, slack_kb_dir, tmp_path_factory.mktemp("report-server"))
    yield server
    server.stop()


def slash(server: Server, fake: FakeSlack, text: str, *, user: str, name: str) -> dict:
    body = command_body(text, response_url=fake.response_url(name), user=user)
    assert server.post(body, signed_headers(body, content_type=FORM))[0] == 200
    [reply] = fake.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"),
                            timeout=60)
    return reply.args


def _last_week(log):  # type: ignore[no-untyped-def]
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    return log.queries.report(since=until - dt.timedelta(weeks=1), until=until)


def test_an_admin_gets_the_report_of_what_was_asked_and_others_are_refused(server, fake,
                                                                           slack_advisor):
    channel = "D0REPORT01"
    for q in QUESTIONS:
        body = event_body(message(q, channel=channel, channel_type="im"))
        assert server.post(body, signed_headers(body))[0] == 200
    answers = fake.wait_for("chat.postMessage", len(QUESTIONS),
                            where=lambda c: c.args.get("channel") == channel, timeout=60)
    reader = make_log(server.data, f"sqlite:///{server.data}/log.db", hmac_secret="reads")
    try:
        eventually(lambda: _last_week(reader).stats.questions >= len(QUESTIONS),
                   "the DMs in the log", timeout=60)
        expected = _last_week(reader)
    finally:
        reader.close()

    refusal = slash(server, fake, "admin report", user="U0NOTADMIN", name="report-refused")
    assert refusal["text"] == REFUSAL and "blocks" not in refusal

    reply = slash(server, fake, "admin report 1", user=ADMIN, name="report-admin")
    blocks = reply["blocks"]
    text = json.dumps(blocks, ensure_ascii=False)
    assert reply["text"].startswith(f"Conversation report: {expected.stats.questions} exchanges")
    assert f"*Exchanges*\\n{expected.stats.questions}" in text
    assert "█" in text and "the last 1 week(s)" in text
    for topic, _ in expected.stats.top_topics:  # titles of the topics the answers were in
        assert slack_advisor.kb.topic(topic).title in text
    assert "http" not in text and "<" not in text  # link-free, and nothing pings
    assert len(answers) == len(QUESTIONS)
