"""Ask the advisor and record the exchange: the one "ask" every surface uses.

Slack (mentions, DMs, `/advisor`), `advisor ask TEXT` and `advisor chat` all answer through
`answer_and_record`, so every surface logs the same cleaned question the advisor answered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from bot.answer import Answer
from bot.log.records import ExchangeIn, Surface
from knowledge.models import KnowledgeBase

Record = Callable[[ExchangeIn], str]
"""Hands an exchange to the log and returns its id (`ConversationLog.record`, or a spool)."""


class Answerer(Protocol):
    """What the surfaces use of the advisor (`Advisor`, or `BatchingAdvisor` in a server)."""

    kb: KnowledgeBase
    model_version: str

    def answer(self, text: str) -> Answer: ...

    def answer_in_topic(self, text: str, topic_id: str) -> Answer: ...


@dataclass(frozen=True)
class Asked:
    """Where a question came from, for the conversation log."""

    surface: Surface
    user_id: str | None = None
    team_id: str | None = None
    channel_type: str | None = None
    thread_ts: str | None = None
    event_id: str | None = None


def answer_and_record(advisor: Answerer, record: Record, text: str, asked: Asked,
                      logger: logging.Logger, *, topic: str | None = None
                      ) -> tuple[Answer, str | None]:
    """The advisor's answer (within `topic`, if given) and the exchange id.

    An empty question is answered (with help) but not recorded. A failure to record costs
    the exchange id (no feedback can refer to it), never the user's answer; a bad record
    (a programming error) is raised, not hidden.
    """
    started = time.perf_counter()
    answer = advisor.answer_in_topic(text, topic) if topic else advisor.answer(text)
    latency_ms = (time.perf_counter() - started) * 1000
    if answer.is_empty:
        return answer, None
    exchange = ExchangeIn(
        surface=asked.surface, question=answer.question, answer=answer, latency_ms=latency_ms,
        user_id=asked.user_id, team_id=asked.team_id, channel_type=asked.channel_type,
        thread_ts=asked.thread_ts, event_id=asked.event_id,
    )
    try:
        return answer, record(exchange)
    except Exception:
        logger.exception("could not record the exchange; answering without recording it")
        return answer, None
