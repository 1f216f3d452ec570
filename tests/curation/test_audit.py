"""Admin rights and the audit of admin actions."""

from __future__ import annotations

import logging

import pytest

from bot.curation.audit import AuditLog, NotAdmin, cli_actor, is_admin, require_admin
from bot.log import ConversationLog
from bot.settings import Settings
from tests.curation.conftest import ADMIN, SOMEONE


@pytest.fixture
def audit(conversation_log: ConversationLog) -> AuditLog:
    return AuditLog(conversation_log.database.engine)


def test_an_event_keeps_who_what_and_the_values_before_and_after(audit: AuditLog) -> None:
    first = audit.record(actor=ADMIN, action="add_situations", target="pick-first-pilot",
                         before={"situations": ["a"]}, after={"situations": ["a", "é b"]},
                         detail={"cluster": {"id": "abc", "size": 2}})
    second = audit.record(actor="cli:ops", action="mark_reviewed", target="x")

    events = audit.recent()

    assert [e.id for e in events] == [second, first]
    latest, earlier = events
    assert (earlier.actor, earlier.action, earlier.target) == (ADMIN, "add_situations",
                                                               "pick-first-pilot")
    assert earlier.before == {"situations": ["a"]} and earlier.after == {"situations": ["a", "é b"]}
    assert earlier.detail == {"cluster": {"id": "abc", "size": 2}}
    assert latest.before is None and earlier.at.tzinfo is not None
    assert [e.id for e in audit.recent(action="mark_reviewed")] == [second]
    assert [e.id for e in audit.recent(target="pick-first-pilot")] == [first]


def test_admins_pass_and_the_command_line_acts_as_its_os_user(settings: Settings,
                                                               audit: AuditLog) -> None:
    require_admin(settings, ADMIN, action="reload", audit=audit)
    require_admin(settings, cli_actor(), action="reload", audit=audit)
    assert cli_actor().startswith("cli:") and len(cli_actor()) > 4
    assert is_admin(settings, ADMIN) and not is_admin(settings, SOMEONE)
    assert not is_admin(settings, "cli:root")  # only cli_actor() makes a command-line actor
    assert audit.recent() == []


def test_a_non_admin_is_refused_politely_and_the_attempt_is_logged(
        settings: Settings, audit: AuditLog, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.curation.audit"), \
            pytest.raises(NotAdmin) as caught:
        require_admin(settings, SOMEONE, action="add_situations", audit=audit)

    assert str(caught.value).startswith("Sorry, only knowledge-base admins can do that.")
    assert ADMIN not in str(caught.value)  # the refusal does not list who the admins are
    assert f"refused add_situations for {SOMEONE}" in caplog.text
    [event] = audit.recent()
    assert (event.actor, event.action, event.target) == (SOMEONE, "refused", "add_situations")
