"""Faults against the real server (gunicorn) and a real PostgreSQL behind a TCP proxy that
the test stops: the log database down, the spool unwritable, and several servers.

Requests are signed like Slack's; the bot's Web API calls land on a fake Slack on 127.0.0.1
that keeps what the bot posts, so `conversations.replies` shows the bot's answers as Slack does.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.log.db import make_engine, normalize_url, upgrade
from tests.factories import Server
from tests.log.conftest import pg_admin, pg_database  # noqa: F401 (fixtures)
from tests.log.outage import TcpProxy
from tests.slack.conftest import own_fake
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import SECRET, event_body, mention, message, signed_headers

pytestmark = pytest.mark.timeout(180)
_channels = itertools.count(1)


fake = own_fake(keep_posts=True)


@pytest.fixture
def proxy(pg_database: str) -> Iterator[tuple[TcpProxy, str]]:  # noqa: F811
    """PostgreSQL with the log's schema, reached through a proxy the test can stop."""
    engine = make_engine(normalize_url(pg_database, Path(".")))
    upgrade(engine)
    engine.dispose()
    url = make_url(pg_database)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    yield proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    proxy.stop()


def server_env(fake: FakeSlack, data: Path, database_url: str, kb: Path) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.base_url, "SLACK_API_TIMEOUT": "1",
        "DATABASE_URL": database_url, "ADVISOR_DATA_DIR": str(data),
        "ADVISOR_KB_PATH": str(kb), "LOG_HMAC_SECRET": "scenario-secret",
    }


def send(server: Server, body: str, *, retry: int = 0) -> int:
    headers = signed_headers(body)
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return server.post(body, headers)[0]


def posts_in(fake: FakeSlack, channel: str) -> list:
    return [c for c in fake.calls_of("chat.postMessage") if c.args.get("channel") == channel]


def test_mentions_are_answered_when_the_database_and_the_spool_both_fail(
        fake, proxy, slack_kb_dir, tmp_path):
    # Given PostgreSQL down and a data folder whose spool and claim folders cannot be written
    switch, url = proxy
    switch.stop()
    data = tmp_path / "data"
    data.mkdir()
    for blocked in ("spool", "claims"):
        (data / blocked).write_text("not a folder")
    server = Server(server_env(fake, data, url, slack_kb_dir), workers=1,
                    log_path=tmp_path / "server.log").start()
    try:
        # When 10 people mention the advisor
        channels = [f"CFULL{next(_channels):04d}" for _ in range(10)]
        for channel in channels:
            assert send(server, event_body(mention("how do we run a pilot?", channel=channel))) == 200
        # Then every one is answered, once
        fake.wait_for("chat.postMessage", 10)
        assert all(len(posts_in(fake, c)) == 1 for c in channels)
        # And /healthz says the log is failing, and how
        health = json.loads(server.request("GET", "/healthz")[1])
        assert health["status"] == "degraded"
        assert health["log"]["held_in_memory"] >= 10
        assert health["log"]["failures"]["spool_write"] >= 1
        assert "cannot write the conversation-log spool" in server.log()
    finally:
        server.stop()


def test_duplicates_during_an_outage_are_answered_once_across_workers_and_servers(
        fake, proxy, slack_kb_dir, tmp_path):
    # Given two servers (2 workers each, own data folders) sharing a PostgreSQL that is down
    switch, url = proxy
    servers = [Server(server_env(fake, tmp_path / f"data{n}", url, slack_kb_dir), workers=2,
                      log_path=tmp_path / f"server{n}.log").start() for n in (1, 2)]
    a, b = servers
    switch.stop()
    try:
        channels = [f"COUT{next(_channels):05d}" for _ in range(8)]
        for n, channel in enumerate(channels):
            event = mention("the unions object to the new system", channel=channel)
            twin = message(event["text"], ts=event["ts"], channel=channel)
            body = event_body(event, event_id=f"EvOUT{n:04d}")
            # When Slack delivers the mention to one server and its message twin to the other
            assert send(a, body) == 200
            assert send(b, event_body(twin, event_id=f"EvTWIN{n:04d}")) == 200
            fake.wait_for("chat.postMessage", 1, where=lambda c, ch=channel: c.args.get("channel") == ch)
            # And retries the mention on both servers (twice on each, reaching both workers)
            for server in (a, b, a, b):
                assert send(server, body, retry=1) == 200
        a.wait_for_log("duplicate delivery ignored", 2 * len(channels))
        b.wait_for_log("(found in Slack): duplicate delivery ignored", len(channels))
        b.wait_for_log("duplicate delivery ignored", 2 * len(channels))
        # Then each message got exactly one answer, in its thread
        assert [len(posts_in(fake, c)) for c in channels] == [1] * len(channels)
    finally:
        for server in servers:
            server.stop()
