"""OAuth distribution: the installations of the app, one per workspace or Grid organisation,
kept in the log's database with slack_sdk's SQLAlchemy stores (tables from the Alembic
revision 0003, never `create_tables()`), and Bolt's OAuth settings built on them.

Bolt answers `GET /slack/install` (an "Add to Slack" page whose link carries a state, kept
in `slack_oauth_states` for `STATE_SECONDS`) and `GET /slack/oauth_redirect` (exchanges the
code with `oauth.v2.access` and saves the installation), and looks up each request's bot
token by its team (or organisation, for an org-wide install).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from bot.settings import Settings

STATE_SECONDS = 600
"""How long an install link stays valid (Bolt's default)."""
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"

logger = logging.getLogger("bot.slack.installations")


@dataclass(frozen=True)
class Installations:
    """The installation and OAuth-state stores of one app (its client id) on `engine`."""

    store: SQLAlchemyInstallationStore
    states: SQLAlchemyOAuthStateStore

    @classmethod
    def on(cls, engine: Engine, *, client_id: str) -> Installations:
        return cls(SQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=logger),
                   SQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine,
                                             logger=logger))

    def oauth_settings(self, settings: Settings) -> OAuthSettings:
        """Bolt's OAuth flow on these stores, asking for `SLACK_SCOPES` (bot scopes only:
        the advisor acts as its bot user, never for the installing person)."""
        return OAuthSettings(
            client_id=settings.slack_client_id, client_secret=settings.slack_client_secret,
            scopes=list(settings.slack_scopes), user_scopes=[],
            redirect_uri=settings.slack_redirect_uri, install_path=INSTALL_PATH,
            redirect_uri_path=REDIRECT_PATH, installation_store=self.store,
            installation_store_bot_only=True, state_store=self.states,
            state_expiration_seconds=STATE_SECONDS, logger=logger)

    def bots(self) -> list[Bot]:
        """The installed bots, the newest per workspace (or organisation) first."""
        table = self.store.bots
        query = (table.select().where(table.c.client_id == self.store.client_id)
                 .order_by(table.c.installed_at.desc(), table.c.id.desc()))
        seen: set[tuple[str | None, str | None]] = set()
        bots = []
        with self.store.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                key = (row["enterprise_id"],
                       None if row["is_enterprise_install"] else row["team_id"])
                if key not in seen and row["bot_token"]:
                    seen.add(key)
                    bots.append(self.store.build_bot_entity(row))
        return bots
