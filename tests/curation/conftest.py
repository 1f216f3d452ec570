"""Fixtures for the curation loop: a real SQLite conversation log, settings, live advisors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.answer import Answer
from bot.live import LiveAdvisor
from bot.log import ConversationLog, ExchangeIn
from bot.settings import Settings, load_settings
from tests.factories import make_log, seed_model_cache

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
def cli_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, kb_copy: Path) -> None:
    """The environment `advisor kb …` runs in: this test's data folder and base, SQLite."""
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ADVISOR_KB_PATH", str(kb_copy))
    monkeypatch.setenv("LOG_HMAC_SECRET", "test-secret")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ADVISOR_DEV_SET", raising=False)


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
    log = make_log(settings.advisor_data_dir)
    log.start()
    yield log
    log.close()


@pytest.fixture
def synthetic_live(kb_copy: Path, data_dir: Path) -> Iterator[LiveAdvisor]:
    live = LiveAdvisor.load(kb_copy, cache_dir=data_dir / "models")
    yield live
    live.close()


@pytest.fixture
def shipped_live(shipped_kb_copy: Path, data_dir: Path, shipped_model: Path) -> Iterator[LiveAdvisor]:
    seed_model_cache(data_dir, shipped_model)  # the copy has the shipped base's version
    live = LiveAdvisor.load(shipped_kb_copy, cache_dir=data_dir / "models")
    yield live
    live.close()


def record(log: ConversationLog, question: str, answer: Answer, *, user: str = SOMEONE) -> str:
    """Record one exchange as a surface would; returns its id."""
    return log.record(ExchangeIn(surface="cli", question=question, answer=answer,
                                 latency_ms=1.0, user_id=user))
