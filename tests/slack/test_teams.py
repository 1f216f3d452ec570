"""Which workspace a request comes from, and who acts, for every payload the admin surfaces
read: events, slash commands, button clicks and modal submissions, as Slack sends them."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

from bot.settings import load_settings
from bot.slack.listeners.shared import actor_of, team_of
from bot.slack.services import Services
from tests.slack.fake_slack import TEAM_ID
from tests.slack.payloads import (
    action_payload,
    command_body,
    event_body,
    mention,
    view_submission_body,
)

OAUTH = {"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c"}


def bodies() -> dict[str, dict]:
    view = json.loads(dict(parse_qsl(view_submission_body({}, {}, user="U0ADMIN1")))["payload"])
    return {
        "event": json.loads(event_body(mention("hi", user="U0ADMIN1"))),
        "command": dict(parse_qsl(command_body("admin gaps", response_url="http://r",
                                               user="U0ADMIN1"))),
        "click": action_payload({"action_id": "a"}, response_url="http://r", user="U0ADMIN1"),
        "form": view,
    }


def test_every_payload_names_the_workspace_it_came_from():
    assert {kind: team_of(body) for kind, body in bodies().items()} == dict.fromkeys(
        bodies(), TEAM_ID)


def test_an_org_wide_request_without_a_workspace_is_the_organisation():
    assert team_of({"enterprise": {"id": "E0MINISTRY"}, "user": {"id": "U1"}}) == "E0MINISTRY"


def test_the_actor_carries_the_workspace_only_with_oauth_distribution():
    for env, expected in (({}, "U0ADMIN1"), (OAUTH, f"{TEAM_ID}:U0ADMIN1")):
        services = Services(load_settings(env), advisor=None, log=None)  # type: ignore[arg-type]
        body = bodies()
        assert actor_of(services, body["click"]) == expected
        assert actor_of(services, body["form"]) == expected
        assert actor_of(services, body["command"], body["command"]["user_id"]) == expected
