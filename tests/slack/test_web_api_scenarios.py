"""Slack's Web API failing under the real server: 5xx, 429 with every kind of Retry-After,
and one channel rate-limited while others are answered.

One gunicorn worker, so one process holds every rate-limited channel and the order of
calls the fake sees is the whole story.
"""

from __future__ import annotations

import itertools
import time
from email.utils import formatdate
from pathlib import Path

import pytest

from bot.slack.blocks import SORRY
from tests.factories import Server
from tests.slack.conftest import start_server
from tests.slack.fake_slack import Failure, FakeSlack
from tests.slack.payloads import event_body, mention, signed_headers

pytestmark = pytest.mark.timeout(120)
_channels = itertools.count(1)


@pytest.fixture(scope="module")
def server(fake: FakeSlack, slack_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    server = start_server(fake, slack_kb_dir, tmp_path_factory.mktemp("webapi-server"),
                          workers=1, SLACK_API_TIMEOUT="2")
    yield server
    server.stop()


@pytest.fixture
def channel() -> str:
    return f"C{next(_channels):07d}W"


def ask(server: Server, channel: str, text: str = "the unions object to the new system") -> dict:
    event = mention(text, channel=channel)
    body = event_body(event)
    assert server.post(body, signed_headers(body))[0] == 200
    return event


def calls_to(fake: FakeSlack, channel: str, count: int, *, ok_only: bool = False,
             timeout: float = 15.0) -> list:
    return fake.wait_for("chat.postMessage", count, timeout=timeout,
                         where=lambda c: c.args.get("channel") == channel
                         and (c.status == 200 or not ok_only))


def is_answer(call) -> bool:
    return call.args.get("text") != SORRY and (call.args.get("blocks") or [{}])[0].get(
        "text", {}).get("text") == "Stakeholder engagement"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_answer_is_delivered_after_transient_server_errors(server, fake, channel, status):
    # Given Slack fails the next two posts to this channel with a server error
    fake.fail("chat.postMessage", *[Failure(status, "internal_error", channel=channel)] * 2)
    # When someone asks
    event = ask(server, channel)
    # Then the same answer is posted again until Slack takes it, and nothing else
    first, second, third = calls_to(fake, channel, 3)
    assert (first.status, second.status, third.status) == (status, status, 200)
    assert all(is_answer(c) and c.args["thread_ts"] == event["ts"] for c in (first, second, third))
    time.sleep(0.5)  # room for a wrong extra post (a "Sorry") to show up
    assert len([c for c in fake.calls_of("chat.postMessage")
                if c.args.get("channel") == channel]) == 3


@pytest.mark.parametrize("retry_after", ["1", "1.5", "date"])
def test_rate_limited_answer_waits_as_slack_says_then_is_delivered(server, fake, channel,
                                                                   retry_after):
    # Given Slack rate-limits the next post to this channel, with Retry-After in seconds
    # (whole or fractional) or as an HTTP date
    retry_at = time.time() + 3
    header = formatdate(retry_at, usegmt=True) if retry_after == "date" else retry_after
    fake.fail("chat.postMessage", Failure(429, "ratelimited", {"Retry-After": header},
                                          channel=channel))
    # When someone asks
    ask(server, channel)
    # Then the answer (not a "Sorry") is posted again, no earlier than Slack asked
    limited, delivered = calls_to(fake, channel, 2)
    assert (limited.status, delivered.status) == (429, 200)
    assert is_answer(limited) and is_answer(delivered)
    if retry_after == "date":
        assert delivered.when >= int(retry_at)  # the date has whole seconds
    else:
        assert delivered.at - limited.at >= float(retry_after)


def test_a_rate_limited_channel_does_not_hold_up_answers_in_other_channels(server, fake):
    # Given Slack rate-limits one channel for 20 s, asking to retry after 20 s
    busy, other = f"C{next(_channels):07d}B", f"C{next(_channels):07d}O"
    fake.rate_limit(busy, 20.0, retry_after="20")
    # When 16 questions arrive there, more than the server has listener threads
    asked = [ask(server, busy, f"the unions object to the new system, take {n}")
             for n in range(16)]
    calls_to(fake, busy, 1)  # the first of them has met the rate limit
    # And then one question in another channel
    ask(server, other)
    # Then the other channel is answered before the busy channel's hold ends
    [answered] = calls_to(fake, other, 1)
    assert answered.status == 200 and is_answer(answered)
    assert [c for c in fake.calls_of("chat.postMessage")
            if c.args.get("channel") == busy and c.status == 200] == []
    # And every question in the busy channel is answered once, after its hold
    delivered = calls_to(fake, busy, 16, ok_only=True, timeout=60)
    assert sorted(c.args["thread_ts"] for c in delivered) == sorted(e["ts"] for e in asked)
    assert all(c.at > answered.at for c in delivered)
    limited = [c for c in fake.calls_of("chat.postMessage")
               if c.args.get("channel") == busy and c.status == 429]
    assert len(limited) <= 8  # at most one per listener thread: the rest waited in the queue
