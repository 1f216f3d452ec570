"""`app_mention`: answer in a thread under the mention."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.listeners.conversation import answer_in_channel
from bot.slack.services import Services


def on_app_mention(event: dict[str, Any], body: dict[str, Any], client: WebClient,
                   context: dict[str, Any], logger: logging.Logger, services: Services) -> None:
    answer_in_channel(event, body, client, context, logger, services)


def register(app: App) -> None:
    app.event("app_mention")(on_app_mention)
