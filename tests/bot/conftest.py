"""Fixtures for the live advisor and the server process: a live advisor on a writable base."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.live import LiveAdvisor


@pytest.fixture
def live(kb_copy: Path) -> Iterator[LiveAdvisor]:
    """A live advisor serving `kb_copy` (edit it with `tests.bot.kb_edits`)."""
    live = LiveAdvisor.load(kb_copy)
    yield live
    live.close()
