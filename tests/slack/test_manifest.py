"""The app manifest an admin pastes matches what the bot serves."""

from __future__ import annotations

import yaml

from bot.settings import BOT_SCOPES
from bot.slack.installations import REDIRECT_PATH
from bot.slack.listeners.commands import COMMAND
from bot.slack.runner import EVENTS_PATH
from tests.factories import ROOT


def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yaml").read_text())


def test_manifest_points_every_url_at_the_one_events_path():
    m = manifest()
    urls = [m["settings"]["event_subscriptions"]["request_url"],
            m["settings"]["interactivity"]["request_url"],
            *(c["url"] for c in m["features"]["slash_commands"])]
    assert all(u.startswith("https://") and u.endswith(EVENTS_PATH) for u in urls)
    assert [c["command"] for c in m["features"]["slash_commands"]] == [COMMAND]
    assert m["settings"]["interactivity"]["is_enabled"] is True


def test_manifest_enables_home_messages_tab_and_asks_the_scopes_the_bot_uses():
    m = manifest()
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    assert m["features"]["app_home"]["messages_tab_enabled"] is True
    assert m["features"]["app_home"]["messages_tab_read_only_enabled"] is False
    assert set(m["oauth_config"]["scopes"]["bot"]) == {
        "app_mentions:read", "assistant:write", "channels:history", "groups:history",
        "chat:write", "commands", "im:history", "im:write"}
    assert m["settings"]["socket_mode_enabled"] in (True, False)


def test_procfile_runs_http_as_web_and_socket_mode_as_worker():
    lines = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines())
    assert (lines["web"], lines["worker"]) == ("advisor serve", "advisor serve --socket")


def test_an_oauth_install_asks_the_manifests_scopes_and_comes_back_to_the_redirect_path():
    m = manifest()
    assert set(BOT_SCOPES) == set(m["oauth_config"]["scopes"]["bot"])
    [url] = m["oauth_config"]["redirect_urls"]
    assert url.startswith("https://") and url.endswith(REDIRECT_PATH)
    assert {"app_uninstalled", "tokens_revoked"} <= set(m["settings"]["event_subscriptions"]
                                                        ["bot_events"])
