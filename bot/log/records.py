"""What callers hand to the log, and the figures it gives back."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

from bot.answer import Answer
from bot.log.pseudonym import Pseudonymizer
from bot.log.redaction import redact

Surface = Literal["mention", "dm", "agent", "command", "shortcut", "cli"]
SURFACES: tuple[str, ...] = get_args(Surface)
FeedbackKind = Literal["helpful", "not_helpful", "chose_topic"]
FEEDBACK_KINDS: tuple[str, ...] = get_args(FeedbackKind)
MAX_QUESTION = 2000


@dataclass(frozen=True)
class ExchangeIn:
    """One exchange as the answer path knows it; the log redacts and pseudonymizes it."""

    surface: Surface
    question: str  # raw text; the log redacts it before anything is stored or spooled
    answer: Answer
    latency_ms: float
    user_id: str | None = None  # raw Slack user id; only its HMAC is stored
    team_id: str | None = None
    channel_type: str | None = None  # "channel", "group", "im", "mpim"
    thread_ts: str | None = None
    event_id: str | None = None

    def __post_init__(self) -> None:
        if self.surface not in SURFACES:
            raise ValueError(f"surface must be one of {', '.join(SURFACES)}: {self.surface!r}")


@dataclass(frozen=True)
class Stats:
    """A period's figures, as the weekly summary and `advisor report` show them."""

    since: dt.datetime
    questions: int
    top_topics: list[tuple[str, int]]
    abstention_rate: float
    ambiguous_rate: float
    helpful: int
    not_helpful: int

    @property
    def not_helpful_rate(self) -> float:
        """Share of rated exchanges rated not helpful (0 when nothing was rated)."""
        rated = self.helpful + self.not_helpful
        return self.not_helpful / rated if rated else 0.0


_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """`text` as every database and file can store it: NUL dropped (PostgreSQL refuses it) and
    lone surrogates, which no UTF-8 encoder accepts, replaced by U+FFFD."""
    return _UNSTORABLE.sub(lambda m: "" if m.group(0) == "\x00" else "\ufffd", text)


def exchange_row(
    exchange: ExchangeIn, exchange_id: str, at: dt.datetime, pseudo: Pseudonymizer
) -> dict[str, Any]:
    """The stored row: question redacted, user id replaced by its key."""
    answer = exchange.answer
    return {
        "id": exchange_id,
        "created_at": at,
        "surface": exchange.surface,
        "team_id": exchange.team_id,
        "channel_type": exchange.channel_type,
        "thread_ts": exchange.thread_ts,
        "user_key": pseudo.key(exchange.user_id),
        # redact a little more than is kept, so nothing is cut mid-way through personal data
        "question": redact(storable(exchange.question[:MAX_QUESTION + 200]))[:MAX_QUESTION],
        "topic": answer.topic.id if answer.topic else None,
        "confidence": float(answer.confidence),
        "abstained": answer.abstained,
        "ambiguous": bool(answer.ambiguous),
        "out_of_scope": bool(answer.out_of_scope),
        "entry_ids": ",".join(r.entry.id for r in answer.recommendations),
        "kb_version": answer.kb_version[:64],
        "model_version": answer.model_version[:64],
        "latency_ms": float(exchange.latency_ms),
        "event_id": exchange.event_id,
    }


def feedback_row(exchange_id: str, *, user_key: str | None, kind: str, value: str | None,
                 at: dt.datetime, feedback_id: str) -> dict[str, Any]:
    """The stored feedback row: its exchange, who (pseudonymous), what, and the chosen value."""
    if kind not in FEEDBACK_KINDS:
        raise ValueError(f"feedback kind must be helpful, not_helpful or chose_topic: {kind!r}")
    return {"id": feedback_id, "exchange_id": exchange_id, "created_at": at, "user_key": user_key,
            "kind": kind, "value": storable(value)[:128] if value else None}

