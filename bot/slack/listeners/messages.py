"""`message.*`: DMs and the agent view answer in place; channel threads the advisor is in
get answers to follow-ups without a new mention. Every message event is acknowledged
(an unhandled one would get a 404 and be retried by Slack)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.listeners.conversation import answer_direct, answer_in_channel
from bot.slack.services import Services


def on_message(event: dict[str, Any], body: dict[str, Any], client: WebClient,
               context: dict[str, Any], logger: logging.Logger, services: Services,
               set_status: Callable[..., Any] | None = None) -> None:
    if event.get("channel_type") == "im":
        answer_direct(event, body, client, context, logger, services, set_status)
    else:
        answer_in_channel(event, body, client, context, logger, services)


def register(app: App) -> None:
    app.event("message")(on_message)
