"""Start the real production server (`python -m bot.slack.cli`, gunicorn) for tests and bench."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`advisor serve` as a subprocess on 127.0.0.1; its log goes to `log_path`."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, log_path: Path,
                 args: tuple[str, ...] = ()):
        self.port = free_port()
        self.log_path = log_path
        self.env = {**os.environ, **env}
        self.cmd = [sys.executable, "-m", "bot.slack.cli", "--host", "127.0.0.1",
                    "--port", str(self.port), "--workers", str(workers), *args]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Server:
        self._log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=ROOT, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                status, _ = self.request("GET", "/healthz")
                if status == 200 and self.log().count("Booting worker") >= 1:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, count: int = 1, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while self.log().count(text) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not logged {count} time(s): {self.log()[-2000:]}")
            time.sleep(0.05)

    def request(self, method: str, path: str, body: str = "",
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body.encode(), headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def post(self, body: str, headers: dict[str, str]) -> tuple[int, Any]:
        return self.request("POST", "/slack/events", body, headers)

    def post_raw(self, body: bytes, headers: list[tuple[str, str]]) -> tuple[int, bytes]:
        """POST bytes as they are, with headers in order (a name may repeat)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest("POST", "/slack/events")
            for name, value in [*headers, ("Content-Length", str(len(body)))]:
                conn.putheader(name, value.encode("latin-1"))
            conn.endheaders(body)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def scenario_env(*, slack_api_url: str, kb_dir: Path, data: Path, secret: str) -> dict[str, str]:
    """The environment of a test server: a fake Slack, a test base, a SQLite log in `data`."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": slack_api_url, "SLACK_API_TIMEOUT": "1",
        "DATABASE_URL": f"sqlite:///{data}/log.db", "ADVISOR_DATA_DIR": str(data),
        "ADVISOR_KB_PATH": str(kb_dir), "ADVISOR_ADMINS": "UADMIN0001",
        "LOG_HMAC_SECRET": "scenario-secret",
    }
