"""The bounded event queue, its listener executor, busy notices' targets and thread priority,
with real threads (what is held is held by an Event the test sets, not by timing)."""

from __future__ import annotations

import os
import threading

import pytest

from bot.slack.busy import notice_target
from bot.slack.event_queue import EventQueue, ListenerExecutor
from bot.thread_priority import BACKGROUND_NICE, yield_cpu
from tests.waiting import eventually


def blocked_queue(depth: int, threads: int):
    gate, done, shed = threading.Event(), [], []

    def handle(item: int) -> None:
        gate.wait(30)
        done.append(item)

    return EventQueue(handle, depth=depth, threads=threads, on_shed=shed.append), gate, done, shed


def test_items_past_the_threads_and_the_depth_are_shed_counted_and_the_rest_handled_once():
    # Given a queue of depth 2 with 2 threads whose work is held
    queue, gate, done, shed = blocked_queue(depth=2, threads=2)
    try:
        assert queue.submit(1) and queue.submit(2)
        eventually(lambda: queue.health()["working"] == 2, "both threads to hold an item")
        # When 5 more items arrive
        accepted = [queue.submit(n) for n in range(3, 8)]
        # Then 2 wait and 3 are shed, handed to on_shed, and counted
        assert accepted == [True, True, False, False, False]
        assert shed == [5, 6, 7]
        health = queue.health()
        assert health | {"last_shed_at": None, "pid": None} == {
            "status": "shedding", "pid": None, "waiting": 2, "working": 2, "depth": 2,
            "threads": 2, "capacity": 4, "queued": 4, "shed": 3, "handled": 0, "last_shed_at": None}
        assert health["last_shed_at"] and health["pid"] == os.getpid()
    finally:
        gate.set()
        queue.close()
    # And every queued item was handled exactly once
    assert sorted(done) == [1, 2, 3, 4]
    assert queue.health()["handled"] == 4


def test_shedding_status_ends_a_while_after_the_last_shed_item():
    now = [100.0]
    queue = EventQueue(lambda item: None, depth=1, threads=1, clock=lambda: now[0])
    try:
        queue._counts["shed"], queue._last_shed = 1, now[0]  # as if one was just shed
        assert queue.health()["status"] == "shedding"
        now[0] += 61
        assert queue.health()["status"] == "ok" and queue.health()["shed"] == 1
    finally:
        queue.close()


def test_a_failing_item_is_logged_and_the_thread_goes_on(caplog):
    handled = []

    def handle(item: int) -> None:
        if item == 1:
            raise RuntimeError("boom")
        handled.append(item)

    queue = EventQueue(handle, depth=4, threads=1)
    queue.submit(1)
    queue.submit(2)
    queue.close()
    assert handled == [2]
    assert "handling a queued event failed" in caplog.text and "RuntimeError: boom" in caplog.text


def test_listeners_run_in_place_on_queue_threads_and_on_the_pool_elsewhere():
    executor = ListenerExecutor(2, thread_name_prefix="listener")
    seen: list[str] = []

    def run() -> None:
        seen.append(executor.submit(lambda: threading.current_thread().name).result())

    queue = EventQueue(lambda item: run(), depth=1, threads=1)
    queue.submit(0)
    queue.close()
    run()
    executor.shutdown()
    assert seen[0].startswith("event-") and seen[1].startswith("listener")


def test_a_failing_listener_on_a_queue_thread_comes_back_in_its_future():
    executor = ListenerExecutor(1)
    futures = []

    def fail() -> None:
        raise ValueError("no")

    queue = EventQueue(lambda item: futures.append(executor.submit(fail)), depth=1, threads=1)
    queue.submit(0)
    queue.close()
    executor.shutdown()
    with pytest.raises(ValueError, match="no"):
        futures[0].result()


@pytest.mark.parametrize(("event", "target"), [
    ({"type": "app_mention", "user": "U1", "channel": "C1", "ts": "1.1"},
     {"channel": "C1", "thread_ts": "1.1"}),
    ({"type": "app_mention", "user": "U1", "channel": "C1", "ts": "1.2", "thread_ts": "1.0"},
     {"channel": "C1", "thread_ts": "1.0"}),
    ({"type": "message", "channel_type": "im", "user": "U1", "channel": "D1", "ts": "1.1"},
     {"channel": "D1", "thread_ts": None}),
    ({"type": "message", "channel_type": "channel", "user": "U1", "channel": "C1", "ts": "1.1"},
     None),
    ({"type": "app_mention", "bot_id": "B1", "user": "U1", "channel": "C1", "ts": "1.1"}, None),
    ({"type": "message", "subtype": "message_changed", "channel_type": "im", "channel": "D1",
      "ts": "1.1"}, None),
    ({"type": "app_mention", "user": "U1", "channel": ["C1"], "ts": "1.1"}, None),
    ({"type": "app_home_opened", "user": "U1", "channel": "D1", "ts": "1.1"}, None),
])
def test_a_busy_notice_goes_only_to_questions_the_advisor_would_answer(event, target):
    assert notice_target({"event": event}) == target


def test_a_background_thread_lowers_its_own_priority_only():
    if not hasattr(os, "getpriority"):
        pytest.skip("no per-thread priorities on this platform")
    seen = {}

    def background() -> None:
        yield_cpu()
        seen["background"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread = threading.Thread(target=background)
    thread.start()
    thread.join()
    assert seen["background"] == max(before, BACKGROUND_NICE)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
