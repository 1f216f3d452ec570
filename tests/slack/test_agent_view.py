"""The agent view through Bolt's `Assistant` middleware, against the real server.

Signed events as Slack sends them; the fake Slack keeps what the bot posts, so
`conversations.replies` shows the greeting and the answers as Slack would.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.slack.listeners.assistant import GREETING
from bot.slack.listeners.messages import THINKING
from bot.slack.thread_context import CONTEXT_EVENT
from tests.factories import Server
from tests.slack.conftest import own_fake, start_server
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import (
    assistant_thread_event,
    event_body,
    message,
    new_ts,
    signed_headers,
)
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(120)
_dms = itertools.count(1)


fake = own_fake("module", keep_posts=True)


@pytest.fixture(scope="module")
def server(fake: FakeSlack, slack_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    server = start_server(fake, slack_kb_dir, tmp_path_factory.mktemp("agent"))
    yield server
    server.stop()


@pytest.fixture
def thread() -> tuple[str, str]:
    """A fresh agent-view thread: its DM channel and thread ts."""
    return f"D{next(_dms):07d}A", new_ts()


def send(server: Server, event: dict, *, event_id: str | None = None) -> int:
    body = event_body(event, event_id=event_id)
    return server.post(body, signed_headers(body))[0]


def start_thread(server: Server, fake: FakeSlack, dm: str, ts: str, context: dict) -> str:
    """Open the thread; returns the ts of the greeting the advisor posts in it."""
    assert send(server, assistant_thread_event("started", channel=dm, thread_ts=ts,
                                               context=context)) == 200
    [greeting] = fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == dm)
    return next(m["ts"] for m in fake.replies[ts] if m["text"] == greeting.args["text"])


def calls_in(fake: FakeSlack, method: str, dm: str) -> list:
    return [c for c in fake.calls_of(method) if dm in (c.args.get("channel"), c.args.get("channel_id"))]


def test_a_new_agent_thread_is_greeted_with_suggested_prompts(server, fake, thread):
    dm, ts = thread
    context = {"channel_id": "C0VIEWING", "team_id": "T0000001"}
    start_thread(server, fake, dm, ts, context)
    [greeting] = calls_in(fake, "chat.postMessage", dm)
    assert (greeting.args["thread_ts"], greeting.args["text"]) == (ts, GREETING)
    assert greeting.args["metadata"] == {"event_type": CONTEXT_EVENT, "event_payload": context}
    [prompts] = fake.wait_for("assistant.threads.setSuggestedPrompts",
                              where=lambda c: c.args["channel_id"] == dm)
    assert prompts.args["thread_ts"] == ts
    assert len(prompts.args["prompts"]) == 4
    assert all(p["title"] and p["message"] for p in prompts.args["prompts"])


def test_a_message_in_the_thread_gets_a_status_then_the_answer_in_the_thread_then_a_title(
        server, fake, thread):
    dm, ts = thread
    start_thread(server, fake, dm, ts, {})
    event = message("how do we train the staff on the new case system?", channel=dm,
                    channel_type="im", thread_ts=ts)
    # When the user writes in the thread, and Slack delivers it twice
    for _ in range(2):
        assert send(server, event, event_id=f"EvA{event['ts']}") == 200
    [_, answer] = fake.wait_for("chat.postMessage", 2, where=lambda c: c.args["channel"] == dm)
    [title] = fake.wait_for("assistant.threads.setTitle", where=lambda c: c.args["channel_id"] == dm)
    # Then the thread shows "thinking", gets one answer in the thread, and is titled
    [status] = calls_in(fake, "assistant.threads.setStatus", dm)
    assert (status.args["status"], status.args["thread_ts"]) == (THINKING, ts)
    assert answer.args["thread_ts"] == ts
    assert answer.args["blocks"][0]["text"]["text"] == "Training skills"
    assert status.at <= answer.at <= title.at
    assert (title.args["thread_ts"], title.args["title"]) == (
        ts, "how do we train the staff on the new case system?")
    assert len(calls_in(fake, "chat.postMessage", dm)) == 2  # the greeting and one answer
    # And the exchange is in the log as the agent view's
    db = create_engine(f"sqlite:///{server.data}/log.db")
    try:
        rows = eventually(lambda: db.connect().execute(text(
            "select surface, topic from exchange where thread_ts = :ts"), {"ts": ts}).all(),
            "the exchange in the log")
    finally:
        db.dispose()
    assert [tuple(r) for r in rows] == [("agent", "training-skills")]


def test_a_changed_context_is_kept_on_the_greeting_and_never_on_an_answer(server, fake, thread):
    dm, ts = thread
    greeting_ts = start_thread(server, fake, dm, ts, {"channel_id": "C0FIRST01"})
    send(server, message("the unions object to the new system", channel=dm, channel_type="im",
                         thread_ts=ts))
    fake.wait_for("chat.postMessage", 2, where=lambda c: c.args["channel"] == dm)
    # When the user switches to another channel with the view open
    moved = {"channel_id": "C0SECOND2", "team_id": "T0000001"}
    assert send(server, assistant_thread_event("context_changed", channel=dm, thread_ts=ts,
                                               context=moved)) == 200
    # Then the greeting's metadata holds the new context, and nothing else was rewritten
    [update] = fake.wait_for("chat.update", where=lambda c: c.args["channel"] == dm)
    assert update.args["ts"] == greeting_ts
    assert update.args["metadata"] == {"event_type": CONTEXT_EVENT, "event_payload": moved}
    assert update.args["text"] == GREETING


@pytest.mark.parametrize(("thread", "problem"), [
    ({"user_id": "U0000USER"}, "assistant_thread.thread_ts: Field required"),  # no thread_ts
    ("not an object", "assistant_thread: Input should be a valid dictionary"),
    (None, "assistant_thread: Input should be a valid dictionary"),
])
def test_a_malformed_thread_event_is_ignored_with_a_200_and_a_log_line(
        server, fake, thread, problem):
    dm = f"D{next(_dms):07d}M"
    if isinstance(thread, dict):
        thread = {**thread, "channel_id": dm}
    event = {"type": "assistant_thread_started", "event_ts": new_ts(), "channel": dm,
             "assistant_thread": thread}
    line = f"ignored a malformed assistant_thread_started event: {problem}"
    before = server.log().count(line)
    assert send(server, event) == 200
    server.wait_for_log(line, count=before + 1)
    assert calls_in(fake, "chat.postMessage", dm) == []
