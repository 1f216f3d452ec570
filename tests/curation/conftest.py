"""Fixtures for the curation loop: a real SQLite conversation log, settings, live advisors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answer import Answer, Recommendation
from bot.live import LiveAdvisor
from bot.log import ConversationLog, ExchangeIn
from bot.settings import Settings, load_settings
from knowledge.models import Entry, Topic

ADMIN = "U0ADMIN01"
OWNER = "U0OWNER01"
SOMEONE = "U0SOMEONE"

# Questions about an internal tool the shipped base has never heard of: the advisor abstains.
ZEPHYRIX = (
    "Zephyrix double-booked the Quellmoor crews",
    "Quellmoor crews double-booked by Zephyrix again",
    "why does Zephyrix double-book Quellmoor every week",
    "Zephyrix double bookings at Quellmoor again?",
)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    return load_settings({"ADVISOR_DATA_DIR": str(data_dir), "ADVISOR_ADMINS": ADMIN,
                          "LOG_HMAC_SECRET": "test-secret"})


@pytest.fixture
def conversation_log(settings: Settings) -> Iterator[ConversationLog]:
    """A started log on a SQLite file in the data dir (schema upgraded, curation tables too)."""
    log = ConversationLog(database_url=None, data_dir=settings.advisor_data_dir,
                          hmac_secret="test-secret", flush_interval=0.02)
    log.start()
    yield log
    log.close()


@pytest.fixture
def synthetic_live(kb_copy: Path, data_dir: Path) -> Iterator[LiveAdvisor]:
    live = LiveAdvisor.load(kb_copy, cache_dir=data_dir / "models")
    yield live
    live.close()


@pytest.fixture
def shipped_live(shipped_kb_copy: Path, data_dir: Path) -> Iterator[LiveAdvisor]:
    live = LiveAdvisor.load(shipped_kb_copy, cache_dir=data_dir / "models")
    yield live
    live.close()


def record(log: ConversationLog, question: str, answer: Answer, *, user: str = SOMEONE) -> str:
    """Record one exchange as a surface would; returns its id."""
    return log.record(ExchangeIn(surface="cli", question=question, answer=answer,
                                 latency_ms=1.0, user_id=user))


def fake_answer(question: str, topic: str | None, confidence: float,
                entries: tuple[str, ...] = ()) -> Answer:
    """An answer as the log sees it, for cases the real model would not produce on demand."""
    t = Topic(topic, topic, "", ()) if topic else None
    recs = tuple(Recommendation(_entry(e, topic or "x"), 0.5) for e in entries)
    return Answer(question, t, confidence, False, (), recs, "kb-test", "model-test",
                  out_of_scope=topic is None)


def _entry(entry_id: str, topic: str) -> Entry:
    return Entry(id=entry_id, topic=topic, title=entry_id, summary="s", situations=(),
                 actions=("a",), sources=(), owner="o", last_reviewed=dt.date(2026, 1, 1),
                 review_every_days=365)
