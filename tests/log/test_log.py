"""The conversation log's behaviour, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import stat
import uuid

import pytest
from sqlalchemy import text
from sqlmodel import Session

from bot.log import ConversationLog, ExchangeIn, LogError, store
from bot.log.db import make_engine, normalize_url, upgrade
from bot.log.pseudonym import shared_secret_warning
from tests.factories import OTHER, make_answer, make_log
from tests.log.conftest import Backend
from tests.waiting import eventually


def ask(log: ConversationLog, question: str = "How do I brief staff?", **kw) -> str:
    fields = {"surface": "mention", "question": question, "answer": make_answer(), "latency_ms": 12.5}
    fields.update(kw)
    return log.record(ExchangeIn(**fields))


def test_an_exchange_is_stored_with_everything_reports_need(backend: Backend) -> None:
    # Given a started log
    log = backend.started()
    # When one exchange is recorded
    exchange_id = ask(
        log,
        "Mail jane@example.org about the rollout",
        user_id="U012AB3CD",
        team_id="T1",
        channel_type="channel",
        thread_ts="1700000000.000100",
        event_id="Ev1",
        answer=make_answer(confidence=0.55, ambiguous=True),
    )
    assert log.flush()
    # Then its row holds the redacted question, the answer's figures and a user key
    (row,) = backend.rows("SELECT * FROM exchange")
    assert row.id == exchange_id and uuid.UUID(hex=exchange_id)
    assert row.surface == "mention" and row.team_id == "T1" and row.channel_type == "channel"
    assert row.thread_ts == "1700000000.000100" and row.event_id == "Ev1"
    assert row.question == "Mail [email] about the rollout"
    assert (row.topic, row.confidence, row.abstained, row.ambiguous) == ("communication", 0.55, False, True)
    assert row.entry_ids == "comm-town-halls,comm-faq"
    assert (row.kb_version, row.model_version, row.latency_ms) == ("kb-1", "model-1", 12.5)
    expected_key = hmac.new(b"test-secret", b"U012AB3CD", hashlib.sha256).hexdigest()[:32]
    assert row.user_key == expected_key
    assert "U012AB3CD" not in backend.dump()


def test_an_abstention_is_stored_without_topic_or_entries(backend: Backend) -> None:
    log = backend.started()
    ask(log, "What is the weather?", answer=make_answer(None, confidence=0.2))
    log.flush()
    (row,) = backend.rows("SELECT topic, abstained, out_of_scope, entry_ids FROM exchange")
    assert tuple(row) == (None, True, True, "")


def test_a_doubled_event_is_stored_once(backend: Backend) -> None:
    # Given two workers that both received the same Slack event
    first, second = backend.started(), backend.started()
    # When both record it
    ask(first, event_id="Ev-dup")
    ask(second, event_id="Ev-dup")
    first.flush(), second.flush()
    # Then one row exists
    assert backend.count("exchange") == 1


def test_claim_event_is_true_once_across_workers(backend: Backend) -> None:
    first, second = backend.started(), backend.started()
    assert first.claims.claim("C1:1700000000.000100") is True
    assert second.claims.claim("C1:1700000000.000100") is False
    assert first.claims.claim("C1:1700000000.000100") is False
    assert backend.count("processed_event") == 1


def test_feedback_is_linked_to_its_exchange(backend: Backend) -> None:
    log = backend.started()
    exchange_id = ask(log, user_id="U1AAAAAAA")
    log.record_feedback(exchange_id, user_id="U1AAAAAAA", kind="not_helpful")
    log.record_feedback(exchange_id, user_id="U1AAAAAAA", kind="chose_topic", value=OTHER.id)
    log.flush()
    rows = backend.rows("SELECT exchange_id, kind, value, user_key FROM feedback ORDER BY created_at")
    assert [(r.exchange_id, r.kind, r.value) for r in rows] == [
        (exchange_id, "not_helpful", None),
        (exchange_id, "chose_topic", "training-skills"),
    ]
    assert rows[0].user_key == log.user_key("U1AAAAAAA")


def test_unknown_feedback_kind_is_refused(backend: Backend) -> None:
    log = backend.started()
    with pytest.raises(ValueError, match="helpful"):
        log.record_feedback("x" * 32, user_id=None, kind="meh")  # type: ignore[arg-type]


def test_unknown_surface_is_refused() -> None:
    with pytest.raises(ValueError, match="surface"):
        ExchangeIn(surface="email", question="q", answer=make_answer(), latency_ms=1)  # type: ignore[arg-type]


def test_checklist_progress_reads_back_at_once(backend: Backend) -> None:
    log = backend.started()
    user = "user:U012AB3CD"
    assert log.checklists.done(scope=user, checklist_id="comm-faq") == frozenset()
    assert log.checklists.set_item(scope=user, checklist_id="comm-faq", item=0, done=True) == {0}
    assert log.checklists.set_item(scope=user, checklist_id="comm-faq", item=3, done=True) == {0, 3}
    assert log.checklists.set_item(scope=user, checklist_id="comm-faq", item=0, done=False) == {3}
    assert log.checklists.done(scope=user, checklist_id="comm-faq") == {3}
    # A channel's checklist is separate from the user's
    assert log.checklists.set_item(scope="channel:C42", checklist_id="comm-faq", item=1, done=True) == {1}
    # Another worker sees the same state
    assert backend.started().checklists.done(scope=user, checklist_id="comm-faq") == {3}
    # The user's scope is stored as a key, never the raw id
    scopes = {r.scope for r in backend.rows("SELECT scope FROM checklist_item")}
    assert scopes == {f"user:{log.user_key('U012AB3CD')}", "channel:C42"}


def test_checklist_scope_must_name_user_or_channel(backend: Backend) -> None:
    log = backend.started()
    with pytest.raises(ValueError, match="user:<id>"):
        log.checklists.done(scope="U012AB3CD", checklist_id="x")


def test_open_checklists_lists_the_users_own_progress(backend: Backend) -> None:
    log = backend.started()
    log.checklists.set_item(scope="user:U1AAAAAAA", checklist_id="comm-faq", item=0, done=True)
    log.checklists.set_item(scope="user:U1AAAAAAA", checklist_id="comm-faq", item=1, done=True)
    log.checklists.set_item(scope="user:U1AAAAAAA", checklist_id="pilots", item=2, done=True)
    log.checklists.set_item(scope="user:U1AAAAAAA", checklist_id="undone", item=0, done=True)
    log.checklists.set_item(scope="user:U1AAAAAAA", checklist_id="undone", item=0, done=False)
    log.checklists.set_item(scope="user:U2BBBBBBB", checklist_id="other", item=0, done=True)
    log.checklists.set_item(scope="channel:C1", checklist_id="chan", item=0, done=True)
    assert sorted(log.checklists.in_progress(user_id="U1AAAAAAA")) == [("comm-faq", 2), ("pilots", 1)]


def test_recent_questions_are_the_users_own_redacted_newest_first(backend: Backend) -> None:
    log = backend.started()
    for i in range(7):
        ask(log, f"question {i} from +44 20 7946 0958", user_id="U1AAAAAAA")
    ask(log, "someone else's", user_id="U2BBBBBBB")
    recent = log.queries.recent_questions(user_id="U1AAAAAAA", limit=3)
    assert recent == [f"question {i} from [phone]" for i in (6, 5, 4)]


def test_weekly_stats_counts_topics_abstentions_and_not_helpful(backend: Backend) -> None:
    log = backend.started()
    ids = [ask(log) for _ in range(3)]
    ask(log, answer=make_answer(OTHER))
    ask(log, answer=make_answer(None, confidence=0.1))
    ask(log, answer=make_answer(ambiguous=True))
    log.record_feedback(ids[0], user_id=None, kind="not_helpful")
    log.record_feedback(ids[1], user_id=None, kind="helpful")
    stats = log.queries.weekly_stats()
    assert stats.questions == 6
    assert stats.top_topics == [("communication", 4), ("training-skills", 1)]
    assert stats.abstention_rate == pytest.approx(1 / 6)
    assert stats.ambiguous_rate == pytest.approx(1 / 6)
    assert (stats.helpful, stats.not_helpful, stats.not_helpful_rate) == (1, 1, 0.5)


def _old_rows(backend: Backend, days: int, user_key: str | None = None) -> None:
    """Insert an exchange, feedback, checklist item and event `days` old, bypassing the writer."""
    at = store.utcnow() - dt.timedelta(days=days)
    eid = uuid.uuid4().hex
    records = [
        ("exchange", {**_row(eid, at), "user_key": user_key}),
        (
            "feedback",
            {
                "id": uuid.uuid4().hex,
                "exchange_id": eid,
                "created_at": at + dt.timedelta(days=days),
                "user_key": None,
                "kind": "helpful",
                "value": None,
            },
        ),
        (
            "checklist",
            {"scope": f"channel:C{days}", "checklist_id": "x", "item": 0, "done": True, "updated_at": at},
        ),
        ("event", {"key": f"old-{days}-{eid}", "seen_at": at}),
    ]
    with Session(backend.engine) as session:
        store.write(session, records, retention_days=10_000)
        session.commit()


def _row(eid: str, at: dt.datetime) -> dict:
    return {
        "id": eid,
        "created_at": at,
        "surface": "cli",
        "team_id": None,
        "channel_type": None,
        "thread_ts": None,
        "user_key": None,
        "question": "old",
        "topic": "communication",
        "confidence": 0.9,
        "abstained": False,
        "ambiguous": False,
        "out_of_scope": False,
        "entry_ids": "",
        "kb_version": "k",
        "model_version": "m",
        "latency_ms": 1.0,
        "event_id": None,
    }


def test_purge_deletes_what_is_older_than_asked(backend: Backend) -> None:
    log = backend.started(retention_days=10_000)
    _old_rows(backend, 120)
    _old_rows(backend, 30)
    ask(log)
    log.flush()
    assert log.purge(older_than_days=90) == 1
    assert backend.count("exchange") == 2
    # The old exchange's feedback went with it, though the feedback itself was recent
    assert backend.count("feedback") == 1
    assert backend.count("checklist_item") == 2  # checklist progress is kept (see below)
    assert backend.count("processed_event") == 1


def test_purge_keeps_checklist_progress_until_forget(backend: Backend) -> None:
    # Given a user's checklist ticked long ago, and an old log beside it
    log = backend.started(retention_days=10_000)
    log.checklists.set_item(scope="user:U1AAAAAAA", checklist_id="comm-faq", item=2, done=True)
    long_ago = store.utcnow() - dt.timedelta(days=400)
    with backend.engine.begin() as conn:
        conn.execute(text("UPDATE checklist_item SET updated_at = :at"), {"at": long_ago})
    _old_rows(backend, 400)
    # When the retention purge runs, by hand and at start-up
    assert log.purge(older_than_days=90) == 1
    log.close()
    _old_rows(backend, 400)
    log = backend.started(retention_days=180)
    assert eventually(lambda: backend.count("exchange") == 0)
    # Then the log is gone but the checklists are still the users' working state
    assert log.checklists.done(scope="user:U1AAAAAAA", checklist_id="comm-faq") == {2}
    assert log.checklists.in_progress(user_id="U1AAAAAAA") == [("comm-faq", 1)]
    assert backend.count("checklist_item") == 2  # the user's, and the channel's from _old_rows
    # And forgetting the user removes theirs
    log.forget_user("U1AAAAAAA")
    assert log.checklists.in_progress(user_id="U1AAAAAAA") == []
    assert {r.scope for r in backend.rows("SELECT scope FROM checklist_item")} == {"channel:C400"}


def test_retention_purges_automatically_at_start(backend: Backend) -> None:
    backend.started(retention_days=10_000).close()
    _old_rows(backend, 200)
    _old_rows(backend, 10)
    log = backend.started(retention_days=180)
    assert eventually(lambda: backend.count("exchange") == 1)
    log.close()


def test_forget_user_removes_everything_of_that_user(backend: Backend) -> None:
    log = backend.started()
    mine = ask(log, user_id="U1AAAAAAA")
    theirs = ask(log, user_id="U2BBBBBBB")
    log.record_feedback(mine, user_id="U1AAAAAAA", kind="helpful")
    log.record_feedback(theirs, user_id="U1AAAAAAA", kind="not_helpful")  # their feedback on another's
    log.record_feedback(mine, user_id="U2BBBBBBB", kind="helpful")  # another's on theirs
    log.record_feedback(theirs, user_id="U2BBBBBBB", kind="helpful")
    log.checklists.set_item(scope="user:U1AAAAAAA", checklist_id="c", item=0, done=True)
    log.checklists.set_item(scope="user:U2BBBBBBB", checklist_id="c", item=0, done=True)
    assert log.forget_user("U1AAAAAAA") == 5
    key = log.user_key("U1AAAAAAA")
    assert key not in backend.dump().replace(f"{key}\n", "", 1)  # only the erasure marker remains
    assert [r.id for r in backend.rows("SELECT id FROM exchange")] == [theirs]
    assert backend.count("feedback") == 1
    assert log.checklists.in_progress(user_id="U2BBBBBBB") == [("c", 1)]


def test_exchanges_of_a_forgotten_workspace_made_before_erasure_are_not_replayed(
    backend: Backend,
) -> None:
    # Given exchanges of two workspaces that sat in another server's spool while one was forgotten
    log = backend.started()
    before = store.utcnow()
    ask(log, team_id="T0GONE0001")
    log.flush()
    assert log.forget_workspace("T0GONE0001") == {"exchange": 1, "feedback": 0, "expert_request": 0}
    spooled = {"gone": uuid.uuid4().hex, "kept": uuid.uuid4().hex}
    log.spool.append([("exchange", {**_row(spooled["gone"], before), "team_id": "T0GONE0001"}),
                      ("exchange", {**_row(spooled["kept"], before), "team_id": "T0KEPT0001"})])
    # When the spool is replayed
    log.replay()
    # Then only the other workspace's is written; what the forgotten one asks afterwards is logged
    assert [r.id for r in backend.rows("SELECT id FROM exchange")] == [spooled["kept"]]
    later = ask(log, team_id="T0GONE0001")
    log.flush()
    assert {r.id for r in backend.rows("SELECT id FROM exchange")} == {spooled["kept"], later}
    assert log.forget_workspace("T0GONE0001")["exchange"] == 1


def test_records_of_a_forgotten_user_made_before_erasure_are_not_replayed(backend: Backend) -> None:
    # Given a record of a user that sat in a spool while they were forgotten
    log = backend.started()
    key = log.user_key("U1AAAAAAA")
    before = store.utcnow()
    log.forget_user("U1AAAAAAA")
    log.spool.append([("exchange", {**_row(uuid.uuid4().hex, before), "user_key": key})])
    # When the spool is replayed
    log.replay()
    # Then it is dropped, but what they ask afterwards is logged again
    assert backend.count("exchange") == 0
    ask(log, user_id="U1AAAAAAA")
    log.flush()
    assert backend.count("exchange") == 1


def test_record_after_close_still_reaches_the_database(backend: Backend) -> None:
    log = backend.started()
    log.close()
    log.close()  # idempotent
    ask(log)
    assert backend.count("exchange") == 1


def test_close_flushes_everything_queued(backend: Backend) -> None:
    log = backend.started(flush_interval=60.0, batch_size=10_000)
    for _ in range(1234):
        ask(log)
    log.close()
    assert backend.count("exchange") == 1234


def test_generated_secret_is_private_and_stable(backend: Backend) -> None:
    first = backend.make_log(hmac_secret=None)
    second = backend.make_log(hmac_secret=None)
    key_file = backend.data_dir / "log-hmac.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_text().strip()) == 64
    assert first.user_key("U012AB3CD") == second.user_key("U012AB3CD")
    assert first.user_key("U012AB3CD") != backend.make_log().user_key("U012AB3CD")


def test_repr_hides_credentials(tmp_path) -> None:
    log = ConversationLog(
        database_url="postgresql://advisor:hunter2@127.0.0.1:1/x", data_dir=tmp_path, hmac_secret="s3cr3t"
    )
    assert "hunter2" not in repr(log) and "s3cr3t" not in repr(log.__dict__)


def test_postgres_schema_must_be_upgraded_first(pg_database: str, tmp_path) -> None:
    log = ConversationLog(database_url=pg_database, data_dir=tmp_path, hmac_secret="s")
    with pytest.raises(LogError, match="advisor db upgrade"):
        log.start()
    log.close()




@pytest.mark.parametrize("secret", [None, "one-secret-everywhere"])
def test_servers_on_one_database_need_one_secret_for_forget_to_reach_every_record(
        pg_database: str, tmp_path, secret) -> None:
    engine = make_engine(normalize_url(pg_database, tmp_path))
    upgrade(engine)
    # Given two servers on one PostgreSQL, each with its own data folder
    a, b = (make_log(tmp_path / name, pg_database, hmac_secret=secret) for name in ("a", "b"))
    try:
        for log in (a, b):
            log.start()
            ask(log, user_id="U1AAAAAAA")
        for log in (a, b):
            log.close()
        # When the user is forgotten through one of them
        a = make_log(tmp_path / "a", pg_database, hmac_secret=secret)
        a.start()
        a.forget_user("U1AAAAAAA")
        with engine.connect() as conn:
            left = conn.execute(text("SELECT count(*) FROM exchange")).scalar_one()
    finally:
        a.close()
        engine.dispose()
    # Then with one LOG_HMAC_SECRET every record goes; without it the other server's stay,
    # which is what `advisor serve` warns about
    assert left == (1 if secret is None else 0)
    assert (shared_secret_warning(secret, pg_database) is None) == (secret is not None)
    assert shared_secret_warning(None, "sqlite:///log.db") is None
