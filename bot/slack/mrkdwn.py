"""Escaping and clean truncation for Slack's mrkdwn and plain text."""

from __future__ import annotations

import re

ELLIPSIS = "…"
_PARTIAL_TAIL = re.compile(r"(&[a-z]{0,4}|<[^>]*)$")


def escape(text: str) -> str:
    """Escape `&`, `<`, `>` (in that order) and nothing else.

    Quoted user text then can never become `<!channel>`, `<!here>`, `<@U…>` or a link.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a word boundary, ending with `…`.

    Never leaves half an entity (`&am`) or half a `<…>` token at the end.
    """
    if len(text) <= limit:
        return text
    room = max(limit - len(ELLIPSIS), 0)
    cut = text[:room]
    space = cut.rfind(" ")
    if space > room * 2 // 3:
        cut = cut[:space]
    cut = _PARTIAL_TAIL.sub("", cut).rstrip(" \n*_~`>•·,;:")
    return cut + ELLIPSIS


def bullets(items: list[str] | tuple[str, ...]) -> str:
    """Escaped bullet lines."""
    return "\n".join(f"• {escape(i)}" for i in items)
