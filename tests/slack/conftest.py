"""Fixtures for the Slack tests: a readable knowledge base, its advisor, a real log, a fake
Slack Web API, and the production server started against it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import Server, make_log, scenario_env
from tests.slack.fake_slack import FakeSlack
from tests.slack.kb import write_test_kb
from tests.slack.payloads import SECRET


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    """A fake Slack Web API on 127.0.0.1, shared by a module's tests."""
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def own_fake(scope: str = "function", **options: Any) -> Any:
    """A `fake` fixture for a module that needs its own kind: a fresh fake Slack for each
    test, or one that keeps every post (`fake = own_fake(keep_posts=True)` at module level
    overrides the shared one)."""

    @pytest.fixture(scope=scope)
    def fake() -> Iterator[FakeSlack]:
        fake = FakeSlack(**options).start()
        yield fake
        fake.stop()

    return fake


def start_server(fake: FakeSlack, kb_dir: Path, data: Path, *, workers: int = 2,
                 **env: str | None) -> Server:
    """`advisor serve` (real gunicorn) on the fake Slack, its log and data in `data`; `env`
    overrides the scenario environment (None: leave that variable out)."""
    base = scenario_env(slack_api_url=fake.base_url, kb_dir=kb_dir, data=data, secret=SECRET)
    settings = {k: v for k, v in {**base, **env}.items() if v is not None}
    server = Server(settings, workers=workers, log_path=data / "server.log").start()
    server.data = data
    return server


def health(server: Server) -> dict[str, Any]:
    """One worker's `/healthz` (whichever gunicorn hands the connection to)."""
    status, body = server.request("GET", "/healthz")
    assert status == 200
    return json.loads(body)


def queues_idle(server: Server, workers: int) -> dict[int, dict[str, Any]] | None:
    """Each worker's `/healthz` by pid once all `workers` were seen with nothing queued, in
    hand or waiting to be posted as a busy notice; None before (for `eventually`)."""
    seen: dict[int, dict[str, Any]] = {}
    for _ in range(20 * workers):
        payload = health(server)
        load = payload["load"]
        if (load["waiting"] or load["working"] or load["handled"] != load["queued"]
                or load["busy_notices"]["waiting"]):
            return None
        seen[load["pid"]] = payload
        if len(seen) == workers:
            return seen
    return None


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
