"""Many worker processes writing to one log: nothing lost, nothing doubled, no errors."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from tests.log import workers
from tests.log.conftest import Backend

WRITERS = 8
PER_WRITER = 5_000


def _pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(WRITERS, mp_context=multiprocessing.get_context("spawn"))


def test_eight_writer_processes_store_exactly_forty_thousand_rows(backend: Backend) -> None:
    # Given 8 worker processes sharing one database (and one data directory)
    data_dir = str(backend.data_dir)
    # When each records 5,000 exchanges and shuts down
    with _pool() as pool:
        done = list(
            pool.map(
                workers.write_exchanges,
                [backend.database_url] * WRITERS,
                [data_dir] * WRITERS,
                range(WRITERS),
                [PER_WRITER] * WRITERS,
            )
        )
    # Then every exchange is stored exactly once, and nothing waits in a spool or was refused
    assert done == [PER_WRITER] * WRITERS
    (total, distinct, events) = backend.rows(
        "SELECT count(*), count(DISTINCT id), count(DISTINCT event_id) FROM exchange"
    )[0]
    assert (total, distinct, events) == (40_000, 40_000, 40_000)
    spool = backend.data_dir / "spool"
    assert [p for p in spool.rglob("*") if p.is_file()] == []  # journals deleted once delivered


def test_each_event_is_claimed_by_exactly_one_worker(backend: Backend) -> None:
    # Given 8 workers that all receive the same 300 events (Slack retries, doubled delivery)
    keys = [f"C1:{1700000000 + i}.000100" for i in range(300)]
    with _pool() as pool:
        won = list(
            pool.map(
                workers.claim_keys,
                [backend.database_url] * WRITERS,
                [str(backend.data_dir)] * WRITERS,
                [keys] * WRITERS,
            )
        )
    # Then each event is answered once, across processes
    claimed = [key for worker in won for key in worker]
    assert sorted(claimed) == sorted(keys)
