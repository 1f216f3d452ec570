"""Replayed slash commands and interactions are handled once.

Slack never retries a command or a click, and each carries a fresh `trigger_id`, so a second
request with the same signature (same timestamp and body, hence within the 5-minute window
the signature check allows) is a replay. It is claimed in the conversation log's event
claims (shared by every worker and server) under `req:<signature>`, and a replay gets an
empty 200 without reaching a listener. Events have their own claims (`msg:channel:ts`);
Socket Mode requests are unsigned and come over Slack's own connection, so they pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.request import BoltRequest
from slack_bolt.request.payload_utils import is_action, is_shortcut, is_slash_command, is_view
from slack_bolt.response import BoltResponse

if TYPE_CHECKING:
    from bot.log.claims import EventClaims


def replay_key(request: BoltRequest) -> str | None:
    """The claim key of a signed command or interaction; None for anything else."""
    if request.mode != "http":
        return None
    body = request.body
    if not (is_slash_command(body) or is_action(body) or is_view(body) or is_shortcut(body)):
        return None
    signature = request.headers.get("x-slack-signature", [""])[0]
    return f"req:{signature}" if signature else None


def refuse_replays(claims: EventClaims) -> Callable[..., Any]:
    """A global Bolt middleware answering a replayed command or interaction with an empty 200."""

    def once(req: BoltRequest, logger: logging.Logger, next: Callable[[], Any]) -> Any:
        key = replay_key(req)
        if key is None or claims.claim(key):
            return next()
        logger.info("replayed %s ignored (its signature was seen before)",
                    req.body.get("type") or "slash command")
        return BoltResponse(status=200, body="")

    return once
