"""`app_uninstalled` and `tokens_revoked`: a workspace removed the app or revoked its tokens.

With OAuth distribution the installation goes from the store (Bolt's own revocation
handlers), so the team's next request finds no token and is not answered. The team's
conversation log stays until the retention purge (RETENTION_DAYS) like everyone's, or
until an admin runs `advisor log forget --team T…`; the uninstall is written to the audit.
With one bot token there is nothing to delete: the token simply stops working, and the
log says so.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.listener.builtins import TokenRevocationListeners

from bot.slack.services import Services

SINGLE_TOKEN = ("SLACK_BOT_TOKEN no longer works there; install the app again and set "
                "the new token")


def on_app_uninstalled(context: BoltContext, logger: logging.Logger,
                       services: Services) -> None:
    team = _team(context)
    if services.installations is None:
        logger.warning("the app was uninstalled from %s: %s", team, SINGLE_TOKEN)
        return
    TokenRevocationListeners(services.installations.store).handle_app_uninstalled_events(context)
    logger.info("the app was uninstalled from %s: its installation is deleted; its "
                "conversation log stays until the retention purge", team)
    _audit(services, logger, "app_uninstalled", team)


def on_tokens_revoked(event: dict[str, Any], context: BoltContext, logger: logging.Logger,
                      services: Services) -> None:
    team = _team(context)
    tokens = event.get("tokens") or {}
    if services.installations is None:
        logger.warning("tokens were revoked in %s: %s", team, SINGLE_TOKEN)
        return
    TokenRevocationListeners(services.installations.store).handle_tokens_revoked_events(
        event, context)
    logger.info("tokens revoked in %s (%d bot, %d user): their installations are deleted",
                team, len(tokens.get("bot") or []), len(tokens.get("oauth") or []))
    _audit(services, logger, "tokens_revoked", team)


def register(app: App) -> None:
    app.event("app_uninstalled")(on_app_uninstalled)
    app.event("tokens_revoked")(on_tokens_revoked)


def _team(context: BoltContext) -> str:
    if context.is_enterprise_install or not context.team_id:
        return f"organisation {context.enterprise_id or '?'}"
    return f"workspace {context.team_id}"


def _audit(services: Services, logger: logging.Logger, action: str, team: str) -> None:
    if services.curator is None:
        return
    try:
        services.curator.audit.record(actor="slack", action=action, target=team)
    except Exception:
        logger.exception("could not record %s of %s in the audit", action, team)
