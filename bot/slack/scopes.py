"""The bot scopes the advisor's code uses, each with what needs it: `manifest.yaml` asks for
exactly these (a test checks it) and `advisor doctor` compares them with what Slack granted."""

from __future__ import annotations

BOT_SCOPES: dict[str, str] = {
    "app_mentions:read": "the app_mention event: mentions in channels",
    "assistant:write": "the agent view's thinking status and suggested prompts",
    "channels:history": "message.channels and conversations.replies: follow-ups in "
                        "public-channel threads it answered in",
    "groups:history": "the same in private channels it was invited to",
    "chat:write": "chat.postMessage: answers, checklists, review reminders",
    "commands": "/advisor",
    "im:history": "message.im and conversations.replies: direct messages and the agent view",
}
