"""The live advisor: atomic swaps, an invalid base never goes live, background reloads, the
file watcher."""

from __future__ import annotations

import gc
import threading
import weakref
from pathlib import Path

from bot.advisor import Advisor
from bot.live import KbWatcher, LiveAdvisor
from knowledge import load_knowledge_base
from tests.bot.kb_edits import add_situation, break_base
from tests.waiting import eventually

WAIT = 60.0  # generous upper bound for waits on events; never an assertion on duration


def test_a_valid_change_is_swapped_in_and_the_old_advisor_keeps_working(
        live: LiveAdvisor, kb_copy: Path) -> None:
    old = live.current
    add_situation(kb_copy)

    result = live.reload(reason="test")

    assert result.ok and result.changed
    assert live.current is not old
    assert live.current.kb.version == load_knowledge_base(kb_copy).version != old.kb.version
    assert result.previous_version == old.kb.version
    assert old.answer("what do we tell staff").kb_version == old.kb.version  # still usable
    assert live.health()["kb_version"] == live.current.kb.version


def test_the_live_model_is_out_of_the_collectors_sight_and_a_replaced_one_is_still_freed(
        live: LiveAdvisor, kb_copy: Path) -> None:
    assert gc.is_tracked(live.current.kb.topics)  # a container the collector would walk
    tracked = {id(o) for o in gc.get_objects()}  # frozen objects are no longer listed
    assert id(live.current.kb.topics) not in tracked
    old = weakref.ref(live.current)
    add_situation(kb_copy)

    assert live.reload(reason="test").changed
    assert id(live.current.kb.topics) not in {id(o) for o in gc.get_objects()}
    assert old() is None  # freed by reference counting: the collector never sees frozen objects


def test_reloading_an_unchanged_base_keeps_the_same_advisor(live: LiveAdvisor) -> None:
    old = live.current
    result = live.reload()
    assert result.ok and not result.changed
    assert live.current is old
    assert "unchanged" in result.summary()


def test_an_invalid_base_never_goes_live_and_every_error_names_file_and_line(
        live: LiveAdvisor, kb_copy: Path) -> None:
    old = live.current
    break_base(kb_copy)

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
    add_situation(kb_copy)
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
    add_situation(kb_copy)
    seen = []
    futures = [live.reload_in_background(reason=f"r{i}", on_done=seen.append) for i in range(3)]
    results = [f.result(timeout=WAIT) for f in futures]
    assert all(r.ok for r in results)
    assert results[-1].kb_version == live.current.kb.version == load_knowledge_base(kb_copy).version
    eventually(lambda: len(seen) == 3, "the callbacks", timeout=WAIT)


def test_the_watcher_fires_once_a_change_has_settled(kb_copy: Path) -> None:
    calls = []
    watcher = KbWatcher(kb_copy, lambda: calls.append(1), interval=60)
    assert watcher.poll() is False
    add_situation(kb_copy)
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
    add_situation(kb_copy)
    eventually(lambda: live.current.kb.version != old, "the watcher to reload", timeout=WAIT)
    assert live.status.reason == "files changed"
