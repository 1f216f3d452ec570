"""`/advisor admin [reload | gaps | stale | requests | report [WEEKS]]` and "Mark reviewed" on
stale entries.

Admins are the Slack user ids in ADVISOR_ADMINS (with many workspaces, per workspace:
`Settings.is_admin`); anyone else gets a polite refusal, and the attempt is logged and
audited (`require_admin`). A workspace admin's gaps are their workspace's. An entry's owner
may also mark it reviewed.
Every listener acknowledges first; reloading and grouping gaps run after the ack.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.curation.audit import NotAdmin, is_admin
from bot.curation.gaps import DEFAULT_DAYS as GAP_DAYS
from bot.curation.gaps import grouping
from bot.curation.stale import by_slack_owner, stale_entries
from bot.log import LogError
from bot.log.reports import DEFAULT_WEEKS, Catalogue
from bot.log.store import utcnow
from bot.slack import values as v
from bot.slack.admin_blocks import (
    admin_help_blocks,
    gaps_blocks,
    gaps_text,
    reload_blocks,
    reload_text,
    stale_blocks,
    stale_text,
)
from bot.slack.blocks import SORRY
from bot.slack.expert_blocks import requests_blocks, requests_text
from bot.slack.listeners.shared import (
    Respond,
    actor_of,
    refused,
    teller,
    telling_user,
    user_of,
)
from bot.slack.mrkdwn import truncate
from bot.slack.report_blocks import report_blocks, report_text
from bot.slack.services import Services
from bot.slack.web import slack_call
from knowledge.errors import AdvisorError

if TYPE_CHECKING:
    from bot.advisor import Advisor

SUBCOMMANDS = ("help", "reload", "gaps", "stale", "requests", "report")
WORKING = {"reload": "Reloading the knowledge base: validating the files and retraining…",
           "gaps": "Grouping the questions I couldn't answer well…",
           "report": "Counting the period's exchanges…"}
MAX_REPORT_WEEKS = 104
BAD_WEEKS = (f"`/advisor admin report [WEEKS]`: WEEKS is how many weeks back the report starts, "
             f"a whole number from 1 to {MAX_REPORT_WEEKS} (default {DEFAULT_WEEKS}).")
LOG_DOWN = "The conversation log could not be read just now, so there is no report; try again in a minute."
NOT_HERE = "Admin commands are not available in this process (no live knowledge base)."


def on_admin(rest: str, ack: Callable[..., Any], command: dict[str, Any],
             respond: Callable[..., Any], logger: logging.Logger, services: Services) -> None:
    """`/advisor admin …` (called by the `/advisor` listener with the text after `admin`)."""
    words = rest.split()
    sub = words[0].lower() if words else "help"
    user = actor_of(services, command, str(command.get("user_id", "")))
    curator, live = services.curator, services.live
    if curator is None or live is None:
        ack(text=NOT_HERE, response_type="ephemeral")
        return
    if not is_admin(services.settings, user):
        ack()
        refusal = refused(services, user, sub if sub in SUBCOMMANDS else "admin")
        slack_call(logger, "response_url", respond, text=refusal, response_type="ephemeral")
        return
    if sub == "requests":
        with telling_user(logger, "/advisor admin requests", lambda: ack(text=SORRY)):
            listed = services.log.requests.listing(
                limit=100, team_id=services.settings.team_scope(user))
            ack(text=requests_text(listed), blocks=requests_blocks(listed),
                response_type="ephemeral")
        return
    if sub == "stale":
        entries = stale_entries(live.current.kb)
        ack(text=stale_text(entries), blocks=stale_blocks(entries, owner_view=False),
            response_type="ephemeral")
        return
    if sub not in WORKING:
        ack(text="Knowledge-base admin commands", blocks=admin_help_blocks(),
            response_type="ephemeral")
        return
    weeks = _weeks(words[1:]) if sub == "report" else None
    if sub == "report" and weeks is None:
        ack(text=BAD_WEEKS, response_type="ephemeral")
        return
    ack(text=WORKING[sub], response_type="ephemeral")

    def sorry() -> Any:
        return slack_call(logger, "response_url", respond, text=SORRY, response_type="ephemeral")

    with telling_user(logger, f"/advisor admin {sub}", sorry):
        if sub == "reload":
            report = curator.reload(user)
            slack_call(logger, "response_url", respond, response_type="ephemeral",
                       text=reload_text(report), blocks=reload_blocks(report))
            return
        advisor = live.current
        if sub == "report":
            assert weeks is not None
            _post_report(advisor, weeks, services, respond, logger,
                         team_id=services.settings.team_scope(user))
            return
        clusters = curator.gaps(advisor, days=GAP_DAYS,
                                team_id=services.settings.team_scope(user))
        slack_call(logger, "response_url", respond, response_type="ephemeral",
                   text=gaps_text(clusters, days=GAP_DAYS),
                   blocks=gaps_blocks(clusters, advisor.kb, days=GAP_DAYS))


def _weeks(words: list[str]) -> int | None:
    """The period asked for after `report` (DEFAULT_WEEKS if none); None if it is no number."""
    if not words:
        return DEFAULT_WEEKS
    if len(words) == 1 and words[0].isdigit() and 1 <= int(words[0]) <= MAX_REPORT_WEEKS:
        return int(words[0])
    return None


def _post_report(advisor: Advisor, weeks: int, services: Services, respond: Callable[..., Any],
                 logger: logging.Logger, *, team_id: str | None = None) -> None:
    """The report of the last `weeks` weeks, grouped and titled by the live advisor (one
    workspace's, with `team_id`)."""
    until = utcnow()
    catalogue = Catalogue.of(advisor.kb, abstain_below=advisor.matcher.policy.abstain_below)
    try:
        report = services.log.queries.report(since=until - dt.timedelta(weeks=weeks), until=until,
                                             cluster=grouping(advisor), catalogue=catalogue,
                                             team_id=team_id)
    except LogError as exc:
        logger.warning("no report for /advisor admin report: %s", exc)
        slack_call(logger, "response_url", respond, text=LOG_DOWN, response_type="ephemeral")
        return
    slack_call(logger, "response_url", respond, response_type="ephemeral",
               text=report_text(report), blocks=report_blocks(report, weeks=weeks))


def on_mark_reviewed(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                     client: WebClient, respond: Respond, logger: logging.Logger,
                     services: Services) -> None:
    """The owner (or an admin) confirmed an entry still holds: last_reviewed becomes today."""
    ack()
    data = v.unpack(action.get("value"))
    entry_id, user = str(data.get("e") or ""), user_of(body)
    tell = teller(body, client, respond, logger)
    if not entry_id or services.curator is None or services.live is None:
        return
    with telling_user(logger, "marking an entry reviewed", lambda: tell(SORRY)):
        try:
            outcome = services.curator.mark_reviewed(actor_of(services, body), entry_id)
        except AdvisorError as exc:  # NotAdmin (the refusal), EditError, KnowledgeBaseError
            tell(str(exc) if isinstance(exc, NotAdmin) else
                 f"Couldn't mark {entry_id} reviewed: {truncate(str(exc), 1500)}")
            return
        change = outcome.change
        note = (f"Marked {entry_id} reviewed: last reviewed {change.before['last_reviewed']} → "
                f"{change.after['last_reviewed']}. Thank you!")
        kb = services.live.current.kb  # the change was reloaded
        owner_view = bool(data.get("o"))
        entries = (by_slack_owner(stale_entries(kb)).get(user, []) if owner_view
                   else stale_entries(kb))
        if respond is None:
            tell(note)
            return
        slack_call(logger, "response_url", respond, replace_original=True, text=note,
                   blocks=stale_blocks(entries, owner_view=owner_view, note=note))


def register(app: App) -> None:
    app.action(re.compile(rf"^{v.MARK_REVIEWED}_\d+$"))(on_mark_reviewed)
