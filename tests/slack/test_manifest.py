"""The app manifest an admin pastes matches what the bot serves."""

from __future__ import annotations

import re

import yaml

from bot.slack import values as v
from bot.slack.installations import REDIRECT_PATH
from bot.slack.listeners.commands import COMMAND
from bot.slack.runner import EVENTS_PATH
from bot.slack.scopes import BOT_SCOPES
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
    assert set(m["oauth_config"]["scopes"]["bot"]) == set(BOT_SCOPES) == {
        "app_mentions:read", "assistant:write", "channels:history", "groups:history",
        "chat:write", "commands", "im:history"}
    assert m["settings"]["socket_mode_enabled"] in (True, False)


def test_procfile_runs_http_as_web_and_socket_mode_as_worker():
    lines = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines())
    assert (lines["web"], lines["worker"]) == ("advisor serve", "advisor serve --socket")


def test_manifest_offers_the_message_shortcut_and_the_agent_views_events():
    m = manifest()
    [shortcut] = m["features"]["shortcuts"]
    assert (shortcut["type"], shortcut["callback_id"]) == ("message", v.ASK_ABOUT_MESSAGE)
    assert shortcut["name"] == "Ask the advisor about this"
    assert len(shortcut["description"]) <= 80  # Slack's limit for a shortcut's description
    assert {"assistant_thread_started", "assistant_thread_context_changed", "message.im"} <= set(
        m["settings"]["event_subscriptions"]["bot_events"])
    assert m["features"]["assistant_view"]["assistant_description"]


# What each Web API method and event the code relies on needs (Slack's method and event pages)
METHOD_SCOPES: dict[str, set[str]] = {
    "auth_test": set(), "apps_connections_open": set(),  # the app-level token's own
    "chat_postMessage": {"chat:write"}, "chat_postEphemeral": {"chat:write"},
    "chat_update": {"chat:write"},
    "conversations_history": {"channels:history", "groups:history", "im:history"},
    "conversations_replies": {"channels:history", "groups:history", "im:history"},
    "views_open": set(), "views_publish": set(), "views_update": set(),
}
BOLT_SCOPES = {"set_status": "assistant:write", "set_suggested_prompts": "assistant:write",
               "set_title": "assistant:write"}
EVENT_SCOPES = {"app_mention": {"app_mentions:read"}, "message.channels": {"channels:history"},
                "message.groups": {"groups:history"}, "message.im": {"im:history"},
                "app_home_opened": set(), "assistant_thread_started": {"assistant:write"},
                "assistant_thread_context_changed": {"assistant:write"},
                "app_uninstalled": set(), "tokens_revoked": set()}


def test_every_scope_asked_for_is_needed_by_a_method_or_event_the_code_uses():
    from slack_sdk import WebClient

    source = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    words = set(re.findall(r"\b[a-z]+_[A-Za-z_]+\b", source))
    methods = words & {name for name in dir(WebClient) if not name.startswith("_")}
    assert methods, "no Web API method found: the scan is broken"
    assert methods <= set(METHOD_SCOPES), f"say which scopes {methods - set(METHOD_SCOPES)} need"
    events = manifest()["settings"]["event_subscriptions"]["bot_events"]
    needed = {"commands"}.union(*(METHOD_SCOPES[m] for m in methods),
                                *(EVENT_SCOPES[e] for e in events),
                                {scope for name, scope in BOLT_SCOPES.items() if name in words})
    assert needed == set(BOT_SCOPES) == set(manifest()["oauth_config"]["scopes"]["bot"])


def test_an_oauth_install_asks_the_manifests_scopes_and_comes_back_to_the_redirect_path():
    m = manifest()
    assert set(BOT_SCOPES) == set(m["oauth_config"]["scopes"]["bot"])
    [url] = m["oauth_config"]["redirect_urls"]
    assert url.startswith("https://") and url.endswith(REDIRECT_PATH)
    assert {"app_uninstalled", "tokens_revoked"} <= set(m["settings"]["event_subscriptions"]
                                                        ["bot_events"])
