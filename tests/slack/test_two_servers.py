"""Two `advisor serve` processes on one host, each with its own data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from gunicorn.ctl.client import ControlClient

from bot.slack.runner import CONTROL_SOCKET
from tests.factories import Server
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import SECRET, event_body, mention, signed_headers
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(180)


def test_two_servers_on_one_host_both_serve_each_with_its_own_control_socket(
        slack_kb_dir: Path, tmp_path: Path):
    # Given one user's home and runtime folder, where gunicorn puts its control socket by default
    home = tmp_path / "home"
    home.mkdir()
    fake = FakeSlack().start()
    servers: list[Server] = []
    try:
        for name in ("one", "two"):
            data = tmp_path / name
            env = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": SECRET,
                   "SLACK_API_URL": fake.base_url, "DATABASE_URL": f"sqlite:///{data}/log.db",
                   "ADVISOR_DATA_DIR": str(data), "ADVISOR_KB_PATH": str(slack_kb_dir),
                   "LOG_HMAC_SECRET": "secret", "HOME": str(home),
                   "XDG_RUNTIME_DIR": str(home)}
            # When two servers start on it, one after the other
            servers.append(Server(env, workers=1, log_path=tmp_path / f"{name}.log").start())
        # Then both answer
        for n, server in enumerate(servers):
            body = event_body(mention("the unions object", channel=f"CTWO{n}"))
            assert server.post(body, signed_headers(body))[0] == 200
            fake.wait_for("chat.postMessage", where=lambda c, n=n: c.args["channel"] == f"CTWO{n}")
        # And each one's control socket is in its own data folder and reaches that server
        # (gunicorn opens it in a thread after the workers are up, so it may come a moment later)
        for name, server in zip(("one", "two"), servers, strict=True):
            socket = tmp_path / name / CONTROL_SOCKET
            eventually(socket.exists, f"the control socket {socket}")
            with ControlClient(str(socket), timeout=10) as control:
                assert control.send_command("show stats")["pid"] == server.proc.pid
        assert not (home / "gunicorn.ctl").exists()
    finally:
        for server in servers:
            server.stop()
        fake.stop()
