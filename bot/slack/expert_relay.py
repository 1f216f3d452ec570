"""Expert requests in Slack: hand a confirmed request over, relay an expert's reply to the
asker, and remind the experts once about a request nobody has answered.

Each step is claimed in the log's database first (`ExpertRequests.claim_handover`,
`claim_reminder`, and the message claim for replies), so it happens once whichever server
process gets there; each is logged by request id, never with its text.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from bot.experts import Route, plain_reply, route_for
from bot.log.database import DatabaseDown
from bot.log.store import utcnow
from bot.slack.expert_blocks import (
    THANKS_EXPERT,
    handover_blocks,
    handover_text,
    relay_blocks,
    relay_text,
    reminder_text,
    request_metadata,
)
from bot.slack.web import slack_call

SAVED_PAGE = 50
"""Saved requests read at a time while handing them over."""

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.log import ConversationLog
    from bot.log.models import ExpertRequest
    from bot.settings import Settings
    from bot.slack.workspaces import Workspaces
    from knowledge.models import KnowledgeBase


def route_of(request: ExpertRequest, kb: KnowledgeBase, settings: Settings) -> Route | None:
    """Where a request goes now (the owner is read from the live knowledge base)."""
    return route_for(kb.entries_by_id.get(request.entry_id or ""),
                     experts_channel=settings.advisor_experts_channel)


def hand_over(client: WebClient, log: ConversationLog, request: ExpertRequest, route: Route,
              kb: KnowledgeBase, logger: logging.Logger) -> bool:
    """Post a saved request for the experts; True once it is posted (by this call or
    another process). A failed post leaves it saved, to be tried again later."""
    if not log.requests.claim_handover(request.id):
        return True
    entry = kb.entries_by_id.get(request.entry_id or "")
    posted = slack_call(
        logger, "chat.postMessage", client.chat_postMessage, channel=route.channel,
        text=handover_text(request.question),
        blocks=handover_blocks(request.question, request_id=request.id, mention=route.mention,
                               asker=request.asker_id if request.named else None,
                               entry_title=entry.title if entry else None),
        metadata=request_metadata(request.id), unfurl_links=False)
    if posted is None:
        log.requests.release_handover(request.id)
        logger.warning("expert request %s could not be handed over; kept to retry", request.id)
        return False
    log.requests.mark_posted(request.id, channel=str(posted.get("channel") or route.channel),
                             ts=str(posted["ts"]))
    logger.info("expert request %s handed over to %s (%s)", request.id, route.channel,
                "named" if request.named else "anonymous")
    return True


def relay_reply(client: WebClient | None, log: ConversationLog, request: ExpertRequest,
                event: dict[str, Any], logger: logging.Logger) -> None:
    """An expert replied in the request's thread: store it, pass it to the asker, thank them,
    with `client`, the bot's in the workspace the request was asked in (None: that
    workspace is not installed any more, so the reply is stored and goes nowhere)."""
    first = request.answer is None
    text = plain_reply(str(event.get("text") or ""))
    if not text:
        return
    answered = log.requests.answer(request.id, text=text, expert_id=event.get("user"))
    if answered is None:
        return
    if client is None:
        logger.warning("expert request %s answered, but not relayed: %s", request.id,
                       _not_installed(request))
        return
    if request.asker_id:
        sent = slack_call(logger, "chat.postMessage", client.chat_postMessage,
                          channel=request.asker_id, text=relay_text(text),
                          blocks=relay_blocks(request.question, text), unfurl_links=False)
        if sent is not None:
            log.requests.mark_relayed(request.id)
            logger.info("expert request %s answered and relayed to the asker", request.id)
        else:
            logger.warning("expert request %s answered, but relaying it to the asker failed",
                           request.id)
    else:
        logger.info("expert request %s answered (asked in the terminal: nothing to relay)",
                    request.id)
    if first:
        slack_call(logger, "chat.postMessage", client.chat_postMessage, channel=event["channel"],
                   thread_ts=event.get("thread_ts"), text=THANKS_EXPERT)


def send_expert_reminders(workspaces: Workspaces, log: ConversationLog, kb: KnowledgeBase,
                          settings: Settings, logger: logging.Logger, *,
                          now: dt.datetime | None = None,
                          unreachable: set[str] | None = None) -> tuple[int, int]:
    """Hand over saved requests, and remind once in the thread of each request unanswered
    for ADVISOR_EXPERT_REMINDER_HOURS, each with the client of the workspace it was asked
    in; returns (handed over, reminded). A request whose workspace is not installed (or
    unknown, with many) is skipped, logged once per request while it is in `unreachable`
    (the caller's memory between runs), and never posted with another workspace's token."""
    now = now or utcnow()
    unreachable = set() if unreachable is None else unreachable
    handed = reminded = 0

    def client_of(request: ExpertRequest) -> WebClient | None:
        client = workspaces.client_for(request.team_id, request.enterprise_id)
        if client is None and request.id not in unreachable:
            unreachable.add(request.id)
            logger.warning("expert request %s skipped: %s", request.id, _not_installed(request))
        elif client is not None:
            unreachable.discard(request.id)
        return client

    try:
        seen: set[str] = set()
        page = log.requests.saved(limit=SAVED_PAGE)
        while page and not seen.issuperset(r.id for r in page):
            for request in page:
                seen.add(request.id)
                route = route_of(request, kb, settings)
                client = client_of(request) if route is not None else None
                if client is not None and hand_over(client, log, request, route, kb, logger):
                    handed += 1
            page = log.requests.saved(limit=SAVED_PAGE, after=page[-1]) \
                if len(page) == SAVED_PAGE else []
        due = log.requests.due_reminders(
            posted_before=now - dt.timedelta(hours=settings.advisor_expert_reminder_hours))
        for request in due:
            client = client_of(request)
            if client is None or not log.requests.claim_reminder(request.id):
                continue
            route = route_of(request, kb, settings)
            posted = slack_call(logger, "chat.postMessage", client.chat_postMessage,
                                channel=request.posted_channel, thread_ts=request.posted_ts,
                                reply_broadcast=True,
                                text=reminder_text(route.mention if route else None))
            reminded += posted is not None
    except DatabaseDown:
        logger.warning("expert requests not checked: the log database is unreachable")
    if handed or reminded:
        logger.info("expert requests: %d handed over, %d reminded", handed, reminded)
    return handed, reminded


def _not_installed(request: ExpertRequest) -> str:
    """Why a request has no client, for the log (ids only, never its text)."""
    if request.team_id is None and request.enterprise_id is None:
        return ("it names no workspace (asked in the terminal, or saved before workspaces were "
                "recorded) and the app is installed in many; see `advisor kb requests`")
    where = (f"workspace {request.team_id}" if request.team_id
             else f"organisation {request.enterprise_id}")
    return f"the app is not installed in {where} (any more), so it is posted nowhere else"
