"""App Home (home tab) and the messages tab opening: suggested prompts (a new agent-view
thread gets them from `assistant.py`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.home_tab import publish_home
from bot.slack.listeners.shared import team_of
from bot.slack.prompts import PROMPTS_TITLE, suggested_prompts
from bot.slack.services import Services
from bot.slack.web import slack_call


def on_app_home_opened(event: dict[str, Any], client: WebClient, logger: logging.Logger,
                       services: Services,
                       set_suggested_prompts: Callable[..., Any] | None = None,
                       body: dict[str, Any] | None = None) -> None:
    if event.get("tab") == "messages":
        offer_prompts(logger, services, set_suggested_prompts)
        return
    user = event.get("user")
    if user:
        publish_home(client, user, services, logger, team=team_of(body or {}))


def offer_prompts(logger: logging.Logger, services: Services,
                  set_suggested_prompts: Callable[..., Any] | None) -> None:
    if set_suggested_prompts is not None:
        slack_call(logger, "assistant.threads.setSuggestedPrompts", set_suggested_prompts,
                   prompts=suggested_prompts(services.advisor.kb), title=PROMPTS_TITLE)


def register(app: App) -> None:
    app.event("app_home_opened")(on_app_home_opened)
