"""Socket Mode: a local websocket server pushes envelopes like Slack's and reads the acks."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from bot.live import LiveAdvisor
from bot.settings import Settings
from bot.slack.runner import socket_mode_handler
from bot.slack.server_parts import ServerParts
from tests.factories import make_log
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import event_body, mention

pytestmark = pytest.mark.timeout(60)


class SlackSocket:
    """Accepts the bot's connection, says hello, pushes queued envelopes, collects acks."""

    def __init__(self) -> None:
        self.outbox: queue.Queue[dict] = queue.Queue()
        self.acks: queue.Queue[dict] = queue.Queue()
        self.server = serve(self._handle, "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.server.socket.getsockname()[1]}/link"

    def _handle(self, ws: ServerConnection) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1,
                            "connection_info": {"app_id": "A0000001"}}))
        reader = threading.Thread(target=self._read, args=(ws,), daemon=True)
        reader.start()
        while reader.is_alive():
            try:
                ws.send(json.dumps(self.outbox.get(timeout=0.1)))
            except queue.Empty:
                continue

    def _read(self, ws: ServerConnection) -> None:
        with contextlib.suppress(ConnectionClosed):  # the bot went away: fine
            for raw in ws:
                self.acks.put(json.loads(raw))

    def push(self, envelope_id: str, body: str, retry: int = 0) -> None:
        self.outbox.put({"envelope_id": envelope_id, "type": "events_api",
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


def test_advisor_serve_socket_answers_over_the_websocket(slack_kb_dir, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from tests.factories import ROOT

    fake, socket = FakeSlack().start(), SlackSocket()
    socket.thread.start()
    fake.ws_url = socket.url
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test",
           "SLACK_API_URL": fake.base_url, "ADVISOR_KB_PATH": str(slack_kb_dir),
           "ADVISOR_DATA_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/log.db",
           "LOG_HMAC_SECRET": "s"}
    env.pop("SLACK_SIGNING_SECRET", None)
    with open(tmp_path / "socket.log", "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "bot.slack.cli", "--socket"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            event = mention("announce the change with a newsletter for staff", channel="CSOCK03")
            socket.push("env-serve-1", event_body(event))
            assert socket.ack(timeout=60)["envelope_id"] == "env-serve-1"
            [post] = fake.wait_for("chat.postMessage",
                                   where=lambda c: c.args["channel"] == "CSOCK03")
            assert post.args["blocks"][0]["text"]["text"] == "Communication"
            assert (tmp_path / "server.pid").read_text().split()[0] == str(proc.pid)
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise AssertionError("`serve --socket` did not stop on SIGINT; its output:\n"
                                     + (tmp_path / "socket.log").read_text()) from None
            socket.server.shutdown()
            fake.stop()
    assert not (tmp_path / "server.pid").exists()  # cleaned up on the way out
