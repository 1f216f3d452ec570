"""The message shortcut "Ask the advisor about this", against the real server.

Slack sends a shortcut as a form-encoded, signed `payload=`; the answer is private (an
ephemeral message, or a DM where Slack refuses one) and can be shared into the thread.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from sqlalchemy import create_engine, text

from bot.slack import values as v
from bot.slack.listeners.shortcuts import NOT_SHARED, SHARED
from bot.slack.mrkdwn import escape
from tests.factories import Server
from tests.slack.conftest import start_server
from tests.slack.fake_slack import Failure, FakeSlack
from tests.slack.payloads import (
    action_body,
    action_payload,
    find_action,
    message_shortcut_body,
    new_ts,
    signed_headers,
)
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(120)
FORM = "application/x-www-form-urlencoded"
_names = itertools.count(1)


@pytest.fixture(scope="module")
def server(fake: FakeSlack, slack_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    server = start_server(fake, slack_kb_dir, tmp_path_factory.mktemp("shortcut"))
    yield server
    server.stop()


@pytest.fixture
def channel() -> str:
    return f"C{next(_names):07d}S"


def post_form(server: Server, body: str) -> tuple[int, bytes]:
    return server.post(body, signed_headers(body, content_type=FORM))


def use_shortcut(server: Server, fake: FakeSlack, text_: str, *, channel: str,
                 user: str = "U0000USER", **message: str) -> tuple[int, bytes]:
    return post_form(server, message_shortcut_body(
        text_, response_url=fake.response_url(f"sc{next(_names)}"), user=user, channel=channel,
        **message))


def share(server: Server, fake: FakeSlack, blocks: list, *, channel: str, user: str) -> str:
    """Press "Share in thread" on a private answer; returns the response_url name."""
    button = find_action(blocks, v.SHARE_IN_THREAD)
    name = f"share{next(_names)}"
    payload = action_payload({"action_id": button["action_id"], "value": button["value"],
                              "block_id": button["block_id"]},
                             response_url=fake.response_url(name), user=user, channel=channel,
                             ephemeral=True)
    assert post_form(server, action_body(payload))[0] == 200
    return name


def test_the_shortcut_answers_privately_about_the_message_then_shares_into_its_thread(
        server, fake, channel):
    # Given a message in a channel, by someone else
    ts = new_ts()
    # When a user picks "Ask the advisor about this" on it
    status, ack = use_shortcut(server, fake, "The unions object to the new system and say "
                               "nobody asked them", channel=channel, user="U0000ASKR", ts=ts)
    # Then Slack gets an empty 200 at once, and the user alone sees the answer, quoting it
    assert (status, ack) == (200, b"")
    [private] = fake.wait_for("chat.postEphemeral", where=lambda c: c.args["channel"] == channel)
    assert private.args["user"] == "U0000ASKR" and "thread_ts" not in private.args
    blocks = private.args["blocks"]
    assert blocks[0]["text"]["text"].startswith(
        "*About this message:*\n>The unions object to the new system")
    assert blocks[1]["text"]["text"] == "Stakeholder engagement"
    assert not [c for c in fake.calls_of("chat.postMessage") if c.args["channel"] == channel]
    # When they press "Share in thread"
    name = share(server, fake, blocks, channel=channel, user="U0000ASKR")
    # Then the answer is posted under the message, saying who shared it
    [shared] = fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == channel)
    assert shared.args["thread_ts"] == ts
    assert "Shared by <@U0000ASKR>" in shared.args["blocks"][0]["elements"][0]["text"]
    assert shared.args["blocks"][1]["text"]["text"] == "Stakeholder engagement"
    # And the private copy says it was shared, without the button
    [done] = fake.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"))
    assert done.args["text"] == SHARED and done.args["replace_original"] in (True, "true")
    assert v.SHARE_IN_THREAD not in str(done.args["blocks"])


def test_on_a_reply_in_a_thread_the_answer_shows_and_is_shared_in_that_thread(
        server, fake, channel):
    parent = new_ts()
    use_shortcut(server, fake, "how do we train the staff", channel=channel, thread_ts=parent)
    [private] = fake.wait_for("chat.postEphemeral", where=lambda c: c.args["channel"] == channel)
    assert private.args["thread_ts"] == parent
    share(server, fake, private.args["blocks"], channel=channel, user="U0000USER")
    [shared] = fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == channel)
    assert shared.args["thread_ts"] == parent
    assert shared.args["blocks"][1]["text"]["text"] == "Training skills"


def test_where_slack_refuses_an_ephemeral_the_answer_comes_by_dm_and_still_shares(
        server, fake, channel):
    # Given a conversation the advisor cannot post an ephemeral message in
    fake.fail("chat.postEphemeral", Failure(error="channel_not_found", channel=channel))
    ts = new_ts()
    use_shortcut(server, fake, "how do we train the staff", channel=channel, user="U0000DMME",
                 ts=ts)
    # Then the answer comes as a DM from the advisor
    [dm] = fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "U0000DMME")
    assert dm.args["blocks"][1]["text"]["text"] == "Training skills"
    server.wait_for_log("answering a message shortcut by DM")
    # And its button still shares into the original message's thread
    share(server, fake, dm.args["blocks"], channel="D0000DMME", user="U0000DMME")
    [shared] = fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == channel)
    assert shared.args["thread_ts"] == ts


def test_a_share_slack_refuses_is_explained_privately(server, fake, channel):
    use_shortcut(server, fake, "how do we train the staff", channel=channel)
    [private] = fake.wait_for("chat.postEphemeral", where=lambda c: c.args["channel"] == channel)
    fake.fail("chat.postMessage", Failure(error="not_in_channel", channel=channel))
    name = share(server, fake, private.args["blocks"], channel=channel, user="U0000USER")
    [told] = fake.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"))
    assert told.args["text"] == escape(NOT_SHARED)
    assert told.args["response_type"] == "ephemeral"


def test_the_message_is_logged_redacted_as_a_shortcut_question(server, fake, channel):
    ts = new_ts()
    use_shortcut(server, fake, "My name is Priya Shah, priya.shah@council.gov.uk: how do we "
                 "train the staff?", channel=channel, ts=ts)
    fake.wait_for("chat.postEphemeral", where=lambda c: c.args["channel"] == channel)
    db = create_engine(f"sqlite:///{server.data}/log.db")
    try:
        [(surface, question)] = eventually(lambda: db.connect().execute(text(
            "select surface, question from exchange where thread_ts = :ts"), {"ts": ts}).all(),
            "the exchange in the log")
    finally:
        db.dispose()
    assert surface == "shortcut"
    assert "Priya" not in question and "priya.shah@" not in question and "train the staff" in question


def test_a_shortcut_without_its_message_is_ignored_with_a_200(server, fake, channel):
    body = message_shortcut_body("how do we train the staff", channel=channel,
                                 response_url=fake.response_url("broken"))
    payload = json.loads(parse_qs(body)["payload"][0])
    del payload["message"]["ts"]
    assert post_form(server, urlencode({"payload": json.dumps(payload)})) == (200, b"")
    server.wait_for_log("ignored a malformed message shortcut: message.ts: Field required")
    assert [c for c in fake.calls_of("chat.postEphemeral") if c.args["channel"] == channel] == []
