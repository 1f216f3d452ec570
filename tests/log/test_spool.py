"""The spool: appends and replays can race without losing or doubling a record."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from bot.log.spool import Spool, dumps, loads


def test_records_round_trip_with_times() -> None:
    at = dt.datetime(2025, 5, 1, 12, 30, tzinfo=dt.UTC)
    (line,) = dumps([("exchange", {"id": "a", "created_at": at, "question": "é"})]).decode().splitlines()
    assert loads(line) == ("exchange", {"id": "a", "created_at": at, "question": "é"})


def test_spool_files_are_private(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([("event", {"key": "k"})])
    (path,) = spool.files()
    assert path.stat().st_mode & 0o077 == 0


def test_appending_while_replaying_loses_and_doubles_nothing(tmp_path: Path) -> None:
    # Given a process appending to its spool while another process replays it
    writer, replayer = Spool(tmp_path), Spool(tmp_path)
    writer._own = tmp_path / "shared.jsonl"  # both work on the same file name
    taken: list[int] = []
    done = threading.Event()

    def append() -> None:
        for i in range(3000):
            writer.append([("event", {"key": str(i)})])
        done.set()

    def replay() -> None:
        while not done.is_set() or replayer.files():
            for path in replayer.files():
                with replayer.take(path) as records:
                    if records is not None:
                        taken.extend(int(r[1]["key"]) for r in records)

    threads = [threading.Thread(target=append), threading.Thread(target=replay)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Then every record was taken exactly once
    assert sorted(taken) == list(range(3000))


def test_a_failed_replay_keeps_the_file(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([("event", {"key": "k"})])
    (path,) = spool.files()
    try:
        with spool.take(path) as records:
            assert records == [("event", {"key": "k"})]
            raise ConnectionError("database went away")
    except ConnectionError:
        pass
    (kept,) = spool.files()
    assert kept.suffix == ".replaying"
    with spool.take(kept) as records:
        assert records == [("event", {"key": "k"})]
    assert spool.files() == []


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.append([("event", {"key": "a"})])
    (path,) = spool.files()
    with path.open("a") as f:
        f.write('{"kind": "event", "row": {"ke')
    with spool.take(path) as records:
        assert records == [("event", {"key": "a"})]
