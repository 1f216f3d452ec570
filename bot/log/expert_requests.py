"""Expert requests: questions a user chose to hand to a person, and what the experts replied.

A request is saved when the asker confirms it (its question redacted again, as shown to
them), marked posted once it is in the experts' channel, answered when an expert replies in
that post's thread, and relayed when the asker has been told. Every step is a short unit
of work on the log's database (`LogDatabase.run`: `DatabaseDown` while it is unreachable,
so the caller can say so); there is no spool, because a hand-over that cannot be stored
must not look sent. Purged with the log (`store.purge`) and erased by `store.forget`: a
user's, or those made from a forgotten workspace's exchanges.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, update

from bot.log.database import LogDatabase
from bot.log.ids import new_id
from bot.log.models import ExpertRequest
from bot.log.pseudonym import Pseudonymizer
from bot.log.redaction import redact
from bot.log.store import utcnow

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlmodel import Session

SAVED, POSTED, ANSWERED = "saved", "posted", "answered"
STATUSES = (SAVED, POSTED, ANSWERED)
_table = ExpertRequest.__table__


class ExpertRequests:
    """The expert-request store; every method is one short session, safe from any thread."""

    def __init__(self, database: LogDatabase, pseudonymizer: Pseudonymizer):
        self._database = database
        self._pseudo = pseudonymizer

    def save(self, *, surface: str, question: str, user_id: str | None, named: bool = False,
             exchange_id: str | None = None, entry_id: str | None = None,
             route: str | None = None, team_id: str | None = None,
             enterprise_id: str | None = None) -> ExpertRequest:
        """Store a confirmed request (its question redacted once more); status `saved`.
        `team_id`/`enterprise_id`: the workspace it was asked in (None: the terminal)."""
        row = {"id": new_id(), "created_at": utcnow(), "surface": surface[:16],
               "team_id": team_id, "enterprise_id": enterprise_id,
               "user_key": self._pseudo.key(user_id), "asker_id": user_id or None,
               "named": named, "exchange_id": exchange_id, "question": redact(question),
               "entry_id": entry_id, "route": route, "status": SAVED}
        self._database.run(lambda s: s.execute(_table.insert(), row), write=True, retry=True)
        return ExpertRequest(**row)

    def claim_handover(self, request_id: str) -> bool:
        """True for the one caller, in any process, that may post this saved request now
        (it counts as posted meanwhile; `release_handover` if the post fails)."""
        stmt = (update(_table).where(_table.c.id == request_id, _table.c.status == SAVED)
                .values(status=POSTED))
        return bool(self._database.run(lambda s: s.execute(stmt).rowcount, write=True, retry=True))

    def release_handover(self, request_id: str) -> None:
        """The post failed: the request is saved again, to be handed over later."""
        stmt = (update(_table).where(_table.c.id == request_id, _table.c.posted_ts.is_(None))
                .values(status=SAVED))
        self._database.run(lambda s: s.execute(stmt), write=True, retry=True)

    def mark_posted(self, request_id: str, *, channel: str, ts: str) -> None:
        """The request is in the experts' channel (or an owner's DM) at `channel`/`ts`."""
        self._update(request_id, status=POSTED, posted_channel=channel, posted_ts=ts,
                     posted_at=utcnow())

    def get(self, request_id: str) -> ExpertRequest | None:
        found = self._rows(select(_table).where(_table.c.id == request_id))
        return found[0] if found else None

    def by_post(self, channel: str, thread_ts: str) -> ExpertRequest | None:
        """The request posted as the message `channel`/`thread_ts`, if any."""
        found = self._rows(select(_table).where(_table.c.posted_channel == channel,
                                                _table.c.posted_ts == thread_ts))
        return found[0] if found else None

    def answer(self, request_id: str, *, text: str, expert_id: str | None) -> ExpertRequest | None:
        """Add an expert's reply (redacted; later replies are appended): status `answered`."""
        def work(session: Session) -> ExpertRequest | None:
            row = session.execute(select(_table).where(_table.c.id == request_id)).mappings().first()
            if row is None:
                return None
            reply = redact(text.strip())
            answer = f"{row['answer']}\n\n{reply}" if row["answer"] else reply
            values = {"status": ANSWERED, "answer": answer,
                      "answered_by": row["answered_by"] or self._pseudo.key(expert_id),
                      "answered_at": row["answered_at"] or utcnow()}
            session.execute(update(_table).where(_table.c.id == request_id).values(**values))
            return ExpertRequest(**{**row, **values})

        return self._database.run(work, write=True, retry=True)

    def mark_relayed(self, request_id: str) -> None:
        self._update(request_id, relayed_at=utcnow())

    def claim_reminder(self, request_id: str) -> bool:
        """True for the one caller, in any process, that may send this request's reminder."""
        stmt = (update(_table).where(_table.c.id == request_id, _table.c.reminded_at.is_(None),
                                     _table.c.status == POSTED).values(reminded_at=utcnow()))
        return bool(self._database.run(lambda s: s.execute(stmt).rowcount, write=True))

    def due_reminders(self, *, posted_before: dt.datetime) -> list[ExpertRequest]:
        """Posted, unanswered, not reminded yet, and posted before `posted_before`."""
        return self._rows(select(_table).where(
            _table.c.status == POSTED, _table.c.reminded_at.is_(None),
            _table.c.posted_at < posted_before).order_by(_table.c.posted_at))

    def saved(self, *, limit: int = 50, after: ExpertRequest | None = None) -> list[ExpertRequest]:
        """Requests saved but not handed over yet (from the terminal, or a failed post),
        oldest first; `after`: the next page, those that follow that request."""
        conditions = [_table.c.status == SAVED]
        if after is not None:
            at = _table.c.created_at
            conditions.append(or_(at > after.created_at,
                                  and_(at == after.created_at, _table.c.id > after.id)))
        return self._rows(select(_table).where(*conditions)
                          .order_by(_table.c.created_at, _table.c.id).limit(limit))

    def listing(self, *, statuses: Sequence[str] = STATUSES, limit: int = 50,
                team_id: str | None = None) -> list[ExpertRequest]:
        """Requests with these statuses (asked in one workspace, with `team_id`), newest first."""
        return self._rows(select(_table).where(_table.c.status.in_(list(statuses)),
                                               *_of_team(team_id))
                          .order_by(_table.c.created_at.desc(), _table.c.id).limit(limit))

    def answered(self, *, since: dt.datetime, excluding: Select[Any] | None = None,
                 team_id: str | None = None) -> list[ExpertRequest]:
        """Answered requests created since `since` (asked in one workspace, with `team_id`),
        oldest first, for the gaps inbox."""
        conditions = [_table.c.status == ANSWERED, _table.c.created_at >= since,
                      *_of_team(team_id)]
        if excluding is not None:
            conditions.append(_table.c.id.not_in(excluding))
        return self._rows(select(_table).where(*conditions)
                          .order_by(_table.c.created_at, _table.c.id))

    def counts(self, *, team_id: str | None = None) -> dict[str, int]:
        """How many requests there are of each status (asked in one workspace, with `team_id`)."""
        from sqlalchemy import func

        query = select(_table.c.status, func.count()).where(*_of_team(team_id)) \
            .group_by(_table.c.status)
        rows = self._database.run(lambda s: s.execute(query).all(), retry=True)
        return {status: 0 for status in STATUSES} | {s: int(n) for s, n in rows}

    def _update(self, request_id: str, **values: Any) -> None:
        stmt = update(_table).where(_table.c.id == request_id).values(**values)
        self._database.run(lambda s: s.execute(stmt), write=True, retry=True)

    def _rows(self, query: Select[Any]) -> list[ExpertRequest]:
        rows = self._database.run(lambda s: list(s.execute(query).mappings()), retry=True)
        return [ExpertRequest(**{k: _aware(v) for k, v in row.items()}) for row in rows]


def _of_team(team_id: str | None) -> tuple[Any, ...]:
    """The condition keeping one workspace's requests (None: every workspace's, and the
    terminal's)."""
    return () if team_id is None else (_table.c.team_id == team_id,)


def _aware(value: Any) -> Any:
    """SQLite gives back naive datetimes: they are UTC."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value
