"""Who may curate, and the audit of every admin action: who, when, what, before and after.

Admins are the Slack user ids in ADVISOR_ADMINS (with OAuth distribution, `T…:U…` per
workspace, and ADVISOR_ORG_ADMINS everywhere: `Settings.is_admin`). The command-line twins act as
`cli:<os user>`: whoever can run `advisor` on the server can edit the YAML files anyway, so
the check there is the operating system's; the audit still names them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select
from sqlmodel import Session

from bot.curation.models import AuditEvent
from knowledge.errors import AdvisorError

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

CLI_PREFIX = "cli:"
REFUSAL = ("Sorry, only knowledge-base admins can do that. If you curate the advisor's "
           "content, ask an admin to add you.")


class NotAdmin(AdvisorError):
    """A non-admin asked for an admin action; the message is the polite refusal to show."""

    def __init__(self, user_id: str, action: str):
        self.user_id = user_id
        self.action = action
        super().__init__(REFUSAL)


@dataclass(frozen=True)
class AuditRecord:
    """One row of the audit, JSON fields decoded."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    target: str
    before: Any
    after: Any
    detail: Any


class CliActor(str):
    """The operating-system user behind a command-line twin, as `cli:<os user>`.

    Only `cli_actor()` makes one, so a Slack user id that merely reads "cli:root" stays a plain
    string and gets no admin rights: rights come from where the actor was made, not its text.
    """

    __slots__ = ()


def cli_actor() -> CliActor:
    """`cli:<os user>` for the command-line twins."""
    try:
        import pwd

        name = pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        name = str(os.getuid()) if hasattr(os, "getuid") else "unknown"
    return CliActor(f"{CLI_PREFIX}{name}")


def is_admin(settings: Settings, actor: str) -> bool:
    """A command-line actor, or a Slack actor the settings make an admin where it acts."""
    return isinstance(actor, CliActor) or settings.is_admin(actor)


class AuditLog:
    """The audit table; one short session per write, safe from listener threads."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def record(
        self,
        *,
        actor: str,
        action: str,
        target: str = "",
        before: Any = None,
        after: Any = None,
        detail: Any = None,
        at: dt.datetime | None = None,
    ) -> int:
        """Write one event now; returns its id."""
        event = AuditEvent(
            at=at or dt.datetime.now(dt.UTC),
            actor=actor[:64],
            action=action[:32],
            target=target[:128],
            before=_json(before),
            after=_json(after),
            detail=_json(detail),
        )
        with Session(self.engine) as session:
            session.add(event)
            session.commit()
            assert event.id is not None
            return event.id

    def recent(self, *, limit: int = 50, action: str | None = None,
               target: str | None = None) -> list[AuditRecord]:
        """The latest events, newest first."""
        query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        if target is not None:
            query = query.where(AuditEvent.target == target)
        with Session(self.engine) as session:
            rows = session.execute(query).scalars().all()
            return [AuditRecord(r.id or 0, _aware(r.at), r.actor, r.action, r.target,
                                _load(r.before), _load(r.after), _load(r.detail)) for r in rows]


def require_admin(settings: Settings, actor: str, *, action: str,
                  audit: AuditLog | None = None) -> None:
    """Raise `NotAdmin` (a polite refusal) unless `actor` is an admin; refusals are logged."""
    if is_admin(settings, actor):
        return
    log.warning("refused %s for %s: not in ADVISOR_ADMINS", action, actor)
    if audit is not None:
        try:
            audit.record(actor=actor, action="refused", target=action)
        except Exception:
            log.exception("could not record the refused %s by %s in the audit", action, actor)
    raise NotAdmin(actor, action)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True,
                                                 default=str)


def _load(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
