"""Socket Mode: a local websocket server pushes envelopes like Slack's and reads the acks."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from bot.live import LiveAdvisor
from bot.log.db import make_engine, normalize_url, upgrade
from bot.settings import Settings
from bot.slack.runner import socket_mode_handler
from bot.slack.server_parts import ServerParts
from tests.factories import ROOT, make_log
from tests.log.conftest import pg_admin, pg_database  # noqa: F401 (fixtures)
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import event_body, mention
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(60)


class SlackSocket:
    """Accepts the bots' connections, says hello, pushes queued envelopes, collects acks.

    An envelope pushed without `to` goes to whichever connection takes it first; with
    `to=n`, to the n-th connection opened (as Slack spreads events across an app's
    connections, and may send a retry down another one)."""

    def __init__(self) -> None:
        self.outbox: queue.Queue[dict] = queue.Queue()
        self.acks: queue.Queue[dict] = queue.Queue()
        self.connections: list[queue.Queue[dict]] = []
        self._lock = threading.Lock()
        self.server = serve(self._handle, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link"

    def _handle(self, ws: ServerConnection) -> None:
        with self._lock:
            own: queue.Queue[dict] = queue.Queue()
            self.connections.append(own)
            count = len(self.connections)
        ws.send(json.dumps({"type": "hello", "num_connections": count,
                            "connection_info": {"app_id": "A0000001"}}))
        reader = threading.Thread(target=self._read, args=(ws,), daemon=True)
        reader.start()
        while reader.is_alive():
            for box in (own, self.outbox):
                try:
                    ws.send(json.dumps(box.get(timeout=0.05)))
                except queue.Empty:
                    continue

    def _read(self, ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):  # the bot went away: fine
            for raw in ws:
                self.acks.put(json.loads(raw))

    def push(self, envelope_id: str, body: str, retry: int = 0, *, to: int | None = None) -> None:
        box = self.outbox if to is None else self.connections[to]
        box.put({"envelope_id": envelope_id, "type": "events_api",
                 "payload": json.loads(body), "accepts_response_payload": False,
                 "retry_attempt": retry, "retry_reason": "timeout" if retry else ""})

    def ack(self, timeout: float = 15.0) -> dict:
        return self.acks.get(timeout=timeout)


@pytest.fixture
def socket_bot(slack_advisor, tmp_path) -> Iterator[tuple[FakeSlack, SlackSocket]]:
    fake, socket = FakeSlack().start(), SlackSocket()
    socket.thread.start()
    fake.ws_url = socket.url
    settings = Settings(slack_bot_token="xoxb-test", slack_app_token="xapp-test",
                        slack_api_url=fake.base_url, advisor_data_dir=tmp_path)
    log = make_log(tmp_path, f"sqlite:///{tmp_path}/log.db", flush_interval=0.01)
    parts = ServerParts(settings, LiveAdvisor(slack_advisor), log, socket_mode=True)
    handler = socket_mode_handler(settings, parts)
    handler.connect()
    yield fake, socket
    handler.close()
    parts.close()
    socket.server.shutdown()
    fake.stop()


def test_socket_mode_acks_envelopes_and_answers_once_despite_a_retry(socket_bot):
    fake, socket = socket_bot
    event = mention("the unions object to the new system", channel="CSOCKET01")
    body = event_body(event)
    socket.push("env-1", body)
    assert socket.ack()["envelope_id"] == "env-1"
    [post] = fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "CSOCKET01")
    assert post.args["thread_ts"] == event["ts"]
    assert post.args["blocks"][0]["text"]["text"] == "Stakeholder engagement"
    opened = fake.calls_of("apps.connections.open")
    assert opened and all(c.args == {} for c in opened)  # the xapp token stays in a header

    socket.push("env-2", body, retry=1)  # Slack's retry of the same event
    assert socket.ack()["envelope_id"] == "env-2"
    sentinel = mention("announce the change", channel="CSOCKET02")
    socket.push("env-3", event_body(sentinel))
    assert socket.ack()["envelope_id"] == "env-3"
    fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "CSOCKET02")
    assert len([c for c in fake.calls_of("chat.postMessage")
                if c.args["channel"] == "CSOCKET01"]) == 1


def socket_worker(fake: FakeSlack, kb: Path, data: Path, database_url: str,
                  out: IO[bytes]) -> subprocess.Popen[bytes]:
    """`advisor serve --socket` as its own process (a `worker:` of the Procfile)."""
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test",
           "SLACK_API_URL": fake.base_url, "ADVISOR_KB_PATH": str(kb),
           "ADVISOR_DATA_DIR": str(data), "DATABASE_URL": database_url,
           "LOG_HMAC_SECRET": "s"}
    env.pop("SLACK_SIGNING_SECRET", None)
    return subprocess.Popen([sys.executable, "-m", "bot.slack.cli", "--socket"], cwd=ROOT,
                            env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    """SIGINT, as a platform stops a worker; it must exit within 30 s."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("`serve --socket` did not stop on SIGINT; its output:\n"
                             + log.read_text()) from None


def test_advisor_serve_socket_answers_over_the_websocket(slack_kb_dir, tmp_path):
    fake, socket = FakeSlack().start(), SlackSocket()
    socket.thread.start()
    fake.ws_url = socket.url
    with open(tmp_path / "socket.log", "wb") as out:
        proc = socket_worker(fake, slack_kb_dir, tmp_path, f"sqlite:///{tmp_path}/log.db", out)
        try:
            event = mention("announce the change with a newsletter for staff", channel="CSOCK03")
            socket.push("env-serve-1", event_body(event))
            assert socket.ack(timeout=60)["envelope_id"] == "env-serve-1"
            [post] = fake.wait_for("chat.postMessage",
                                   where=lambda c: c.args["channel"] == "CSOCK03")
            assert post.args["blocks"][0]["text"]["text"] == "Communication"
            assert (tmp_path / "server.pid").read_text().split()[0] == str(proc.pid)
        finally:
            stop(proc, tmp_path / "socket.log")
            socket.server.shutdown()
            fake.stop()
    assert not (tmp_path / "server.pid").exists()  # cleaned up on the way out


@pytest.mark.timeout(180)
def test_several_socket_mode_workers_each_with_its_own_connection_answer_every_event_once(
        slack_kb_dir, tmp_path, pg_database):  # noqa: F811
    # Given two `advisor serve --socket` processes (own data folders, as on two hosts), each
    # holding its own connection, sharing one PostgreSQL
    engine = make_engine(normalize_url(pg_database, tmp_path))
    upgrade(engine)
    engine.dispose()
    fake, socket = FakeSlack().start(), SlackSocket()
    socket.thread.start()
    fake.ws_url = socket.url
    logs = [tmp_path / f"worker{n}.log" for n in (0, 1)]
    outs = [open(log, "wb") for log in logs]  # noqa: SIM115
    procs = [socket_worker(fake, slack_kb_dir, tmp_path / f"w{n}", pg_database, out)
             for n, out in enumerate(outs)]
    try:
        eventually(lambda: len(socket.connections) == 2, "both workers to connect", timeout=60)
        # When Slack sends each event down one connection, and for half of them sends the
        # same event down the other connection too (a retry, or a redelivery after a
        # reconnect), and a few events only to one connection or the other
        channels = [f"CSOCKM{n:03d}" for n in range(8)]
        envelopes = 0
        for n, channel in enumerate(channels):
            body = event_body(mention("the unions object to the new system", channel=channel),
                              event_id=f"EvSOCKM{n:03d}")
            socket.push(f"env-m{n}", body, to=n % 2)
            envelopes += 1
            if n < 4:
                socket.push(f"env-m{n}-again", body, retry=1, to=(n + 1) % 2)
                envelopes += 1
        # Then every envelope is acknowledged on its connection
        acked = {socket.ack(timeout=60)["envelope_id"] for _ in range(envelopes)}
        assert len(acked) == envelopes
        # And every event gets exactly one answer, whichever worker received it
        for channel in channels:
            fake.wait_for("chat.postMessage", where=lambda c, ch=channel: c.args["channel"] == ch,
                          timeout=60)
        eventually(lambda: sum(log.read_text().count("duplicate delivery ignored")
                               for log in logs) >= 4, "the four redeliveries to be turned away")
        assert [len([c for c in fake.calls_of("chat.postMessage") if c.args["channel"] == ch])
                for ch in channels] == [1] * len(channels)
        # (both workers answered: the last four events went down one connection only, two
        # down each, and each of those got its answer)
        assert len(fake.calls_of("apps.connections.open")) >= 2  # a connection each
    finally:
        for proc, log in zip(procs, logs, strict=True):
            stop(proc, log)
        for out in outs:
            out.close()
        socket.server.shutdown()
        fake.stop()
