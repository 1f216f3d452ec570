"""What several listeners share: who acted, how to tell them (and to say sorry when
something breaks), and the admin check. Listener modules import this, never each other."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient

from bot.answer import Answer
from bot.curation.audit import NotAdmin, require_admin
from bot.experts import closest_entry, route_for
from bot.slack.curation_views import notice_modal
from bot.slack.mrkdwn import escape
from bot.slack.services import Services
from bot.slack.web import slack_call

Respond = Callable[..., Any] | None
"""Bolt's `respond` (replies through the response_url); None where there is none."""


@contextmanager
def telling_user(logger: logging.Logger, what: str, tell: Callable[[], Any]) -> Iterator[None]:
    """Log an unexpected failure with its trace, then tell the user something went wrong."""
    try:
        yield
    except Exception:
        logger.exception("%s failed", what)
        try:
            tell()
        except Exception:
            logger.exception("could not tell the user that %s failed", what)


def user_of(body: dict[str, Any]) -> str:
    """The Slack user id of whoever clicked or submitted."""
    return str((body.get("user") or {}).get("id", ""))


def team_of(body: dict[str, Any]) -> str | None:
    """The workspace a request came from (events and commands carry `team_id`, clicks and
    forms `team.id`); for an org-wide install without one, the organisation."""
    team = body.get("team_id") or (body.get("team") or {}).get("id") \
        or (body.get("user") or {}).get("team_id")
    return str(team) if team else (body.get("enterprise_id")
                                   or (body.get("enterprise") or {}).get("id"))


def workspace_of(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(team id, enterprise id) of the workspace a request came from, as the installations
    are keyed (either may be None: no Grid organisation, or an org-wide install's click)."""
    team = body.get("team_id") or (body.get("team") or {}).get("id") \
        or (body.get("user") or {}).get("team_id")
    enterprise = body.get("enterprise_id") or (body.get("enterprise") or {}).get("id")
    return (str(team) if team else None), (str(enterprise) if enterprise else None)


def actor_of(services: Services, body: dict[str, Any], user: str | None = None) -> str:
    """Whoever clicked, submitted or typed (`user`, else the body's user), as the admin checks
    read them: with OAuth distribution, with the workspace they act in."""
    return services.settings.actor(user if user is not None else user_of(body), team_of(body))


def from_home(body: dict[str, Any]) -> bool:
    """True for a click in the App Home (no response_url: the Home is redrawn instead)."""
    return (body.get("view") or {}).get("type") == "home"


def teller(body: dict[str, Any], client: WebClient, respond: Respond,
           logger: logging.Logger) -> Callable[[str], Any]:
    """How to tell whoever clicked something: under the message, else in a small modal."""

    def tell(text: str) -> Any:
        if respond is not None:
            return slack_call(logger, "response_url", respond, text=escape(text),
                              response_type="ephemeral", replace_original=False)
        if body.get("trigger_id"):
            return slack_call(logger, "views.open", client.views_open,
                              trigger_id=body["trigger_id"],
                              view=notice_modal("Knowledge base", text))
        return slack_call(logger, "chat.postMessage", client.chat_postMessage,
                          channel=user_of(body), text=escape(text))

    return tell


def can_ask_person(services: Services, answer: Answer) -> bool:
    """True when someone can take this answer's question ("Ask a person" is offered)."""
    return route_for(closest_entry(answer),
                     experts_channel=services.settings.advisor_experts_channel) is not None


def refused(services: Services, user: str, action: str) -> str | None:
    """None for an admin; otherwise the polite refusal, after logging and auditing the attempt."""
    audit = services.curator.audit if services.curator is not None else None
    try:
        require_admin(services.settings, user, action=action, audit=audit)
    except NotAdmin as exc:
        return str(exc)
    return None
