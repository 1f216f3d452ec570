"""The one "ask" use case: every surface answers, and logs, the same cleaned question."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.asking import Asked, answer_and_record
from bot.cli import app

logger = logging.getLogger("test.asking")
MESSY = "Staff   resist\tthe <https://intranet.example/plan?id=7|new system> &amp; its rollout"
CLEANED = "Staff resist the new system & its rollout"


@pytest.fixture(scope="module")
def advisor(synthetic_kb_dir: Path):
    from bot.advisor import Advisor

    return Advisor.load(synthetic_kb_dir)


class PostingClient:
    """Stands in for WebClient: takes the answer's `chat.postMessage` and nothing else."""

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    def chat_postMessage(self, **message: Any) -> dict[str, Any]:
        self.posted.append(message)
        return {"ok": True, "ts": "1.2"}


def test_every_surface_logs_the_same_cleaned_question(synthetic_kb_dir: Path, advisor,
                                                      tmp_path: Path):
    from bot.settings import Settings
    from bot.slack.listeners import messages
    from bot.slack.services import Services
    from tests.factories import make_log
    from tests.slack.fake_slack import BOT_USER_ID
    from tests.slack.payloads import mention, message

    env = {"ADVISOR_DATA_DIR": str(tmp_path), "DATABASE_URL": "", "LOG_HMAC_SECRET": "s"}
    # Given one conversation log, and the same messy text on each surface
    log = make_log(tmp_path, hmac_secret="s", flush_interval=0.01)
    log.start()
    services = Services(Settings(slack_bot_token="xoxb-1"), advisor, log)
    client, context = PostingClient(), {"bot_user_id": BOT_USER_ID}
    for event in (mention(MESSY), message(MESSY, channel="D0000DM01", channel_type="im")):
        body = {"team_id": "T1", "event_id": f"Ev{event['ts']}", "event": event}
        handler = messages.on_app_mention if event["type"] == "app_mention" else messages.on_message
        handler(event, body, client, context, logger, services)
    log.close()
    assert len(client.posted) == 2
    runner = CliRunner()
    kb = ["--kb", str(synthetic_kb_dir)]
    assert runner.invoke(app, ["ask", *kb, MESSY], env=env).exit_code == 0
    assert runner.invoke(app, ["chat", *kb], env=env, input=f"{MESSY}\nquit\n").exit_code == 0
    # When an admin exports the log
    export = runner.invoke(app, ["log", "export", "--format", "jsonl"], env=env)
    assert export.exit_code == 0, export.output
    # Then each surface logged the question the advisor answered, cleaned the same way
    rows = [json.loads(line) for line in export.stdout.splitlines()]
    assert sorted(r["surface"] for r in rows) == ["cli", "cli", "dm", "mention"]
    assert [r["question"] for r in rows] == [CLEANED] * 4


def test_a_bad_record_is_raised_not_hidden_as_a_logging_failure(advisor):
    recorded: list[Any] = []
    with pytest.raises(ValueError, match="surface"):
        answer_and_record(advisor, recorded.append, "staff resist the new system",
                          Asked("email"), logger)  # type: ignore[arg-type]
    assert recorded == []


def test_a_failure_to_record_costs_the_exchange_id_not_the_answer(advisor, caplog):
    def broken(exchange: Any) -> str:
        raise OSError("disk full")

    with caplog.at_level(logging.ERROR, logger="test.asking"):
        answer, exchange_id = answer_and_record(advisor, broken, "staff resist the new system",
                                                Asked("cli"), logger)
    assert answer.question == "staff resist the new system" and exchange_id is None
    assert "could not record the exchange" in caplog.text and "disk full" in caplog.text


def test_the_exchange_carries_where_it_was_asked_and_an_empty_question_is_not_recorded(advisor):
    recorded: list[Any] = []

    def record(exchange: Any) -> str:
        recorded.append(exchange)
        return "x1"

    asked = Asked("mention", "U1", "T1", "channel", "1.1", "Ev1")
    answer, exchange_id = answer_and_record(advisor, record, MESSY, asked, logger)
    [exchange] = recorded
    assert exchange_id == "x1" and exchange.question == answer.question == CLEANED
    assert (exchange.surface, exchange.user_id, exchange.team_id, exchange.channel_type,
            exchange.thread_ts, exchange.event_id) == ("mention", "U1", "T1", "channel", "1.1", "Ev1")
    assert answer_and_record(advisor, record, " <!here> ", asked, logger)[1] is None
    assert len(recorded) == 1


def test_asking_within_a_topic_answers_there(advisor):
    answer, _ = answer_and_record(advisor, lambda exchange: "x1", "staff resist the new system",
                                  Asked("cli"), logger, topic="measurement")
    assert answer.topic is not None and answer.topic.id == "measurement" and answer.forced_topic
