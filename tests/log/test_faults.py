"""Local faults: a spool that cannot be written, files that come back, a worker killed."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.log import ConversationLog, ExchangeIn
from tests.factories import free_port, make_answer
from tests.log.conftest import Backend
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


def ask(log: ConversationLog, question: str = "How do I run a pilot?") -> str:
    return log.record(ExchangeIn(surface="dm", question=question, answer=make_answer(), latency_ms=3.0))


def block(path: Path) -> None:
    """Make `path` a folder nothing can be written in, even by root: a plain file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("not a folder")


def test_claims_and_records_never_raise_when_database_and_spool_both_fail(tmp_path) -> None:
    # Given a database that is down and a spool (and claim) folder that cannot be written
    log = ConversationLog(database_url=f"postgresql://advisor@127.0.0.1:{free_port()}/advisor",
                          data_dir=tmp_path, hmac_secret="s", db_timeout=0.5, flush_interval=0.02)
    log.start()
    block(tmp_path / "spool")
    block(tmp_path / "claims")
    # When messages are claimed and their exchanges recorded
    assert log.claims.claim("msg:C1:1.0") is True
    assert log.claims.claim("msg:C1:1.0") is False
    ids = [ask(log) for _ in range(20)]
    assert log.flush()
    # Then nothing raised, and the failure is counted and visible
    health = log.health.to_json()
    assert health["status"] == "degraded"
    assert health["held_in_memory"] == 20 + 1  # 20 exchanges and one claim
    assert health["failures"]["spool_write"] >= 1 and health["failures"]["claim_file"] == 1
    assert "spool_write" in health["failing"]
    # And once the spool can be written again, what waited in memory goes there
    (tmp_path / "spool").unlink()
    ids.append(ask(log))
    assert eventually(lambda: log.health.to_json()["held_in_memory"] == 0)
    assert log.health.to_json()["failing"] == ["claim_file"]
    spooled = "".join(p.read_text() for p in (tmp_path / "spool").glob("*.jsonl"))
    assert all(i in spooled for i in ids) and "msg:C1:1.0" in spooled
    log.close()


def test_records_held_in_memory_reach_the_database_when_it_is_back(backend: Backend) -> None:
    # Given a log whose spool cannot be written and whose database goes away
    log = backend.started(db_timeout=0.5, retry_interval=0.1)
    block(backend.data_dir / "spool")
    log.database.mark_down(RuntimeError("test outage"))
    ids = [ask(log) for _ in range(30)]
    assert log.flush()
    # When the database answers again (the spool is still unwritable)
    # Then every exchange reaches it from memory
    assert eventually(lambda: backend.count("exchange") == 30)
    assert sorted(r.id for r in backend.rows("SELECT id FROM exchange")) == sorted(ids)
    assert log.health.to_json()["held_in_memory"] == 0


@contextlib.contextmanager
def read_only_view(real: Path, view: Path) -> Iterator[Path]:
    """`view` shows `real` through a read-only bind mount (root only; skips otherwise)."""
    view.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or subprocess.run(["mount", "--bind", str(real), str(view)],
                                           capture_output=True).returncode != 0:
        pytest.skip("needs root and bind mounts to make a folder read-only")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(view)], check=True)
        yield view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)


def test_sqlite_writes_resume_when_the_folder_is_writable_again(tmp_path) -> None:
    # Given a SQLite log whose folder is read-only when the worker connects
    real = tmp_path / "real"
    ConversationLog(database_url=None, data_dir=real, hmac_secret="s").start()  # schema
    import sqlite3

    holder = sqlite3.connect(real / "advisor.db")  # keeps the WAL files, as a busy server does
    holder.execute("SELECT 1").fetchone()
    with read_only_view(real, tmp_path / "view") as view:
        log = ConversationLog(database_url=None, data_dir=view, hmac_secret="s",
                              db_timeout=0.5, retry_interval=0.1, flush_interval=0.02)
        log.start()
        ids = [ask(log) for _ in range(10)]
        assert log.flush()
        assert log.health.to_json()["held_in_memory"] == 10
        # When the folder is writable again
        subprocess.run(["mount", "-o", "remount,bind,rw", str(view)], check=True)
        ids.append(ask(log))

        # Then the worker writes again without a restart (it reconnects)
        def stored() -> int:
            return holder.execute("SELECT count(*) FROM exchange").fetchone()[0]

        assert eventually(lambda: stored() == 11)
        log.close()
    holder.close()


def test_a_worker_killed_with_its_batch_in_memory_loses_no_exchange(backend: Backend, tmp_path) -> None:
    # Given a worker that recorded 300 exchanges still held in its writer's batch
    backend.started().close()  # the schema
    ready = tmp_path / "ids"
    worker = subprocess.Popen([sys.executable, "-m", "tests.log.workers", backend.database_url or "",
                               str(backend.data_dir), "300", str(ready)], cwd=ROOT)
    try:
        assert eventually(lambda: ready.exists() and len(ready.read_text().split()) == 300)
        assert backend.count("exchange") == 0
    finally:
        # When it is killed (kill -9: no atexit, no flush)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    # Then the next worker on this data folder finds its journal and stores every exchange
    backend.started()
    assert eventually(lambda: backend.count("exchange") == 300)
    assert sorted(r.id for r in backend.rows("SELECT id FROM exchange")) == sorted(ready.read_text().split())
