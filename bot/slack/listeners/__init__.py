"""Bolt listeners, one module per surface; `register_listeners` wires them all.

What several of them need lives in `shared.py`; listener modules do not import each other,
except `commands`, which hands `/advisor admin …` to `admin`, and `assistant`, which answers
through `messages` and offers `home`'s prompts."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import (
    actions,
    admin,
    assistant,
    commands,
    experts,
    gaps,
    home,
    installs,
    messages,
    shortcuts,
)


def register_listeners(app: App) -> None:
    messages.register(app)
    commands.register(app)
    actions.register(app)
    home.register(app)
    admin.register(app)
    gaps.register(app)
    installs.register(app)
    experts.register(app)
    shortcuts.register(app)
    assistant.register(app)  # a middleware: after the app's own (services, payload checks)
