"""Slack request bodies as Slack sends them, and signatures as Slack computes them."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.slack.fake_slack import BOT_USER_ID, TEAM_ID

SECRET = "test-signing-secret"
FORM = "application/x-www-form-urlencoded"
"""The content type of slash commands and interactions."""
_ids = itertools.count(1)


def signed_headers(body: str, *, secret: str = SECRET, timestamp: int | None = None,
                   content_type: str = "application/json") -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature,
            "Content-Type": content_type}


def new_ts() -> str:
    return f"{int(time.time())}.{next(_ids):06d}"


def event_body(event: dict[str, Any], *, event_id: str | None = None, team_id: str = TEAM_ID,
               enterprise_id: str | None = None, bot_user_id: str = BOT_USER_ID,
               is_enterprise_install: bool = False) -> str:
    """An event as Slack delivers it to the app installed in `team_id` (or, for an org-wide
    install, in the organisation `enterprise_id`)."""
    body: dict[str, Any] = {
        "token": "legacy", "team_id": team_id, "api_app_id": "A0000001",
        "type": "event_callback", "event_id": event_id or f"Ev{next(_ids):08d}",
        "event_time": int(time.time()), "event": event,
        "authorizations": [{"team_id": None if is_enterprise_install else team_id,
                            "enterprise_id": enterprise_id, "user_id": bot_user_id,
                            "is_bot": True, "is_enterprise_install": is_enterprise_install}],
    }
    if enterprise_id:
        body |= {"enterprise_id": enterprise_id, "is_ext_shared_channel": False}
    return json.dumps(body)


def mention(text: str, *, user: str = "U0000USER", channel: str = "C0000CHAN",
            ts: str | None = None, thread_ts: str | None = None) -> dict[str, Any]:
    event = {"type": "app_mention", "user": user, "text": f"<@{BOT_USER_ID}> {text}",
             "ts": ts or new_ts(), "channel": channel, "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message(text: str, *, user: str = "U0000USER", channel: str = "C0000CHAN",
            channel_type: str = "channel", ts: str | None = None,
            thread_ts: str | None = None, **extra: Any) -> dict[str, Any]:
    event = {"type": "message", "user": user, "text": text, "ts": ts or new_ts(),
             "channel": channel, "channel_type": channel_type, **extra}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def command_body(text: str, *, response_url: str, user: str = "U0000USER",
                 channel: str = "C0000CHAN", team_id: str = TEAM_ID) -> str:
    return urlencode({
        "token": "legacy", "team_id": team_id, "team_domain": "test", "channel_id": channel,
        "channel_name": "general", "user_id": user, "user_name": "someone",
        "command": "/advisor", "text": text, "api_app_id": "A0000001",
        "response_url": response_url, "trigger_id": "1.2.3",
    })


def action_payload(action: dict[str, Any], *, response_url: str, user: str = "U0000USER",
                   channel: str = "C0000CHAN", ephemeral: bool = False,
                   message_ts: str = "1700000000.000100",
                   team_id: str = TEAM_ID) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "type": "block_actions", "user": {"id": user, "team_id": team_id},
        "api_app_id": "A0000001", "token": "legacy", "trigger_id": "1.2.3",
        "team": {"id": team_id}, "channel": {"id": channel, "name": "general"},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                      "is_ephemeral": ephemeral},
        "response_url": response_url, "actions": [{"type": "button", **action}],
    }
    if not ephemeral:
        payload["message"] = {"type": "message", "ts": message_ts, "text": "", "blocks": []}
    return payload


def action_body(payload: dict[str, Any]) -> str:
    return urlencode({"payload": json.dumps(payload)})


def find_action(blocks: list[dict[str, Any]], action_id_prefix: str) -> dict[str, Any]:
    """The first button or checkbox whose action_id starts with the prefix, with its block_id."""
    for block in blocks:
        elements = list(block.get("elements", []))
        if "accessory" in block:
            elements.append(block["accessory"])
        for el in elements:
            if str(el.get("action_id", "")).startswith(action_id_prefix):
                return {**el, "block_id": block.get("block_id", "")}
    raise AssertionError(f"no {action_id_prefix} in blocks")


def view_submission_body(view: dict[str, Any], values: dict[str, dict[str, Any]], *,
                         user: str = "U0000USER", view_id: str = "V0000VIEW",
                         team_id: str = TEAM_ID) -> str:
    """A `view_submission` as Slack sends it for `view` (as the bot opened it) in `team_id`,
    with the inputs' `values` ({block_id: {action_id: value}}, see `selected` and `typed`)."""
    payload = {
        "type": "view_submission", "team": {"id": team_id, "domain": "test"},
        "user": {"id": user, "team_id": team_id}, "api_app_id": "A0000001", "token": "legacy",
        "trigger_id": "1.2.4",
        "view": {"id": view_id, "team_id": team_id, "type": "modal",
                 "callback_id": view.get("callback_id", ""),
                 "private_metadata": view.get("private_metadata", ""),
                 "title": view.get("title"), "blocks": view.get("blocks", []),
                 "state": {"values": values}, "hash": "1700000000.abc", "app_id": "A0000001"},
        "response_urls": [],
    }
    return urlencode({"payload": json.dumps(payload)})


def selected(value: str) -> dict[str, Any]:
    """A static_select's state."""
    return {"type": "static_select", "selected_option": {"value": value}}


def typed(text: str | None) -> dict[str, Any]:
    """A plain_text_input's state."""
    return {"type": "plain_text_input", "value": text}


def assistant_thread_event(kind: str, *, channel: str, thread_ts: str,
                           context: dict[str, Any] | None = None,
                           user: str = "U0000USER") -> dict[str, Any]:
    """`assistant_thread_started` or `assistant_thread_context_changed` (the agent view)."""
    return {"type": f"assistant_thread_{kind}", "event_ts": new_ts(),
            "assistant_thread": {"user_id": user, "channel_id": channel, "thread_ts": thread_ts,
                                 "context": context or {}}}


def message_shortcut_body(text: str, *, response_url: str, user: str = "U0000USER",
                          channel: str = "C0000CHAN", author: str = "U0000AUTH",
                          ts: str | None = None, thread_ts: str | None = None,
                          callback_id: str = "ask_about_message") -> str:
    """A message shortcut (`message_action`) as Slack sends it: form-encoded `payload=`."""
    ts = ts or new_ts()
    message: dict[str, Any] = {"type": "message", "user": author, "ts": ts, "text": text}
    if thread_ts:
        message["thread_ts"] = thread_ts
    payload = {
        "type": "message_action", "token": "legacy", "action_ts": new_ts(),
        "team": {"id": TEAM_ID, "domain": "test"}, "user": {"id": user, "team_id": TEAM_ID},
        "channel": {"id": channel, "name": "general"}, "callback_id": callback_id,
        "trigger_id": "1.2.5", "message_ts": ts, "message": message,
        "response_url": response_url,
    }
    return urlencode({"payload": json.dumps(payload)})
