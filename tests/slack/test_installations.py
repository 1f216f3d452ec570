"""The installation store in the log's database: bots found per workspace (or organisation),
the newest install winning, and a team seen before still found while the database cannot be
read, so answering never depends on the database."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from slack_sdk.oauth.installation_store.models.bot import Bot
from sqlalchemy import text

from bot.slack.installations import Installations
from tests.factories import make_log

CLIENT_ID = "1111.2222"


@pytest.fixture
def installations(tmp_path):
    log = make_log(tmp_path, f"sqlite:///{tmp_path}/log.db")
    log.start()  # SQLite: migrated to the newest revision, slack tables included
    yield Installations.on(log.database.engine, client_id=CLIENT_ID)
    log.close()


def bot(team: str | None, token: str, *, enterprise: str | None = None,
        org_wide: bool = False, minutes: int = 0) -> Bot:
    return Bot(app_id="A0000001", enterprise_id=enterprise, team_id=team, bot_token=token,
               bot_id="B1", bot_user_id="UBOT1", bot_scopes="chat:write",
               is_enterprise_install=org_wide,
               installed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=minutes))


def break_database(installations: Installations) -> None:
    with installations.store.engine.begin() as conn:
        conn.execute(text("ALTER TABLE slack_bots RENAME TO slack_bots_elsewhere"))


def test_each_workspace_and_an_org_wide_install_has_its_newest_bot(installations):
    store = installations.store
    store.save_bot(bot("T0AGENCY1", "xoxb-old", minutes=0))
    store.save_bot(bot("T0AGENCY1", "xoxb-new", minutes=5))
    store.save_bot(bot("T0AGENCY2", "xoxb-two"))
    store.save_bot(bot(None, "xoxb-org", enterprise="E0MINISTRY", org_wide=True))

    found = store.find_bot(enterprise_id=None, team_id="T0AGENCY1")
    assert found is not None and found.bot_token == "xoxb-new"
    org = store.find_bot(enterprise_id="E0MINISTRY", team_id="T0ANYWHERE",
                         is_enterprise_install=True)
    assert org is not None and org.bot_token == "xoxb-org"
    assert sorted(b.bot_token for b in installations.bots()) == ["xoxb-new", "xoxb-org",
                                                                 "xoxb-two"]


def test_while_the_database_cannot_be_read_a_team_seen_before_keeps_its_token(
        installations, caplog):
    store = installations.store
    store.save_bot(bot("T0AGENCY1", "xoxb-one"))
    store.save_bot(bot("T0AGENCY2", "xoxb-two"))
    assert store.find_bot(enterprise_id=None, team_id="T0AGENCY1") is not None

    break_database(installations)
    with caplog.at_level(logging.WARNING, logger="bot.slack.installations"):
        seen = store.find_bot(enterprise_id=None, team_id="T0AGENCY1")
        unseen = store.find_bot(enterprise_id=None, team_id="T0AGENCY2")

    assert seen is not None and seen.bot_token == "xoxb-one"
    assert unseen is None
    assert "answering with its last-known token" in caplog.text
    assert "xoxb-" not in caplog.text


def test_a_deleted_or_uninstalled_team_is_forgotten_too(installations):
    store = installations.store
    store.save_bot(bot("T0AGENCY1", "xoxb-one"))
    store.save_bot(bot("T0AGENCY2", "xoxb-two"))
    for team in ("T0AGENCY1", "T0AGENCY2"):
        assert store.find_bot(enterprise_id=None, team_id=team) is not None
    store.delete_all(enterprise_id=None, team_id="T0AGENCY1")
    with store.engine.begin() as conn:  # uninstalled by another worker
        conn.execute(text("DELETE FROM slack_bots WHERE team_id = 'T0AGENCY2'"))
    assert store.find_bot(enterprise_id=None, team_id="T0AGENCY2") is None

    break_database(installations)
    assert store.find_bot(enterprise_id=None, team_id="T0AGENCY1") is None
    assert store.find_bot(enterprise_id=None, team_id="T0AGENCY2") is None
