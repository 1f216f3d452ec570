"""Who is an admin where, and whose log they see: one bot token, or many workspaces."""

from __future__ import annotations

from bot.curation.audit import cli_actor, is_admin
from bot.settings import load_settings

OAUTH = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c"}


def test_one_bot_token_stays_the_default_and_admins_are_plain_user_ids():
    settings = load_settings({"ADVISOR_ADMINS": "U0ADMIN1,T0TEAM01:U0ADMIN2"})
    assert not settings.oauth_mode
    assert settings.actor("U0ADMIN1", "T0TEAM01") == "U0ADMIN1"
    assert settings.is_admin("U0ADMIN1") and settings.is_admin("U0ADMIN2")
    assert not settings.is_admin("U0SOMEONE") and not settings.is_admin("cli:root")
    assert settings.team_scope("U0ADMIN1") is None  # one workspace: all of the log


def test_with_many_workspaces_an_admin_is_an_admin_of_their_own_workspace_only():
    settings = load_settings({**OAUTH, "ADVISOR_ADMINS": "T0AGENCY1:U0ADMIN1"})
    home, elsewhere = settings.actor("U0ADMIN1", "T0AGENCY1"), settings.actor("U0ADMIN1", "T0AGENCY2")
    assert (home, elsewhere) == ("T0AGENCY1:U0ADMIN1", "T0AGENCY2:U0ADMIN1")
    assert settings.is_admin(home) and not settings.is_admin(elsewhere)
    assert not settings.is_admin("U0ADMIN1")  # no workspace: no rights
    assert settings.team_scope(home) == "T0AGENCY1"
    assert settings.team_scope("U0ADMIN1") == "-"  # matches no team's exchanges


def test_an_organisation_admin_is_an_admin_everywhere_and_sees_every_workspace():
    settings = load_settings({**OAUTH, "ADVISOR_ORG_ADMINS": "U0MINISTRY"})
    for team in ("T0AGENCY1", "T0AGENCY2"):
        actor = settings.actor("U0MINISTRY", team)
        assert settings.is_admin(actor) and settings.team_scope(actor) is None
    assert not settings.is_admin(settings.actor("U0SOMEONE", "T0AGENCY1"))


def test_the_command_line_is_an_admin_in_either_mode():
    for env in ({}, OAUTH):
        assert is_admin(load_settings(env), cli_actor())
