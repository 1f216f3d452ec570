"""Several `advisor serve` processes behind a load balancer, sharing one PostgreSQL and one
knowledge-base folder: the way to grow past one server.

Two real servers (gunicorn, 2 workers each, each with its own data folder, as on two
hosts) on a real PostgreSQL; Slack is the fake Web API, and the test plays the load
balancer, sending each signed request to one server or the other.
"""

from __future__ import annotations

import itertools
import json
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.curation.gaps import gap_questions
from bot.log import ConversationLog
from bot.log.db import make_engine, normalize_url, upgrade
from bot.log.store import utcnow
from bot.slack import values as v
from knowledge import load_knowledge_base
from tests.factories import Server, make_log
from tests.log.conftest import pg_admin, pg_database  # noqa: F401 (fixtures)
from tests.slack.conftest import health, own_fake
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import (
    SECRET,
    event_body,
    find_action,
    mention,
    message,
    selected,
    signed_headers,
)
from tests.slack.test_admin_scenarios import (
    ADMIN,
    WAIT,
    ZEPHYRIX,
    ask,
    click,
    cluster_of,
    new_version_everywhere,
    opened_view,
    slash,
    submit,
    view_updates,
)
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(240)
_channels = itertools.count(1)


fake = own_fake()


@pytest.fixture
def database(pg_database: str) -> str:  # noqa: F811
    """PostgreSQL with the log's schema, as `advisor db upgrade` leaves it on deploy."""
    engine = make_engine(normalize_url(pg_database, Path(".")))
    upgrade(engine)
    engine.dispose()
    return pg_database


@pytest.fixture
def servers(fake: FakeSlack, database: str, slack_kb_dir: Path,
            tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    """Two servers on one database and one knowledge-base folder (a shared volume), each
    with its own data folder and file watcher; the same LOG_HMAC_SECRET on both."""
    kb = tmp_path / "kb"
    shutil.copytree(slack_kb_dir, kb)
    started: list[Server] = []
    try:
        for name in ("a", "b"):
            env = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": SECRET,
                   "SLACK_API_URL": fake.base_url, "SLACK_API_TIMEOUT": "2",
                   "DATABASE_URL": database, "ADVISOR_DATA_DIR": str(tmp_path / name),
                   "ADVISOR_KB_PATH": str(kb), "ADVISOR_ADMINS": ADMIN,
                   "ADVISOR_WATCH_SECONDS": "0.5", "LOG_HMAC_SECRET": "one-secret-everywhere"}
            server = Server(env, workers=2, log_path=tmp_path / f"{name}.log").start()
            server.kb = kb
            started.append(server)
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


def deliver(server: Server, body: str, *, retry: int = 0) -> int:
    headers = signed_headers(body)
    if retry:
        headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
    return server.post(body, headers)[0]


def at_once(*sends: tuple[Server, str, int]) -> list[int]:
    """Each (server, body, retry) sent in its own thread, all released together."""
    barrier, statuses = threading.Barrier(len(sends)), [0] * len(sends)

    def send(i: int, server: Server, body: str, retry: int) -> None:
        barrier.wait()
        statuses[i] = deliver(server, body, retry=retry)

    threads = [threading.Thread(target=send, args=(i, *s)) for i, s in enumerate(sends)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses


def wait_for_gaps(reader: ConversationLog, count: int) -> None:
    """Until the servers' background writers have stored `count` gap questions."""
    eventually(lambda: len(gap_questions(reader.queries)) >= count,
               f"{count} gap questions in the shared log", timeout=WAIT)


def posts_in(fake: FakeSlack, channel: str) -> list:
    return [c for c in fake.calls_of("chat.postMessage") if c.args.get("channel") == channel]


def test_every_event_is_answered_once_and_the_log_holds_both_servers_exchanges(
        servers, fake, database, tmp_path):
    a, b = servers
    channels = [f"CSCALE{next(_channels):04d}" for _ in range(10)]
    for n, channel in enumerate(channels):
        event = mention("the unions object to the new system", channel=channel)
        body = event_body(event, event_id=f"EvSCALE{n:04d}")
        twin = event_body(message(event["text"], ts=event["ts"], channel=channel))
        first, other = (a, b) if n % 2 == 0 else (b, a)
        # When the balancer sends a mention to one server while Slack's retry of it reaches
        # the other at the same moment, and its message.channels twin goes to either
        assert at_once((first, body, 0), (other, body, 1), (other, twin, 0)) == [200] * 3
    # Then every message gets exactly one answer, in its thread
    for channel in channels:
        fake.wait_for("chat.postMessage", where=lambda c, ch=channel: c.args["channel"] == ch)
    eventually(lambda: a.log().count("duplicate delivery ignored")
               + b.log().count("duplicate delivery ignored") >= len(channels),
               "every retry to be turned away", timeout=WAIT)
    assert [len(posts_in(fake, c)) for c in channels] == [1] * len(channels)
    # And both servers took part: each turned away retries the other had claimed
    assert "duplicate delivery ignored" in a.log() and "duplicate delivery ignored" in b.log()

    # When people ask things the advisor cannot answer, some on each server
    ask(a, fake, ZEPHYRIX[:2])
    ask(b, fake, ZEPHYRIX[2:])
    # Then the log, the gaps inbox and the report read every exchange, whichever server took it
    reader = make_log(tmp_path / "reader", database, hmac_secret="only-reads")
    try:
        wait_for_gaps(reader, len(ZEPHYRIX))
        gaps = {g.question for g in gap_questions(reader.queries)}
        report = reader.queries.report(since=utcnow().replace(year=2000), until=utcnow())
    finally:
        reader.close()
    assert set(ZEPHYRIX) <= gaps
    assert report.stats.questions == len(channels) + len(ZEPHYRIX)
    assert sum(g.count for g in report.unanswered if "Zephyrix" in g.example) == len(ZEPHYRIX)


def test_a_change_an_admin_makes_on_one_server_reaches_the_other(
        servers, fake, database, tmp_path):
    a, b = servers
    old = health(a)["kb_version"]
    assert health(b)["kb_version"] == old
    # Given questions asked on both servers that the advisor cannot answer
    ask(a, fake, ZEPHYRIX[:2])
    ask(b, fake, ZEPHYRIX[2:])
    reader = make_log(tmp_path / "reader", database, hmac_secret="only-reads")
    try:
        wait_for_gaps(reader, len(ZEPHYRIX))
    finally:
        reader.close()
    # When an admin, through server A, sees them as one gap of four and adds it to an entry
    _, reply = slash(a, fake, "admin gaps", user=ADMIN)
    section, buttons = cluster_of(reply, ZEPHYRIX)
    assert section["text"]["text"].startswith(f"*{len(ZEPHYRIX)} question(s)*")
    click(a, fake, find_action([buttons], v.GAP_ADD), user=ADMIN)
    modal = opened_view(fake, v.ADD_VIEW)
    submit(a, modal, {"entry": {"entry": selected("pilots-rollout-1")}}, user=ADMIN,
           view_id="V0SCALE01")
    [done] = view_updates(fake, "V0SCALE01")
    assert done.args["view"]["title"]["text"] == "Change applied", json.dumps(done.args["view"])
    # Then server A serves the new version, and server B, watching the shared folder, too
    new = new_version_everywhere(a, old)
    assert new == load_knowledge_base(a.kb).version
    assert new_version_everywhere(b, old) == new
    # And the questions get that entry from either server
    for server in (a, b):
        for post in ask(server, fake, ZEPHYRIX[:1]):
            assert post.args["blocks"][0]["text"]["text"] == "Pilots rollout"
