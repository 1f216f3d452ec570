"""Settings read once, at the edge, from the environment.

Everything below the entry points takes these values as keyword arguments; nothing
else in the advisor reads `os.environ`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from urllib.request import proxy_bypass_environment

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.slack.scopes import BOT_SCOPES
from knowledge.errors import AdvisorError

SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
SLACK_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
SLACK_TEAM_ID = re.compile(r"^T[A-Z0-9]{2,}$")
SLACK_ENTERPRISE_ID = re.compile(r"^E[A-Z0-9]{2,}$")
TEAM_USER = re.compile(r"^T[A-Z0-9]{2,}:[UW][A-Z0-9]{2,}$")
"""An admin of one workspace: `T012AB3CD:U012AB3CD` (admins of every workspace, a Grid
organisation's included, go in ADVISOR_ORG_ADMINS)."""
OAUTH_NEEDS_HTTP = ("OAuth distribution (SLACK_CLIENT_ID) needs HTTP mode: Slack sends "
                    "installs to /slack/oauth_redirect; run `advisor serve` without --socket")


class SettingsError(AdvisorError):
    """A setting is missing or malformed; the message names the variable."""


def default_workers() -> int:
    """HTTP workers when WEB_CONCURRENCY is unset: two per core, at least 2, at most 8.

    A worker's request thread acknowledges while its other threads answer; with one worker
    per core they share a core and its interpreter lock, and at 400 events/s on 2 cores ack
    p99 reached 95–290 ms; with two per core, 30–40 ms (`python bench/slack_http.py
    --workers N`). Each worker holds its own model (about 350 MB)."""
    return min(8, max(2, 2 * (os.cpu_count() or 1)))


def default_data_dir() -> Path:
    """Where the SQLite log and the spool live when nothing else is configured."""
    return Path.home() / ".local" / "share" / "transformation-advisor"


class Settings(BaseSettings):
    """Every environment variable the advisor reads, in one place."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    slack_bot_token: str | None = Field(default=None, repr=False)
    slack_signing_secret: str | None = Field(default=None, repr=False)
    slack_app_token: str | None = Field(default=None, repr=False)
    slack_client_id: str | None = None  # with the secret: OAuth distribution to many workspaces
    slack_client_secret: str | None = Field(default=None, repr=False)
    slack_scopes: Annotated[tuple[str, ...], NoDecode] = tuple(BOT_SCOPES)
    slack_redirect_uri: str | None = None  # default: Slack uses the app's one redirect URL
    slack_api_url: str | None = None
    port: int = Field(default=3000, ge=1, le=65535)
    web_concurrency: int = Field(default_factory=lambda: default_workers(), ge=1, le=64)
    slack_api_timeout: float = Field(default=10.0, gt=0, le=120)
    database_url: str | None = None
    advisor_data_dir: Path = Field(default_factory=default_data_dir)
    advisor_kb_path: Path | None = None
    advisor_admins: Annotated[frozenset[str], NoDecode] = frozenset()
    advisor_org_admins: Annotated[frozenset[str], NoDecode] = frozenset()  # admins of every team
    log_hmac_secret: str | None = Field(default=None, repr=False)
    retention_days: int = Field(default=180, ge=1)
    advisor_watch_seconds: float = Field(default=2.0, ge=0, le=3600)  # 0: don't watch the files
    advisor_dev_set: Path | None = None  # labelled questions for before/after accuracy
    advisor_experts_channel: str | None = None  # where "Ask a person" hands questions over
    advisor_expert_reminder_hours: float = Field(default=48.0, gt=0, le=24 * 90)
    advisor_allow_generated_secret: bool = False  # trials: serve without LOG_HMAC_SECRET
    https_proxy: str | None = Field(default=None, repr=False)  # may carry a password
    no_proxy: str | None = None
    advisor_queue_depth: int = Field(default=100, ge=1, le=100_000)  # events waiting per worker

    @field_validator("advisor_admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        if isinstance(value, str):
            ids = _split(value)
            bad = [v for v in ids if not (SLACK_USER_ID.match(v) or TEAM_USER.match(v))]
            if bad:
                raise ValueError(f"not Slack user ids: {', '.join(bad)} (expected e.g. U012AB3CD, "
                                 "or T012AB3CD:U012AB3CD for an admin of one workspace)")
            return frozenset(ids)
        return value

    @field_validator("advisor_org_admins", mode="before")
    @classmethod
    def _split_org_admins(cls, value: object) -> object:
        if isinstance(value, str):
            ids = _split(value)
            bad = [v for v in ids if not SLACK_USER_ID.match(v)]
            if bad:
                raise ValueError(f"not Slack user ids: {', '.join(bad)} (expected e.g. U012AB3CD)")
            return frozenset(ids)
        return value

    @field_validator("advisor_experts_channel")
    @classmethod
    def _experts_channel(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not SLACK_CHANNEL_ID.match(value):
            raise ValueError("must be a Slack channel id such as C012AB3CD (not its #name)")
        return value

    @field_validator("slack_scopes", mode="before")
    @classmethod
    def _split_scopes(cls, value: object) -> object:
        return tuple(_split(value)) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_mode(self) -> Settings:
        if bool(self.slack_client_id) != bool(self.slack_client_secret):
            missing = "SLACK_CLIENT_SECRET" if self.slack_client_id else "SLACK_CLIENT_ID"
            raise ValueError(f"{missing} is not set: OAuth distribution needs both the client id "
                             "and the client secret from the app's Basic Information page")
        plain = sorted(a for a in self.advisor_admins if not TEAM_USER.match(a))
        if self.oauth_mode and plain:
            raise ValueError(f"ADVISOR_ADMINS: {', '.join(plain)} names no workspace: with OAuth "
                             "distribution each admin is T…:U… (the workspace they administer); "
                             "admins of every workspace go in ADVISOR_ORG_ADMINS")
        return self

    @property
    def oauth_mode(self) -> bool:
        """True when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set: installed per workspace
        through OAuth, one token per team from the installation store."""
        return bool(self.slack_client_id and self.slack_client_secret)

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _app_token(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://", value):
            raise ValueError("must be an http(s) URL such as https://slack.example/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not re.match(r"^(sqlite|postgres|postgresql)(\+\w+)?://", value):
            raise ValueError("must start with sqlite://, postgresql:// or postgres://")
        return value

    @field_validator("https_proxy")
    @classmethod
    def _https_proxy(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value if "://" in value else f"http://{value}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be a proxy URL such as http://proxy.example:3128")
        return parts.geturl()

    def proxy_for(self, url: str) -> str | None:
        """The outbound proxy for `url`: HTTPS_PROXY, unless NO_PROXY names its host."""
        if not self.https_proxy:
            return None
        host = urlsplit(url).hostname or ""
        if self.no_proxy and proxy_bypass_environment(host, {"no": self.no_proxy}):
            return None
        return self.https_proxy

    def is_admin(self, actor: str) -> bool:
        """Whether a Slack actor (`U…`, or `T…:U…` with OAuth distribution: the user and the
        workspace they act in) is an admin there. ADVISOR_ORG_ADMINS are admins everywhere;
        with one bot token, `T…:U…` entries are read as their user id (there is one team)."""
        team, _, user = actor.rpartition(":")
        if user in self.advisor_org_admins:
            return True
        if self.oauth_mode:
            return bool(team) and actor in self.advisor_admins
        return not team and user in {a.rpartition(":")[2] for a in self.advisor_admins}

    def actor(self, user_id: str, team_id: str | None) -> str:
        """Who acts, as the admin checks and the audit read it: the user id, or with OAuth
        distribution `T…:U…` (the workspace the request came from, then the user)."""
        return f"{team_id}:{user_id}" if self.oauth_mode and team_id and user_id else user_id

    def team_scope(self, actor: str) -> str | None:
        """The one workspace whose log an admin sees, or None for all of them (one bot token,
        or an organisation admin)."""
        team, _, user = actor.rpartition(":")
        if not self.oauth_mode or user in self.advisor_org_admins:
            return None
        return team or "-"  # an actor without a team sees no team's data

    def require(self, *names: str) -> None:
        """Stop with one line naming the first required setting that is missing."""
        hints = {
            "slack_bot_token": "the bot token (xoxb-…) from the app's OAuth page",
            "slack_signing_secret": "the signing secret from the app's Basic Information page",
            "slack_app_token": "an app-level token (xapp-…) with connections:write",
            "slack_client_id": "the client id from the app's Basic Information page",
        }
        for name in names:
            if not getattr(self, name):
                raise SettingsError(f"{name.upper()} is not set: it should hold {hints[name]}")


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def load_settings(env: dict[str, str] | None = None) -> Settings:
    """Read the settings, turning a validation failure into one line naming the variable."""
    try:
        if env is None:
            return Settings()
        return Settings(**{k.lower(): v for k, v in env.items() if k.lower() in Settings.model_fields})
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        if not first["loc"]:  # a check across settings names its variables itself
            raise SettingsError(message) from None
        raise SettingsError(f"{str(first['loc'][0]).upper()}: {message}") from None
