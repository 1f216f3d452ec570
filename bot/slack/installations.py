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
import threading
from dataclasses import dataclass

from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings
from bot.slack.workspaces import TeamKey, team_key

STATE_SECONDS = 600
"""How long an install link stays valid (Bolt's default)."""
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"

logger = logging.getLogger("bot.slack.installations")



class RememberingStore(SQLAlchemyInstallationStore):
    """slack_sdk's SQLAlchemy store that remembers, in this process, the bot it last found
    for each team: while the database cannot be read, a team seen before is still answered
    with its last-known token (logged), as answers never depend on the log's database.
    A team found uninstalled, or deleted here, is forgotten."""

    def __init__(self, client_id: str, engine: Engine):
        super().__init__(client_id=client_id, engine=engine, logger=logger)
        self._known: dict[TeamKey, Bot] = {}
        self._lock = threading.Lock()

    def find_bot(self, *, enterprise_id: str | None, team_id: str | None,
                 is_enterprise_install: bool | None = False) -> Bot | None:
        key = team_key(enterprise_id, team_id, is_enterprise_install)
        try:
            bot = super().find_bot(enterprise_id=enterprise_id, team_id=team_id,
                                   is_enterprise_install=is_enterprise_install)
        except SQLAlchemyError as exc:
            with self._lock:
                bot = self._known.get(key)
            logger.warning("cannot read the installation of %s (%s): %s", _name(key),
                           type(exc).__name__, "answering with its last-known token" if bot
                           else "it was not seen since this worker started, so it is not answered")
            return bot
        with self._lock:
            if bot is None:
                self._known.pop(key, None)
            else:
                self._known[key] = bot
        return bot

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self._forget(enterprise_id, team_id)
        super().delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self._forget(enterprise_id, team_id)
        super().delete_all(enterprise_id=enterprise_id, team_id=team_id)

    def _forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        with self._lock:
            self._known.pop(team_key(enterprise_id, team_id, False), None)


def _name(key: TeamKey) -> str:
    enterprise_id, team_id = key
    return f"workspace {team_id}" if team_id else f"organisation {enterprise_id}"


@dataclass(frozen=True)
class Installations:
    """The installation and OAuth-state stores of one app (its client id) on `engine`."""

    store: RememberingStore
    states: SQLAlchemyOAuthStateStore

    @classmethod
    def on(cls, engine: Engine, *, client_id: str) -> Installations:
        return cls(RememberingStore(client_id, engine),
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

    def authorize(self, settings: Settings) -> InstallationStoreAuthorize:
        """Bolt's per-request lookup of the team's bot token, with `auth.test` called once per
        token and worker (Bolt's cache) instead of before every acknowledgement. The store is
        read every time, so an uninstalled team is refused at once."""
        return InstallationStoreAuthorize(
            logger=logger, installation_store=self.store, client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret, bot_only=True, cache_enabled=True)

    def bots(self) -> list[Bot]:
        """The installed bots, the newest per workspace (or organisation) first."""
        table = self.store.bots
        query = (table.select().where(table.c.client_id == self.store.client_id)
                 .order_by(table.c.installed_at.desc(), table.c.id.desc()))
        seen: set[TeamKey] = set()
        bots = []
        with self.store.engine.connect() as conn:
            for row in conn.execute(query).mappings():
                key = team_key(row["enterprise_id"], row["team_id"], row["is_enterprise_install"])
                if key not in seen and row["bot_token"]:
                    seen.add(key)
                    bots.append(self.store.build_bot_entity(row))
        return bots
