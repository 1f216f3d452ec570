"""The Slack app: Bolt listeners grouped by surface, pure Block Kit builders, runners.

Kept import-free so `advisor --help` stays fast; import `bot.slack.app` for `build_app`.
"""
