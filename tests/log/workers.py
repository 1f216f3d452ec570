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
