"""The agent view (Slack's split view for AI apps), through Bolt's `Assistant` middleware.

Bolt routes the view's events here, and follows the platform as it changes: a new thread
gets a greeting and suggested prompts, a changed context (the channel the user is looking
at) is kept on the greeting (`thread_context.py`), and a message in the thread is answered
like a DM (`messages.answer_direct`: claimed once, a "thinking" status meanwhile, the same
answer blocks), then the thread is titled after the question. Messages outside an agent
thread (a classic DM) still reach `messages.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, Assistant
from slack_sdk import WebClient

from bot.slack.blocks import section
from bot.slack.listeners.home import offer_prompts
from bot.slack.listeners.messages import answer_direct
from bot.slack.mrkdwn import truncate
from bot.slack.services import Services
from bot.slack.thread_context import GreetingContextStore, context_metadata
from bot.slack.web import slack_call

GREETING = ("Describe a situation you face while changing how your service works, and I'll "
            "suggest curated strategies with first steps. Or pick a prompt below.")
TITLE_CHARS = 60


def thread_title(question: str) -> str:
    """The question's first line, cut at a word boundary: how the thread shows in history."""
    first = next((line.strip() for line in question.splitlines() if line.strip()), "")
    return truncate(first, TITLE_CHARS)


def on_thread_started(payload: dict[str, Any], say: Callable[..., Any],
                      set_suggested_prompts: Callable[..., Any], logger: logging.Logger,
                      services: Services) -> None:
    """Greet (the greeting keeps the thread's context), then offer the prompts."""
    context = payload["assistant_thread"].get("context") or {}
    slack_call(logger, "chat.postMessage", say, text=GREETING, blocks=[section(GREETING)],
               metadata=context_metadata(context))
    offer_prompts(logger, services, set_suggested_prompts)


def on_user_message(event: dict[str, Any], body: dict[str, Any], client: WebClient,
                    context: dict[str, Any], logger: logging.Logger, services: Services,
                    set_status: Callable[..., Any], set_title: Callable[..., Any]) -> None:
    answer = answer_direct(event, body, client, context, logger, services, set_status)
    if answer is not None and not answer.is_empty:
        slack_call(logger, "assistant.threads.setTitle", set_title, quiet=True,
                   title=thread_title(answer.question))


def register(app: App) -> None:
    assistant = Assistant(thread_context_store=GreetingContextStore(app.client, app.logger),
                          logger=app.logger)
    assistant.thread_started(on_thread_started)
    assistant.user_message(on_user_message)
    app.use(assistant)
