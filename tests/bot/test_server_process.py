"""The server as a process: SIGHUP reloads, the pid file and signalling through it, reloading
everywhere, the one-process server, and gunicorn's master hooks (in-process, and a real
gunicorn whose new workers serve the reloaded base)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.live import LiveAdvisor
from bot.server_process import (
    ServerNotRunning,
    gunicorn_hooks,
    install_sighup,
    pid_path,
    reload_everywhere,
    running,
    server_pid,
    signal_reload,
    write_pid_file,
)
from knowledge import editor, load_knowledge_base
from tests.bot.kb_edits import add_situation, break_base
from tests.factories import ROOT, free_port
from tests.waiting import eventually

WAIT = 90.0  # generous upper bound for waits on events; never an assertion on duration


def test_sighup_reloads_in_the_background(live: LiveAdvisor, kb_copy: Path) -> None:
    old = live.current.kb.version
    add_situation(kb_copy)
    previous = install_sighup(live)
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        eventually(lambda: live.current.kb.version != old, "SIGHUP to reload", timeout=WAIT)
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert live.status.reason == "SIGHUP"


HUP_CHILD = """
import signal, sys, time
def hup(*_):
    open(sys.argv[1], "w").write("hup")
    sys.exit(0)
signal.signal(signal.SIGHUP, hup)
print("ready", flush=True)
time.sleep(120)
"""


@pytest.fixture
def hup_child(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    marker = tmp_path / "got-hup"
    proc = subprocess.Popen([sys.executable, "-c", HUP_CHILD, str(marker)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    yield proc, marker
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_signal_reload_sends_sighup_to_the_pid_in_the_pid_file(tmp_path: Path, hup_child) -> None:
    proc, marker = hup_child
    write_pid_file(tmp_path, pid=proc.pid)

    assert signal_reload(tmp_path) == proc.pid

    assert proc.wait(timeout=WAIT) == 0
    assert marker.read_text() == "hup"


def test_no_server_and_a_stale_pid_file_are_told_apart(tmp_path: Path) -> None:
    with pytest.raises(ServerNotRunning, match="not found"):
        signal_reload(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    write_pid_file(tmp_path, pid=dead.pid)
    with pytest.raises(ServerNotRunning, match="stale"):
        signal_reload(tmp_path)
    pid_path(tmp_path).write_text("garbage\n")
    with pytest.raises(ServerNotRunning, match="not a pid file"):
        server_pid(tmp_path)


def test_a_reused_pid_is_not_signalled(tmp_path: Path) -> None:
    pid_path(tmp_path).write_text(f"{os.getpid()} 1\n")  # our pid, but another start time
    with pytest.raises(ServerNotRunning, match="another process"):
        signal_reload(tmp_path)


def test_reload_everywhere_reloads_here_then_signals_the_main_process(
        live: LiveAdvisor, kb_copy: Path, tmp_path: Path, hup_child) -> None:
    proc, marker = hup_child
    write_pid_file(tmp_path, pid=proc.pid)
    add_situation(kb_copy)

    result = reload_everywhere(live, tmp_path, reason="admin U1")

    assert result.ok and result.changed
    assert proc.wait(timeout=WAIT) == 0 and marker.exists()


def test_reload_everywhere_does_not_signal_after_a_failure(
        live: LiveAdvisor, kb_copy: Path, tmp_path: Path, hup_child) -> None:
    proc, marker = hup_child
    write_pid_file(tmp_path, pid=proc.pid)
    break_base(kb_copy)

    assert not reload_everywhere(live, tmp_path, reason="admin U1").ok
    assert proc.poll() is None and not marker.exists()


def test_gunicorn_hooks_write_the_pid_reload_and_clean_up(live: LiveAdvisor, kb_copy: Path,
                                                          tmp_path: Path) -> None:
    hooks = gunicorn_hooks(live, tmp_path, watch_seconds=0)
    hooks["when_ready"](object())
    assert server_pid(tmp_path) == os.getpid()
    add_situation(kb_copy)
    hooks["on_reload"](object())
    assert live.status.changed and live.status.reason == "SIGHUP"
    hooks["on_exit"](object())
    assert not pid_path(tmp_path).exists()


def test_a_one_process_server_runs_with_a_pid_file_and_reloads_on_sighup(
        live: LiveAdvisor, kb_copy: Path, tmp_path: Path) -> None:
    from bot.settings import load_settings

    settings = load_settings({"ADVISOR_DATA_DIR": str(tmp_path), "ADVISOR_WATCH_SECONDS": "0"})
    before = signal.getsignal(signal.SIGHUP)
    with running(live, settings):
        assert server_pid(tmp_path) == os.getpid()
        old = live.current.kb.version
        add_situation(kb_copy)
        signal_reload(tmp_path)  # what `advisor kb reload` does
        eventually(lambda: live.current.kb.version != old, "SIGHUP to reload", timeout=WAIT)
        assert live.status.reason == "SIGHUP" and live._watcher is None
    assert not pid_path(tmp_path).exists()
    assert signal.getsignal(signal.SIGHUP) == before


def test_a_one_process_server_watches_the_files_when_asked(live: LiveAdvisor, kb_copy: Path,
                                                             tmp_path: Path) -> None:
    from bot.settings import load_settings

    settings = load_settings({"ADVISOR_DATA_DIR": str(tmp_path), "ADVISOR_WATCH_SECONDS": "0.05"})
    with running(live, settings, sighup=False):
        old = live.current.kb.version
        add_situation(kb_copy)
        eventually(lambda: live.current.kb.version != old, "the watcher to reload", timeout=WAIT)
    assert live.status.reason == "files changed"


# -- under a real gunicorn -------------------------------------------------------------------


def _health(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return json.loads(response.read())
    except OSError:
        return None


@pytest.fixture
def gunicorn(kb_copy: Path, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    port, data_dir = free_port(), tmp_path / "data"
    proc = subprocess.Popen([sys.executable, "-m", "tests.bot.gunicorn_server", str(kb_copy),
                             str(data_dir), str(port)], cwd=ROOT)
    try:
        eventually(lambda: pid_path(data_dir).exists() and _health(port), "gunicorn to start",
                   timeout=WAIT)
        yield port, data_dir
    finally:
        proc.terminate()
        proc.wait(timeout=WAIT)


def test_sighup_reloads_in_the_master_and_new_workers_serve_the_new_base(
        gunicorn: tuple[int, Path], kb_copy: Path) -> None:
    port, data_dir = gunicorn
    old = _health(port)
    assert old is not None and old["kb_version"] == load_knowledge_base(kb_copy).version
    entry = load_knowledge_base(kb_copy).entries[0]
    editor.add_situations(kb_copy, entry.id, ["a question the workers have not seen"])
    new_version = load_knowledge_base(kb_copy).version

    signal_reload(data_dir)  # what `advisor kb reload` does

    eventually(lambda: all((_health(port) or {}).get("kb_version") == new_version
                           for _ in range(6)), "every worker to serve the new version", timeout=WAIT)
    assert _health(port)["last_reload"]["reason"] == "SIGHUP"


def test_an_invalid_base_keeps_the_old_version_serving_with_its_errors(
        gunicorn: tuple[int, Path], kb_copy: Path) -> None:
    port, data_dir = gunicorn
    old = _health(port)
    assert old is not None
    (kb_copy / "measurement.yaml").write_text("id: [broken\n")

    signal_reload(data_dir)

    health = eventually(lambda: (h := _health(port)) and not h["last_reload"]["ok"] and h,
                        "the failed reload to show", timeout=WAIT)
    assert health["kb_version"] == old["kb_version"]
    assert any("measurement.yaml:" in e for e in health["last_reload"]["errors"])
