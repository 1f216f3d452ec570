"""The log never blocks or breaks an answer: outages spool, and the spool replays exactly once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.cli import app
from bot.log import ConversationLog, ExchangeIn
from tests.factories import free_port, make_answer
from tests.log.conftest import Backend
from tests.log.outage import SqliteLock, TcpProxy
from tests.waiting import eventually


@dataclass
class Flaky:
    """A backend whose database can be stopped and started during a test."""

    backend: Backend
    switch: Any
    database_url: str | None

    def log(self, **kw: Any) -> ConversationLog:
        options = {"database_url": self.database_url, "db_timeout": 0.5, "retry_interval": 0.1}
        options.update(kw)
        return self.backend.started(**options)


@pytest.fixture
def flaky(backend: Backend) -> Iterator[Flaky]:
    if backend.name == "postgres":
        url = make_url(backend.database_url)
        proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
        proxy.start()
        yield Flaky(backend, proxy, url.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
        proxy.stop()
    else:
        backend.started().close()  # create the file and schema
        lock = SqliteLock(backend.data_dir / "advisor.db")
        yield Flaky(backend, lock, None)
        lock.start()


def ask(log: ConversationLog, question: str = "How do I run a pilot?") -> str:
    return log.record(ExchangeIn(surface="dm", question=question, answer=make_answer(), latency_ms=3.0))




def stored_ids(backend: Backend) -> list[str]:
    return [r.id for r in backend.rows("SELECT id FROM exchange")]


def test_outage_keeps_answering_and_replays_exactly_once(flaky: Flaky) -> None:
    backend = flaky.backend
    log = flaky.log()
    # Given exchanges written while the database is up
    ids = [ask(log) for _ in range(200)]
    assert log.flush() and backend.count("exchange") == 200
    # When the database goes away mid-run, the log keeps taking exchanges, claims and ticks
    flaky.switch.stop()
    ids += [ask(log) for _ in range(300)]
    assert log.claims.claim("Ev-during-outage") is True
    assert log.claims.claim("Ev-during-outage") is False
    assert log.checklists.set_item(scope="user:U1AAAAAAA", checklist_id="c", item=4, done=True) == {4}
    assert log.flush()
    assert log.spool.pending()
    # And when it is back
    flaky.switch.start()
    ids += [ask(log) for _ in range(100)]
    # Then the spool is replayed by itself and every exchange is there exactly once
    assert eventually(lambda: backend.count("exchange") == 600)
    log.flush()
    assert sorted(stored_ids(backend)) == sorted(ids)
    assert not log.spool.pending()
    assert backend.started().claims.claim("Ev-during-outage") is False
    assert log.checklists.done(scope="user:U1AAAAAAA", checklist_id="c") == {4}


def test_concurrent_writers_through_an_outage_lose_nothing(flaky: Flaky, caplog) -> None:
    backend = flaky.backend
    log = flaky.log(batch_size=100)
    recorded: list[list[str]] = [[] for _ in range(4)]
    halfway = threading.Barrier(5)

    def writer(n: int) -> None:
        for i in range(1500):
            recorded[n].append(ask(log, f"writer {n} question {i}"))
            if i == 500:
                halfway.wait()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    halfway.wait()
    flaky.switch.stop()
    # The database stays down until writes have really hit the outage, however slow the machine
    assert eventually(lambda: "spooling to" in caplog.text)
    flaky.switch.start()
    for t in threads:
        t.join()
    log.close()
    ids = [i for batch in recorded for i in batch]
    assert len(ids) == 6000
    assert sorted(stored_ids(backend)) == sorted(ids)


def test_records_spooled_at_shutdown_are_replayed_by_the_cli(backend: Backend, tmp_path) -> None:
    # Given a worker that ran and shut down while its database was unreachable (a dead port)
    down = ConversationLog(
        database_url=f"postgresql://advisor@127.0.0.1:{free_port()}/advisor",
        data_dir=backend.data_dir,
        hmac_secret="test-secret",
        db_timeout=0.5,
    )
    down.start()
    ids = [ask(down) for _ in range(50)]
    down.record_feedback(ids[0], user_id="U1AAAAAAA", kind="helpful")
    down.close()
    assert down.spool.pending()
    backend.make_log().prepare()  # the schema exists (starting a log would replay by itself)
    env = {"ADVISOR_DATA_DIR": str(backend.data_dir), "LOG_HMAC_SECRET": "test-secret"}
    if backend.database_url:
        env["DATABASE_URL"] = backend.database_url
    # When an admin runs `advisor log replay`, twice
    first = CliRunner().invoke(app, ["log", "replay"], env=env)
    second = CliRunner().invoke(app, ["log", "replay"], env=env)
    # Then everything is there exactly once
    assert first.exit_code == 0, first.output
    assert "replayed 51 records" in first.output
    assert "replayed 0 records" in second.output
    assert sorted(stored_ids(backend)) == sorted(ids)
    assert backend.count("feedback") == 1


def test_replay_left_half_done_by_a_crash_does_not_duplicate(backend: Backend) -> None:
    # Given spooled records that reached the database, but whose spool file survived (a crash)
    log = backend.started()
    eid = uuid.uuid4().hex
    row = _exchange_row(eid)
    log.spool.append([("exchange", row)])
    (path,) = log.spool.files()
    crashed = path.with_name(path.stem + ".dead.replaying")
    path.rename(crashed)
    log.spool.append([("exchange", row), ("exchange", _exchange_row(uuid.uuid4().hex))])
    from sqlmodel import Session

    from bot.log import store

    with Session(backend.engine) as session:
        store.write(session, [("exchange", row)], retention_days=180)
        session.commit()
    # When the spool is replayed
    assert log.replay() == 3
    # Then each exchange is stored once
    assert backend.count("exchange") == 2
    assert not log.spool.pending()


def test_reads_degrade_gracefully_while_down(tmp_path) -> None:
    log = ConversationLog(
        database_url=f"postgresql://advisor@127.0.0.1:{free_port()}/advisor",
        data_dir=tmp_path,
        hmac_secret="s",
        db_timeout=0.5,
    )
    log.start()
    assert log.queries.recent_questions(user_id="U1AAAAAAA") == []
    assert log.checklists.done(scope="channel:C1", checklist_id="c") == frozenset()
    assert log.checklists.set_item(scope="channel:C1", checklist_id="c", item=1, done=True) == {1}
    assert log.checklists.in_progress(user_id="U1AAAAAAA") == []
    from bot.log import LogError

    with pytest.raises(LogError, match="unreachable"):
        log.queries.weekly_stats()
    log.close()


def test_outage_messages_never_show_the_database_password(tmp_path, caplog) -> None:
    log = ConversationLog(
        database_url=f"postgresql://advisor:hunter2@127.0.0.1:{free_port()}/advisor",
        data_dir=tmp_path,
        hmac_secret="very-secret-hmac",
        db_timeout=0.5,
    )
    log.start()
    ask(log)
    log.close()
    assert "unavailable" in caplog.text
    assert "hunter2" not in caplog.text and "very-secret-hmac" not in caplog.text
    spooled = "".join(p.read_text() for p in (tmp_path / "spool").rglob("*") if p.is_file())
    assert "hunter2" not in spooled and "very-secret-hmac" not in spooled


def _exchange_row(eid: str) -> dict:
    from bot.log.store import utcnow

    return {
        "id": eid,
        "created_at": utcnow(),
        "surface": "cli",
        "team_id": None,
        "channel_type": None,
        "thread_ts": None,
        "user_key": None,
        "question": "q",
        "topic": None,
        "confidence": 0.1,
        "abstained": True,
        "ambiguous": False,
        "out_of_scope": True,
        "entry_ids": "",
        "kb_version": "k",
        "model_version": "m",
        "latency_ms": 1.0,
        "event_id": None,
    }
