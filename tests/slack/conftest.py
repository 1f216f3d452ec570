"""Fixtures for the Slack tests: a readable knowledge base, its advisor, a real log."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import make_log
from tests.slack.kb import write_test_kb


@pytest.fixture(scope="session")
def slack_kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_test_kb(tmp_path_factory.mktemp("slack-kb") / "kb")


@pytest.fixture(scope="session")
def slack_advisor(slack_kb_dir: Path):
    from bot.advisor import Advisor

    return Advisor.load(slack_kb_dir)


@pytest.fixture(scope="session")
def slack_log(tmp_path_factory: pytest.TempPathFactory):
    data = tmp_path_factory.mktemp("slack-log")
    log = make_log(data, f"sqlite:///{data}/log.db", flush_interval=0.01)
    log.start()
    yield log
    log.close()
