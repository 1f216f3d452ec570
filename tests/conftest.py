"""Shared fixtures: synthetic and shipped knowledge bases, and advisors trained on them."""

from __future__ import annotations

import gc
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge import DEFAULT_KB_PATH
from knowledge.synthetic import write_synthetic_kb
from tests.factories import seed_model_cache

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _thawed() -> Iterator[None]:
    """Undo a model freeze (`bot.long_lived`) after each test: frozen objects are never
    collected, and one test's leftovers must not outlive it."""
    yield
    if gc.get_freeze_count():
        gc.unfreeze()


@pytest.fixture(scope="session")
def synthetic_kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid synthetic knowledge base (40 entries); do not modify, copy with `kb_copy`."""
    return write_synthetic_kb(tmp_path_factory.mktemp("synthetic-kb"), entries=40)


@pytest.fixture
def kb_copy(tmp_path: Path, synthetic_kb_dir: Path) -> Path:
    """A writable copy of the synthetic knowledge base."""
    target = tmp_path / "kb"
    shutil.copytree(synthetic_kb_dir, target)
    return target


@pytest.fixture
def shipped_kb_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped knowledge base."""
    target = tmp_path / "base"
    shutil.copytree(DEFAULT_KB_PATH, target)
    return target


@pytest.fixture(scope="session")
def shipped_advisor():
    """The advisor trained on the shipped knowledge base."""
    from bot.advisor import Advisor

    return Advisor.load()


@pytest.fixture(scope="session")
def shipped_model(tmp_path_factory: pytest.TempPathFactory, shipped_advisor) -> Path:
    """The shipped base's model, trained once per test process and saved as the model cache
    names it (`model-<base version>.pkl`), for `seed_model_cache`."""
    path = tmp_path_factory.mktemp("shipped-model") / f"model-{shipped_advisor.kb.version}.pkl"
    shipped_advisor.save(path)
    return path


@pytest.fixture
def shipped_data_dir(tmp_path: Path, shipped_model: Path) -> Path:
    """A fresh data folder whose model cache already holds the shipped base's model."""
    return seed_model_cache(tmp_path / "data", shipped_model)
