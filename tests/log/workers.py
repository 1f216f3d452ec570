"""Functions run in separate worker processes by the concurrency tests (spawned, so importable)."""

from __future__ import annotations

from pathlib import Path

from bot.log import ConversationLog, ExchangeIn
from tests.factories import make_answer


def write_exchanges(database_url: str | None, data_dir: str, worker: int, n: int) -> int:
    """One worker process: start a log, record `n` exchanges, close (flush)."""
    log = ConversationLog(database_url=database_url, data_dir=Path(data_dir), hmac_secret="test-secret")
    log.start()
    answer = make_answer()
    for i in range(n):
        log.record(
            ExchangeIn(
                surface="mention",
                question=f"worker {worker} question {i}: how do we brief staff?",
                answer=answer,
                latency_ms=5.0,
                user_id=f"U{worker:02d}AAAAAAA",
                event_id=f"Ev-{worker}-{i}",
            )
        )
    log.close()
    return n


def claim_keys(database_url: str | None, data_dir: str, keys: list[str]) -> list[str]:
    """One worker process: claim every key; return the ones this worker won."""
    log = ConversationLog(database_url=database_url, data_dir=Path(data_dir), hmac_secret="test-secret")
    log.start()
    won = [key for key in keys if log.claims.claim(key)]
    log.close()
    return won


def record_then_wait(database_url: str | None, data_dir: str, n: int, ready: str) -> None:
    """A worker that records `n` exchanges, writes their ids to `ready`, then waits to be killed.

    Its writer flushes once an hour, so every exchange is still in the in-memory batch.
    """
    import time

    log = ConversationLog(database_url=database_url, data_dir=Path(data_dir),
                          hmac_secret="test-secret", flush_interval=3600.0)
    log.start()
    answer = make_answer()
    ids = [log.record(ExchangeIn(surface="mention", question=f"question {i}", answer=answer,
                                 latency_ms=5.0)) for i in range(n)]
    Path(ready).write_text("\n".join(ids))
    while True:
        time.sleep(60)


if __name__ == "__main__":
    import sys

    record_then_wait(sys.argv[1] or None, sys.argv[2], int(sys.argv[3]), sys.argv[4])
