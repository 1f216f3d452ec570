"""Hot reload under gunicorn: SIGHUP to the master reloads there, new workers serve it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.server_process import pid_path, signal_reload
from knowledge import editor, load_knowledge_base

WAIT = 90.0
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return json.loads(response.read())
    except OSError:
        return None


def _wait_for(condition, what: str):
    deadline = time.monotonic() + WAIT
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def server(kb_copy: Path, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port, data_dir = _free_port(), tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "tests.curation.gunicorn_server", str(kb_copy),
                             str(data_dir), str(port)], cwd=ROOT)
    try:
        _wait_for(lambda: pid_path(data_dir).exists() and _health(port), "gunicorn to start")
        yield port, data_dir
    finally:
        proc.terminate()
        proc.wait(timeout=WAIT)


def test_sighup_reloads_in_the_master_and_new_workers_serve_the_new_base(
        server: tuple[int, Path], kb_copy: Path) -> None:
    port, data_dir = server
    old = _health(port)
    assert old is not None and old["kb_version"] == load_knowledge_base(kb_copy).version
    entry = load_knowledge_base(kb_copy).entries[0]
    editor.add_situations(kb_copy, entry.id, ["a question the workers have not seen"])
    new_version = load_knowledge_base(kb_copy).version

    signal_reload(data_dir)  # what `advisor kb reload` does

    _wait_for(lambda: all((_health(port) or {}).get("kb_version") == new_version
                          for _ in range(6)), "every worker to serve the new version")
    assert _health(port)["last_reload"]["reason"] == "SIGHUP"


def test_an_invalid_base_keeps_the_old_version_serving_with_its_errors(
        server: tuple[int, Path], kb_copy: Path) -> None:
    port, data_dir = server
    old = _health(port)
    assert old is not None
    (kb_copy / "measurement.yaml").write_text("id: [broken\n")

    signal_reload(data_dir)

    health = _wait_for(lambda: (h := _health(port)) and not h["last_reload"]["ok"] and h,
                       "the failed reload to show")
    assert health["kb_version"] == old["kb_version"]
    assert any("measurement.yaml:" in e for e in health["last_reload"]["errors"])
