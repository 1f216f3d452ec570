"""`/advisor admin report` called as Bolt calls it: admins only, a clear answer to a bad
period, the summary through the response_url, and a clear answer while the log is down."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from bot.curation.audit import REFUSAL
from bot.log import ExchangeIn
from bot.slack.listeners import commands
from bot.slack.listeners.admin import BAD_WEEKS, LOG_DOWN, WORKING
from tests.factories import free_port, make_answer, make_log
from tests.slack.limits_check import assert_within_limits
from tests.slack.test_admin_listeners import ADMIN, command, refused_targets, services  # noqa: F401
from tests.slack.test_listeners import Recorder, new_user

logger = logging.getLogger("test.slack.report")


def test_a_non_admin_asking_for_the_report_is_refused_and_audited(services):  # noqa: F811
    user, ack, respond = new_user(), Recorder(), Recorder()
    commands.on_advisor(ack, command("admin report", user), respond, logger, services)
    assert ack.calls == [("call", {})]
    [reply] = respond.named("call")
    assert reply["text"] == REFUSAL and "blocks" not in reply
    assert refused_targets(services, user) == ["report"]


def test_a_period_that_is_no_number_gets_how_to_ask_and_nothing_runs(services):  # noqa: F811
    for text in ("admin report lots", "admin report 0", "admin report 500", "admin report 4 5"):
        ack, respond = Recorder(), Recorder()
        commands.on_advisor(ack, command(text, ADMIN), respond, logger, services)
        assert ack.named("call") == [{"text": BAD_WEEKS, "response_type": "ephemeral"}]
        assert respond.calls == []


def test_an_admin_gets_the_summary_of_the_weeks_asked_for(services):  # noqa: F811
    question = "how do we tell the benefits team about the new case system"
    services.log.record(ExchangeIn("dm", question, make_answer("communication", confidence=0.3,
                                                               kb=services.advisor.kb), 2.0))
    ack, respond = Recorder(), Recorder()
    commands.on_advisor(ack, command("admin report 4", ADMIN), respond, logger, services)
    assert ack.named("call") == [{"text": WORKING["report"], "response_type": "ephemeral"}]
    [reply] = respond.named("call")
    assert reply["response_type"] == "ephemeral" and reply["text"].startswith("Conversation report")
    assert_within_limits(reply["blocks"])
    text = str(reply["blocks"])
    assert "the last 4 week(s)" in text and "*Exchanges per week*" in text
    assert services.advisor.kb.topic("communication").title in text
    assert question in text  # the newest low-confidence answer, as logged


def test_while_the_log_is_down_the_admin_is_told_so(services, tmp_path: Path):  # noqa: F811
    down = make_log(tmp_path, f"postgresql://postgres@127.0.0.1:{free_port()}/none",
                    db_timeout=1.0, retry_interval=0.1)
    try:
        ack, respond = Recorder(), Recorder()
        commands.on_advisor(ack, command("admin report", ADMIN), respond, logger,
                            dataclasses.replace(services, log=down))
        assert respond.named("call") == [{"text": LOG_DOWN, "response_type": "ephemeral"}]
    finally:
        down.close()


def test_with_many_workspaces_an_admin_gets_their_own_workspaces_report(
        slack_advisor, slack_log, slack_kb_dir: Path):
    from bot.curation.service import Curator
    from bot.live import LiveAdvisor
    from bot.settings import Settings
    from bot.slack.services import Services

    kb = slack_advisor.kb
    asked = {"T0OURS01": "how do we brief the housing team about the new portal",
             "T0THEIRS1": "who tells the parks staff that the rota app is coming"}
    for team, question in asked.items():
        slack_log.record(ExchangeIn("mention", question,
                                    make_answer("communication", confidence=0.3, kb=kb), 2.0,
                                    user_id=new_user(), team_id=team))
    settings = Settings(slack_client_id="1.2", slack_client_secret="c", slack_signing_secret="s",
                        advisor_admins=f"T0OURS01:{ADMIN}")
    live = LiveAdvisor(slack_advisor, kb_path=slack_kb_dir)
    curator = Curator(settings=settings, log=slack_log, kb_path=slack_kb_dir, live=live,
                      measure_quality=False)
    services = Services(settings, slack_advisor, slack_log, live, curator)  # noqa: F811
    ack, respond = Recorder(), Recorder()
    commands.on_advisor(ack, {**command("admin report 4", ADMIN), "team_id": "T0OURS01"}, respond,
                        logger, services)
    [reply] = respond.named("call")
    text = str(reply["blocks"])
    assert asked["T0OURS01"] in text and asked["T0THEIRS1"] not in text
