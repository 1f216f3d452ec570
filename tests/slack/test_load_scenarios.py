"""Past capacity: the production server with a small event queue and a Slack that is slow for
as long as the test needs (its `chat.postMessage` held), so what is queued and what is shed
does not depend on timing."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from bot.slack.busy import BUSY
from bot.slack.event_queue import DEFAULT_THREADS
from bot.slack.listeners.messages import ANSWER_EVENT
from tests.slack.conftest import health, queues_idle, start_server
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import FORM, command_body, event_body, mention, signed_headers
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(180)
DEPTH = 2
_channels = itertools.count(1)


@pytest.fixture(scope="module")
def server(fake: FakeSlack, slack_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    server = start_server(fake, slack_kb_dir, tmp_path_factory.mktemp("load"), workers=1,
                          ADVISOR_QUEUE_DEPTH=str(DEPTH), SLACK_API_TIMEOUT="60")
    yield server
    server.stop()


def test_a_burst_past_the_queue_is_acked_shed_visibly_and_every_question_gets_one_reply(
        server, fake):
    # Given a Slack that holds every chat.postMessage, so no answer can finish
    fake.hold("chat.postMessage")
    channels = [f"CLOAD{next(_channels):04d}" for _ in range(3 * (DEFAULT_THREADS + DEPTH))]
    try:
        # When a burst of mentions arrives, more than the threads and the queue can hold
        for n, channel in enumerate(channels):
            body = event_body(mention("the unions object to the new system", channel=channel),
                              event_id=f"EvLOAD{channel}{n}")
            # Then every one is acknowledged with 200
            assert server.post(body, signed_headers(body))[0] == 200
        # And the threads are all busy (each waits on Slack), plus one posting a busy notice
        fake.wait_held("chat.postMessage", DEFAULT_THREADS + 1)
        during = health(server)
        load = during["load"]
        # And /healthz says the worker sheds, with the queue's depth and what it shed
        assert during["status"] == "busy" and load["status"] == "shedding"
        assert load["depth"] == DEPTH and load["threads"] == DEFAULT_THREADS
        assert load["capacity"] == DEPTH + DEFAULT_THREADS
        assert load["queued"] + load["shed"] == len(channels)
        assert load["shed"] >= len(channels) - DEFAULT_THREADS - DEPTH
        assert load["working"] + load["waiting"] == load["queued"]
        assert load["last_shed_at"]
        # And a slash command is still acknowledged meanwhile: it never queues behind events
        command = command_body("help", response_url=fake.response_url("loadhelp"))
        status, ack = server.post(command, signed_headers(command, content_type=FORM))
        assert status == 200 and "How to use" in json.loads(ack)["text"]
    finally:
        fake.release("chat.postMessage")
    [after] = eventually(lambda: queues_idle(server, 1), "the queues to empty").values()
    # Then each question got exactly one reply: queued ones an answer, shed ones the notice
    posts = {c: [p for p in fake.calls_of("chat.postMessage") if p.args.get("channel") == c]
             for c in channels}
    assert [len(p) for p in posts.values()] == [1] * len(channels)
    answered = [c for c, [p] in posts.items() if (p.args.get("metadata") or {}).get(
        "event_type") == ANSWER_EVENT]
    told_busy = [c for c, [p] in posts.items() if p.args.get("text") == BUSY]
    assert len(answered) == load["queued"] and len(told_busy) == load["shed"]
    assert sorted(answered + told_busy) == sorted(channels)
    # And the notice went in the question's thread, and /healthz counts every one sent
    assert all(posts[c][0].args.get("thread_ts") for c in told_busy)
    assert after["load"]["busy_notices"] == {"sent": load["shed"], "dropped": 0, "waiting": 0}
    assert after["load"]["handled"] == load["queued"]
