"""The bot's client in each workspace, for what it does outside a request (hand-overs,
relayed replies and reminders of expert requests, the weekly review reminders).

With one bot token there is one client, whatever a request's workspace. With OAuth
distribution each installed workspace (or Grid organisation) has its own bot token, and
work about a workspace is done with that workspace's client only: a workspace that is not
installed (any more) gets no client, so nothing of it is posted elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.log.models import ExpertRequest
    from bot.settings import Settings
    from bot.slack.installations import Installations


TeamKey = tuple[str | None, str | None]
"""(enterprise id, team id): an org-wide install has no team id."""


def team_key(enterprise_id: str | None, team_id: str | None,
             is_enterprise_install: bool | None) -> TeamKey:
    """The key an installation is stored under: an org-wide install has no team."""
    return enterprise_id, None if is_enterprise_install else team_id


def keys_serving(team_id: str | None, enterprise_id: str | None) -> list[TeamKey]:
    """The installations that may act in a workspace, in the order to try them: the
    workspace's own, then (in a Grid organisation) the org-wide one; none without either."""
    keys: list[TeamKey] = [(enterprise_id, team_id)] if team_id else []
    if enterprise_id:
        keys.append((enterprise_id, None))
    return keys


@dataclass(frozen=True)
class Workspaces:
    """A snapshot of the bot's clients: `single` with one bot token, else one per installation."""

    single: WebClient | None = None
    installed: dict[TeamKey, WebClient] = field(default_factory=dict)

    @classmethod
    def one(cls, client: WebClient) -> Workspaces:
        """One bot token: every workspace is that client's."""
        return cls(single=client)

    @classmethod
    def of(cls, settings: Settings, installations: Installations) -> Workspaces:
        """One client per installed workspace (or organisation), with its newest bot token."""
        from bot.slack.web import make_client

        return cls(installed={
            team_key(bot.enterprise_id, bot.team_id, bot.is_enterprise_install):
                make_client(settings, token=bot.bot_token)
            for bot in installations.bots()})

    def clients(self) -> list[WebClient]:
        """Every client, one per workspace."""
        return [self.single] if self.single is not None else list(self.installed.values())

    def client_for(self, team_id: str | None, enterprise_id: str | None) -> WebClient | None:
        """The client that acts in this workspace; None when it is not installed, or the
        workspace is unknown (asked in the terminal) while there are many."""
        if self.single is not None:
            return self.single
        return next((self.installed[k] for k in keys_serving(team_id, enterprise_id)
                     if k in self.installed), None)


def installed_client(settings: Settings, installations: Installations, team_id: str | None,
                     enterprise_id: str | None) -> WebClient | None:
    """The client of one workspace's installation, read now (for a listener acting in
    another workspace than the request's); None when it is not installed."""
    from bot.slack.web import make_client

    for enterprise, team in keys_serving(team_id, enterprise_id):
        bot = installations.store.find_bot(enterprise_id=enterprise, team_id=team,
                                           is_enterprise_install=team is None)
        if bot is not None and bot.bot_token:
            return make_client(settings, token=bot.bot_token)
    return None


def request_client(request: ExpertRequest, *, settings: Settings,
                   installations: Installations | None, client: WebClient) -> WebClient | None:
    """The client a listener acts on `request` with: its own `client` with one bot token;
    with OAuth distribution, the bot's in the workspace the request was asked in (None when
    that workspace is not installed, or the request names none)."""
    if installations is None:
        return client
    return installed_client(settings, installations, request.team_id, request.enterprise_id)
