"""The live advisor: atomic swaps, an invalid base never goes live, watcher, SIGHUP, pid file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.advisor import Advisor
from bot.live import KbWatcher, LiveAdvisor
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

WAIT = 60.0  # generous upper bound for waits on events; never an assertion on duration


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.02)


def _add_situation(kb_dir: Path, text: str = "a question nobody asked before") -> None:
    entry = load_knowledge_base(kb_dir).topics[0].entries[0]
    editor.add_situations(kb_dir, entry.id, [text])


def _break(kb_dir: Path) -> None:
    path = kb_dir / "communication.yaml"
    path.write_text(path.read_text() + "  - id: [broken\n")


@pytest.fixture
def live(kb_copy: Path) -> Iterator[LiveAdvisor]:
    live = LiveAdvisor.load(kb_copy)
    yield live
    live.close()


def test_a_valid_change_is_swapped_in_and_the_old_advisor_keeps_working(
        live: LiveAdvisor, kb_copy: Path) -> None:
    old = live.current
    _add_situation(kb_copy)

    result = live.reload(reason="test")

    assert result.ok and result.changed
    assert live.current is not old
    assert live.current.kb.version == load_knowledge_base(kb_copy).version != old.kb.version
    assert result.previous_version == old.kb.version
    assert old.answer("what do we tell staff").kb_version == old.kb.version  # still usable
    assert live.health()["kb_version"] == live.current.kb.version


def test_reloading_an_unchanged_base_keeps_the_same_advisor(live: LiveAdvisor) -> None:
    old = live.current
    result = live.reload()
    assert result.ok and not result.changed
    assert live.current is old
    assert "unchanged" in result.summary()


def test_an_invalid_base_never_goes_live_and_every_error_names_file_and_line(
        live: LiveAdvisor, kb_copy: Path) -> None:
    old = live.current
    _break(kb_copy)

    result = live.reload(reason="admin")

    assert not result.ok
    assert live.current is old
    assert result.kb_version == old.kb.version
    assert result.errors and all(":" in e for e in result.errors)
    assert any("communication.yaml:" in e and "invalid YAML" in e for e in result.errors)
    assert live.status is result
    health = live.health()
    assert health["kb_version"] == old.kb.version
    assert health["last_reload"]["ok"] is False and health["last_reload"]["errors"]
    assert "still serving" in result.summary()


def test_requests_in_flight_finish_on_the_old_version(kb_copy: Path) -> None:
    """While a reload trains, `current` is the old advisor; the swap happens only at the end."""
    first = Advisor.from_knowledge_base(load_knowledge_base(kb_copy))
    building, release = threading.Event(), threading.Event()
    _add_situation(kb_copy)
    new = Advisor.from_knowledge_base(load_knowledge_base(kb_copy))

    def slow_build() -> Advisor:
        building.set()
        release.wait(WAIT)
        return new

    live = LiveAdvisor(first, kb_path=kb_copy, build=slow_build)
    try:
        in_flight = live.current
        future = live.reload_in_background(reason="test")
        assert building.wait(WAIT)
        assert live.current is first  # new requests still get the old one while training
        release.set()
        result = future.result(timeout=WAIT)
        assert result.ok and live.current is new
        assert in_flight is first  # a request that read it earlier keeps its advisor
    finally:
        release.set()
        live.close()


def test_background_requests_queued_together_all_get_a_result(live: LiveAdvisor,
                                                               kb_copy: Path) -> None:
    _add_situation(kb_copy)
    seen = []
    futures = [live.reload_in_background(reason=f"r{i}", on_done=seen.append) for i in range(3)]
    results = [f.result(timeout=WAIT) for f in futures]
    assert all(r.ok for r in results)
    assert results[-1].kb_version == live.current.kb.version == load_knowledge_base(kb_copy).version
    _wait_for(lambda: len(seen) == 3, "the callbacks")


def test_the_watcher_fires_once_a_change_has_settled(kb_copy: Path) -> None:
    calls = []
    watcher = KbWatcher(kb_copy, lambda: calls.append(1), interval=60)
    assert watcher.poll() is False
    _add_situation(kb_copy)
    assert watcher.poll() is False  # seen once: maybe still being written
    assert watcher.poll() is True  # the same twice: settled
    assert calls == [1]
    assert watcher.poll() is False
    (kb_copy / "communication.yaml").unlink()
    assert [watcher.poll(), watcher.poll()] == [False, True]
    assert calls == [1, 1]


def test_a_watched_change_is_reloaded_by_itself(live: LiveAdvisor, kb_copy: Path) -> None:
    old = live.current.kb.version
    live.watch(interval=0.05)
    _add_situation(kb_copy)
    _wait_for(lambda: live.current.kb.version != old, "the watcher to reload")
    assert live.status.reason == "files changed"


def test_sighup_reloads_in_the_background(live: LiveAdvisor, kb_copy: Path) -> None:
    old = live.current.kb.version
    _add_situation(kb_copy)
    previous = install_sighup(live)
    try:
        os.kill(os.getpid(), signal.SIGHUP)
        _wait_for(lambda: live.current.kb.version != old, "SIGHUP to reload")
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
    _add_situation(kb_copy)

    result = reload_everywhere(live, tmp_path, reason="admin U1")

    assert result.ok and result.changed
    assert proc.wait(timeout=WAIT) == 0 and marker.exists()


def test_reload_everywhere_does_not_signal_after_a_failure(
        live: LiveAdvisor, kb_copy: Path, tmp_path: Path, hup_child) -> None:
    proc, marker = hup_child
    write_pid_file(tmp_path, pid=proc.pid)
    _break(kb_copy)

    assert not reload_everywhere(live, tmp_path, reason="admin U1").ok
    assert proc.poll() is None and not marker.exists()


def test_gunicorn_hooks_write_the_pid_reload_and_clean_up(live: LiveAdvisor, kb_copy: Path,
                                                          tmp_path: Path) -> None:
    hooks = gunicorn_hooks(live, tmp_path, watch_seconds=0)
    hooks["when_ready"](object())
    assert server_pid(tmp_path) == os.getpid()
    _add_situation(kb_copy)
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
        _add_situation(kb_copy)
        signal_reload(tmp_path)  # what `advisor kb reload` does
        _wait_for(lambda: live.current.kb.version != old, "SIGHUP to reload")
        assert live.status.reason == "SIGHUP" and live._watcher is None
    assert not pid_path(tmp_path).exists()
    assert signal.getsignal(signal.SIGHUP) == before


def test_a_one_process_server_watches_the_files_when_asked(live: LiveAdvisor, kb_copy: Path,
                                                             tmp_path: Path) -> None:
    from bot.settings import load_settings

    settings = load_settings({"ADVISOR_DATA_DIR": str(tmp_path), "ADVISOR_WATCH_SECONDS": "0.05"})
    with running(live, settings, sighup=False):
        old = live.current.kb.version
        _add_situation(kb_copy)
        _wait_for(lambda: live.current.kb.version != old, "the watcher to reload")
    assert live.status.reason == "files changed"
