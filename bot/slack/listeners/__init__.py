"""Bolt listeners, one module per surface; `register_listeners` wires them all."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.listeners import actions, admin, commands, gaps, home, mentions, messages


def register_listeners(app: App) -> None:
    mentions.register(app)
    messages.register(app)
    commands.register(app)
    actions.register(app)
    home.register(app)
    admin.register(app)
    gaps.register(app)
