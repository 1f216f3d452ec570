"""Expert requests on SQLite and PostgreSQL: stored redacted, found by their post, answered,
reminded once, purged with the log and erased by `forget`."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from bot.log import store
from bot.log.expert_requests import ANSWERED, POSTED, SAVED
from bot.log.models import ExpertRequest
from tests.log.conftest import Backend


def test_a_request_is_stored_redacted_and_found_by_its_post(backend: Backend) -> None:
    log = backend.started()
    # Given a confirmed request whose text still holds an e-mail address
    request = log.requests.save(surface="slack", user_id="U1AAAAAAA", exchange_id="x1",
                                question="Mail me at jo.bloggs@example.org about the pilot")
    assert request.status == SAVED and "[email]" in request.question
    # When it is posted in the experts' channel
    log.requests.mark_posted(request.id, channel="CEXPERTS1", ts="1700000000.000200")
    # Then its post finds it, and nothing else does
    found = log.requests.by_post("CEXPERTS1", "1700000000.000200")
    assert found is not None and found.id == request.id and found.status == POSTED
    assert found.posted_at is not None and found.posted_at.tzinfo is not None
    assert log.requests.by_post("CEXPERTS1", "1700000000.000300") is None
    assert "jo.bloggs" not in str(backend.rows("SELECT question FROM expert_request"))


def test_replies_are_appended_redacted_and_the_request_is_answered(backend: Backend) -> None:
    log = backend.started()
    request = log.requests.save(surface="slack", user_id="U1AAAAAAA", question="q")
    log.requests.mark_posted(request.id, channel="CEXPERTS1", ts="1.1")
    first = log.requests.answer(request.id, text="Call 07700 900123 for the form", expert_id="UEXPERT01")
    second = log.requests.answer(request.id, text="Also see the playbook.", expert_id="UOTHER001")
    assert first is not None and second is not None
    assert second.status == ANSWERED and second.answered_by == log.user_key("UEXPERT01")
    assert "UEXPERT01" not in str(backend.rows("SELECT * FROM expert_request"))
    assert "07700" not in second.answer and second.answer.endswith("Also see the playbook.")
    assert log.requests.answer("nope", text="x", expert_id=None) is None
    assert log.requests.counts() == {SAVED: 0, POSTED: 0, ANSWERED: 1}


def test_a_reminder_is_claimed_once_and_only_when_due(backend: Backend) -> None:
    log = backend.started()
    old = log.requests.save(surface="slack", user_id="U1AAAAAAA", question="old one")
    new = log.requests.save(surface="slack", user_id="U1AAAAAAA", question="new one")
    for r in (old, new):
        log.requests.mark_posted(r.id, channel="CEXPERTS1", ts=f"1.{r.id[-4:]}")
    with backend.engine.begin() as conn:
        conn.execute(text("UPDATE expert_request SET posted_at = :at WHERE id = :id"),
                     {"at": store.utcnow() - dt.timedelta(hours=50), "id": old.id})
    due = log.requests.due_reminders(posted_before=store.utcnow() - dt.timedelta(hours=48))
    assert [r.id for r in due] == [old.id]
    assert log.requests.claim_reminder(old.id) is True
    assert log.requests.claim_reminder(old.id) is False  # another process got there first
    # The old one is reminded now; the new one only once it is due
    later = store.utcnow() + dt.timedelta(seconds=1)
    assert [r.id for r in log.requests.due_reminders(posted_before=later)] == [new.id]


def test_requests_follow_retention_and_forget(backend: Backend) -> None:
    log = backend.started(retention_days=10_000)
    mine = log.requests.save(surface="slack", user_id="U1AAAAAAA", question="mine")
    theirs = log.requests.save(surface="slack", user_id="U2BBBBBBB", question="theirs")
    ancient = log.requests.save(surface="terminal", user_id=None, question="ancient")
    with backend.engine.begin() as conn:
        conn.execute(text("UPDATE expert_request SET created_at = :at WHERE id = :id"),
                     {"at": store.utcnow() - dt.timedelta(days=200), "id": ancient.id})
    # The retention purge takes the old request
    log.purge(older_than_days=180)
    assert {r.id for r in backend.rows("SELECT id FROM expert_request")} == {mine.id, theirs.id}
    log.requests.answer(theirs.id, text="an answer", expert_id="U1AAAAAAA")
    # Forgetting a user takes their requests, asker id and all, and their name as an expert
    log.forget_user("U1AAAAAAA")
    rows = backend.rows("SELECT id, asker_id, answered_by, answer FROM expert_request")
    assert [(r.id, r.asker_id, r.answered_by, r.answer) for r in rows] == [
        (theirs.id, "U2BBBBBBB", None, "an answer")]


def test_saved_requests_are_read_page_by_page_so_skipped_ones_never_hide_the_rest(
        backend: Backend) -> None:
    log = backend.started()
    saved = [log.requests.save(surface="slack", user_id="U1AAAAAAA", question=f"q{n}",
                               team_id=f"T000000{n}") for n in range(5)]
    table = ExpertRequest.__table__
    with backend.engine.begin() as conn:  # two saved in the same instant: the id decides
        conn.execute(table.update().where(table.c.id.in_([saved[1].id, saved[2].id]))
                     .values(created_at=saved[1].created_at))
    pages, page = [], log.requests.saved(limit=2)
    while page and len(pages) < 10:
        pages.append([r.id for r in page])
        page = log.requests.saved(limit=2, after=page[-1])
    assert sorted(i for p in pages for i in p) == sorted(r.id for r in saved) and len(pages) == 3
