"""Bolt listeners, one module per surface; `register_listeners` wires them all.

What several of them need lives in `shared.py`; listener modules do not import each other,
except `commands`, which hands `/advisor admin …` to `admin`."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import actions, admin, commands, gaps, home, installs, messages


def register_listeners(app: App) -> None:
    messages.register(app)
    commands.register(app)
    actions.register(app)
    home.register(app)
    admin.register(app)
    gaps.register(app)
    installs.register(app)
