"""Compute an answer once, record it, and hand back what the surfaces render."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from bot.answer import Answer
from bot.slack.services import Services


@dataclass(frozen=True)
class Asked:
    """Where a question came from, for the conversation log."""

    surface: str
    user_id: str | None
    team_id: str | None = None
    channel_type: str | None = None
    thread_ts: str | None = None
    event_id: str | None = None


def answer_and_record(services: Services, text: str, asked: Asked,
                      logger: logging.Logger) -> tuple[Answer, str | None]:
    """The advisor's answer and the exchange id (None if the log could not record it).

    A logging failure costs the feedback buttons, never the user's answer.
    """
    from bot.log import ExchangeIn

    started = time.perf_counter()
    answer = services.advisor.answer(text)
    latency_ms = (time.perf_counter() - started) * 1000
    if answer.is_empty:
        return answer, None
    try:
        exchange_id = services.log.record(ExchangeIn(
            surface=asked.surface, question=answer.question, answer=answer,
            latency_ms=latency_ms, user_id=asked.user_id, team_id=asked.team_id,
            channel_type=asked.channel_type, thread_ts=asked.thread_ts,
            event_id=asked.event_id,
        ))
    except Exception:
        logger.exception("could not record the exchange; answering without feedback buttons")
        return answer, None
    return answer, str(exchange_id) if exchange_id is not None else None


@contextmanager
def telling_user(logger: logging.Logger, what: str, tell: Callable[[], Any]) -> Iterator[None]:
    """Log an unexpected failure with its trace, then tell the user something went wrong."""
    try:
        yield
    except Exception:
        logger.exception("%s failed", what)
        try:
            tell()
        except Exception:
            logger.exception("could not tell the user that %s failed", what)
