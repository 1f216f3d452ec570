"""The curation loop in Slack, against the real production server (gunicorn, 2 workers) and the
fake Slack Web API: gaps → an admin acts → the YAML on disk changes → reload → new answers.

Each test gets its own server, knowledge-base copy and database, so gap clusters never mix.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine

from bot.curation.audit import REFUSAL, AuditLog
from bot.curation.gaps import gap_questions
from bot.slack import values as v
from knowledge import load_knowledge_base
from tests.factories import Server, make_log
from tests.slack.conftest import health, own_fake
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.payloads import (
    SECRET,
    action_body,
    action_payload,
    command_body,
    event_body,
    find_action,
    message,
    new_ts,
    selected,
    signed_headers,
    typed,
    view_submission_body,
)
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(180)
FORM = "application/x-www-form-urlencoded"
WAIT = 60.0
ADMIN, OWNER, SOMEONE = "UADMIN0001", "UOWNER0001", "U0SOMEONE1"
STALE_ENTRY = "training-skills-2"
HEADER_COMMENT = "# Pilots and rollout: curated by the test team. Keep this comment.\n"
INLINE_COMMENT = "  # where rota problems go"
# Questions about a tool the test base has never heard of: the advisor abstains on each.
ZEPHYRIX = ("Zephyrix keeps double-booking the Quellmoor crews",
            "the Zephyrix tool keeps double-booking Quellmoor crews",
            "Zephyrix is double-booking the Quellmoor crews again",
            "Zephyrix double-booked the Quellmoor crews")
# Answered with low confidence (a gap too), about something no topic covers yet.
BRINDLEMARK = ("Brindlemark invoices vanish from the Tollbury ledger",
               "Brindlemark invoices vanished from the Tollbury ledger again",
               "Brindlemark invoices vanishing from the Tollbury ledger")
# Answered (communication), then marked not helpful; the development set says communication.
ANNOUNCE = ("how do we announce the change to all staff",
            "how should we announce the change to staff",
            "announce the change to staff, how")
DEV_SET = [*({"text": q, "topic": "communication"} for q in ANNOUNCE),
           {"text": "the unions object to the new system", "topic": "stakeholder-engagement"},
           {"text": "how do we train the staff", "topic": "training-skills"},
           {"text": "where is the printer", "topic": None}]
_names = itertools.count(1)


# -- fixtures ---------------------------------------------------------------------------------


fake = own_fake()


@pytest.fixture
def kb(slack_kb_dir: Path, tmp_path: Path) -> Path:
    """The test base with comments in pilots-rollout.yaml and one overdue entry whose owner
    is a Slack user."""
    kb = tmp_path / "kb"
    shutil.copytree(slack_kb_dir, kb)
    pilots = kb / "pilots-rollout.yaml"
    pilots.write_text(HEADER_COMMENT + pilots.read_text().replace(
        "- id: pilots-rollout-1\n", f"- id: pilots-rollout-1{INLINE_COMMENT}\n"))
    training = kb / "training-skills.yaml"
    head, tail = training.read_text().split(f"- id: {STALE_ENTRY}\n")
    long_ago = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    tail = tail.replace("owner: Test team", f"owner: {OWNER}", 1)
    tail = tail.replace("last_reviewed: '2026-10-01'", f"last_reviewed: '{long_ago}'", 1)
    training.write_text(f"{head}- id: {STALE_ENTRY}\n{tail}")
    return kb


@pytest.fixture
def server(fake: FakeSlack, kb: Path, tmp_path: Path) -> Iterator[Server]:
    data = tmp_path / "data"
    dev = tmp_path / "dev.yaml"
    dev.write_text(yaml.safe_dump(DEV_SET))
    env = {
        "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.base_url, "DATABASE_URL": f"sqlite:///{data}/log.db",
        "ADVISOR_DATA_DIR": str(data), "ADVISOR_KB_PATH": str(kb), "ADVISOR_ADMINS": ADMIN,
        "ADVISOR_DEV_SET": str(dev), "ADVISOR_WATCH_SECONDS": "0", "LOG_HMAC_SECRET": "s",
    }
    data.mkdir()
    server = Server(env, workers=2, log_path=tmp_path / "server.log").start()
    server.data = data
    yield server
    server.stop()


# -- helpers ----------------------------------------------------------------------------------


def engine(server: Server) -> Any:
    return create_engine(f"sqlite:///{server.data}/log.db")


def ask(server: Server, fake: FakeSlack, questions: tuple[str, ...]) -> list[Call]:
    """Each question as a DM in a fresh channel; the answers (chat.postMessage), in any order."""
    channel = f"D{next(_names):07d}Q"
    for q in questions:
        body = event_body(message(q, channel=channel, channel_type="im"))
        assert server.post(body, signed_headers(body))[0] == 200
    return fake.wait_for("chat.postMessage", len(questions),
                         where=lambda c: c.args.get("channel") == channel)


def wait_for_gaps(server: Server, count: int) -> None:
    """Until the log's background writer has stored `count` gap questions."""
    reader = make_log(server.data, f"sqlite:///{server.data}/log.db", hmac_secret="only-reads")
    try:
        eventually(lambda: len(gap_questions(reader.queries)) >= count,
                   f"{count} gap questions in the log", timeout=WAIT)
    finally:
        reader.close()


def slash(server: Server, fake: FakeSlack, text: str, *, user: str) -> tuple[bytes, Call]:
    """`/advisor <text>`: the ack's body, and what came back through the response_url."""
    name = f"cmd{next(_names)}"
    body = command_body(text, response_url=fake.response_url(name), user=user)
    status, ack = server.post(body, signed_headers(body, content_type=FORM))
    assert status == 200
    [reply] = fake.wait_for("response_url", where=lambda c: c.path.endswith(f"/{name}"))
    return ack, reply


def click(server: Server, fake: FakeSlack, button: dict[str, Any], *, user: str,
          channel: str = "C0000CHAN") -> str:
    """Press a button as `user`; returns the response_url name its replies go to."""
    name = f"click{next(_names)}"
    payload = action_payload({"action_id": button["action_id"], "value": button.get("value", ""),
                              "block_id": button.get("block_id", "")},
                             response_url=fake.response_url(name), user=user, channel=channel,
                             ephemeral=True)
    body = action_body(payload)
    assert server.post(body, signed_headers(body, content_type=FORM))[0] == 200
    return name


def replies_to(fake: FakeSlack, name: str, count: int = 1) -> list[Call]:
    return fake.wait_for("response_url", count, where=lambda c: c.path.endswith(f"/{name}"))


def submit(server: Server, view: dict[str, Any], values: dict[str, Any], *, user: str,
           view_id: str) -> dict[str, Any]:
    """Submit a modal as Slack would; returns the ack's JSON (response_action …)."""
    body = view_submission_body(view, values, user=user, view_id=view_id)
    status, ack = server.post(body, signed_headers(body, content_type=FORM))
    assert status == 200
    return json.loads(ack) if ack else {}


def view_updates(fake: FakeSlack, view_id: str, count: int = 1) -> list[Call]:
    return fake.wait_for("views.update", count, where=lambda c: c.args.get("view_id") == view_id)


def opened_view(fake: FakeSlack, callback_id: str, count: int = 1) -> dict[str, Any]:
    calls = fake.wait_for("views.open", count,
                          where=lambda c: c.args["view"].get("callback_id") == callback_id)
    return calls[-1].args["view"]


def cluster_of(reply: Call, questions: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cluster in a gaps reply whose representative is one of `questions`: its section and
    its actions block."""
    blocks = reply.args["blocks"]
    for i, block in enumerate(blocks):
        if block.get("block_id", "").startswith("gap_"):
            text = blocks[i - 2]["text"]["text"]
            if any(q in text for q in questions):
                return blocks[i - 2], block
    raise AssertionError(f"no cluster of {questions[0]!r} in {json.dumps(blocks)[:2000]}")


def new_version_everywhere(server: Server, old: str) -> str:
    """Wait until the master reloaded and replaced both workers; returns the live version."""
    server.wait_for_log("Worker exiting", count=2, timeout=WAIT)
    version = eventually(lambda: (h := health(server)["kb_version"]) != old and h, "a new version",
                         timeout=WAIT)
    eventually(lambda: all(health(server)["kb_version"] == version for _ in range(6)),
               "every worker to serve the new version", timeout=WAIT)
    return version


def added_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    return ([d[2:] for d in diff if d.startswith("+ ")], [d[2:] for d in diff if d.startswith("- ")])


def audit(server: Server) -> list[Any]:
    db = engine(server)
    try:
        return AuditLog(db).recent(limit=100)
    finally:
        db.dispose()


# -- the loop ---------------------------------------------------------------------------------


def test_abstained_questions_become_a_cluster_an_admin_adds_to_an_entry_then_get_that_entry(
        server: Server, fake: FakeSlack, kb: Path) -> None:
    old = health(server)["kb_version"]
    pilots = kb / "pilots-rollout.yaml"
    original = pilots.read_text()

    # Given questions the advisor abstains on,
    for post in ask(server, fake, ZEPHYRIX):
        assert not any(b["type"] == "header" for b in post.args["blocks"])  # "I won't guess"
    wait_for_gaps(server, len(ZEPHYRIX))

    # the admin's App Home shows the live version and the cluster,
    body = event_body({"type": "app_home_opened", "user": ADMIN, "channel": "D0HOME001",
                       "tab": "home", "event_ts": new_ts()})
    server.post(body, signed_headers(body))
    [home] = fake.wait_for("views.publish", where=lambda c: c.args["user_id"] == ADMIN)
    shown = json.dumps(home.args["view"])
    assert f"`{old}`" in shown and "Gaps inbox" in shown and f"{v.GAP_ADD}_0" in shown

    # and `/advisor admin gaps` shows them as one cluster of four.
    ack, reply = slash(server, fake, "admin gaps", user=ADMIN)
    assert json.loads(ack)["text"].startswith("Grouping")
    section, buttons = cluster_of(reply, ZEPHYRIX)
    assert section["text"]["text"].startswith("*4 question(s)*")
    assert len([b for b in reply.args["blocks"] if b.get("block_id", "").startswith("gap_")]) == 1

    # When the admin clicks "Add to entry…" and submits the modal for pilots-rollout-1,
    click(server, fake, find_action([buttons], v.GAP_ADD), user=ADMIN)
    modal = opened_view(fake, v.ADD_VIEW)
    groups = modal["blocks"][-1]["element"]["option_groups"]
    assert sum(len(g["options"]) for g in groups) == 40  # every entry, grouped by topic
    ack = submit(server, modal, {"entry": {"entry": selected("pilots-rollout-1")}}, user=ADMIN,
                 view_id="V0ADD0001")
    assert ack["response_action"] == "update"
    assert ack["view"]["title"]["text"] == "Working on it"

    # the modal reports the change with before/after figures,
    [done] = view_updates(fake, "V0ADD0001")
    result = json.dumps(done.args["view"], ensure_ascii=False)
    assert done.args["view"]["title"]["text"] == "Change applied", result
    assert "Added 4 question(s) to `pilots-rollout-1`" in result
    assert "5-fold cross-validation accuracy" in result
    assert "development-set accuracy (n=6) 100.0% → 100.0%" in result

    # the YAML on disk holds the new situations, in place, with its comments,
    added, removed = added_lines(original, pilots.read_text())
    assert removed == []
    assert sorted(line.strip().removeprefix("- ").strip("'\"") for line in added) == sorted(ZEPHYRIX)
    text = pilots.read_text()
    assert text.startswith(HEADER_COMMENT) and f"- id: pilots-rollout-1{INLINE_COMMENT}\n" in text
    assert set(load_knowledge_base(kb).entries_by_id["pilots-rollout-1"].situations[-4:]) == set(
        ZEPHYRIX)

    # the server reloads and serves the new version,
    new = new_version_everywhere(server, old)
    assert new == load_knowledge_base(kb).version

    # and the same questions now get that entry.
    for post in ask(server, fake, ZEPHYRIX):
        blocks = post.args["blocks"]
        assert blocks[0]["text"]["text"] == "Pilots rollout"
        assert blocks[2]["text"]["text"].startswith("*1. Pilots rollout strategy 1*")
    [event] = [e for e in audit(server) if e.action == "add_situations"]
    assert (event.actor, event.target) == (ADMIN, "pilots-rollout-1")


def test_a_broken_edit_on_disk_is_refused_with_file_and_line_and_the_old_version_serves(
        server: Server, fake: FakeSlack, kb: Path) -> None:
    old = health(server)["kb_version"]
    measurement = kb / "measurement.yaml"
    text = measurement.read_text()
    line = text[:text.index("- id: measurement-1\n")].count("\n") + 1
    measurement.write_text(text.replace("- id: measurement-1\n", "- id: Measurement One!\n"))
    legacy = kb / "legacy-integration.yaml"
    legacy.write_text(legacy.read_text().replace("title: Legacy integration\n",
                                                 "title: [Legacy integration\n"))

    ack, reply = slash(server, fake, "admin reload", user=ADMIN)

    assert json.loads(ack)["text"].startswith("Reloading")
    shown = json.dumps(reply.args["blocks"])
    assert f"reload failed with 2 error(s); still serving knowledge base {old}" in shown
    assert f"measurement.yaml:{line}: entry 'Measurement One!': id: must be" in shown
    assert "legacy-integration.yaml:3: invalid YAML" in shown
    assert all(health(server)["kb_version"] == old for _ in range(6))
    [post] = ask(server, fake, ("we need to measure success and set a baseline",))
    assert post.args["blocks"][0]["text"]["text"] == "Measurement"


def _an_open_cluster(server: Server, fake: FakeSlack, kb: Path) -> tuple[dict[str, str], str]:
    """The YAML files as they are, and the id of a gap cluster an admin sees listed."""
    ask(server, fake, ZEPHYRIX)
    wait_for_gaps(server, len(ZEPHYRIX))
    files = {p.name: p.read_text() for p in kb.glob("*.yaml")}
    _, listing = slash(server, fake, "admin gaps", user=ADMIN)
    _, buttons = cluster_of(listing, ZEPHYRIX)
    return files, v.unpack(find_action([buttons], v.GAP_ADD)["value"])["g"]


def test_a_non_admin_is_refused_politely_nothing_changes_and_the_attempts_are_audited(
        server: Server, fake: FakeSlack, kb: Path) -> None:
    files, cluster_id = _an_open_cluster(server, fake, kb)

    ack, refusal = slash(server, fake, "admin gaps", user=SOMEONE)
    assert ack == b"" and refusal.args["text"] == REFUSAL
    _, refusal = slash(server, fake, "admin reload", user=SOMEONE)
    assert refusal.args["text"] == REFUSAL
    for action in (v.GAP_ADD, v.GAP_DISMISS):  # forged clicks on the admin buttons
        name = click(server, fake, {"action_id": f"{action}_0", "value": v.pack(g=cluster_id)},
                     user=SOMEONE)
        [reply] = replies_to(fake, name)
        assert reply.args["text"] == REFUSAL
    forged = {"callback_id": v.ADD_VIEW, "private_metadata": v.pack(g=cluster_id, n=4),
              "blocks": [], "title": {"type": "plain_text", "text": "Add to an entry"}}
    submit(server, forged, {"entry": {"entry": selected("pilots-rollout-1")}}, user=SOMEONE,
           view_id="V0FORGED1")
    [update] = view_updates(fake, "V0FORGED1")
    assert update.args["view"]["title"]["text"] == "Not allowed"
    assert REFUSAL in json.dumps(update.args["view"])

    assert {p.name: p.read_text() for p in kb.glob("*.yaml")} == files
    assert fake.calls_of("views.open") == []
    _, again = slash(server, fake, "admin gaps", user=ADMIN)
    cluster_of(again, ZEPHYRIX)  # still open
    events = audit(server)
    assert {(e.actor, e.action) for e in events} == {(SOMEONE, "refused")}
    assert sorted(e.target for e in events) == sorted(
        ["gaps", "reload", "add_situations", "dismiss_gap", "add_situations"])


def test_a_slack_user_whose_id_reads_like_the_command_line_actor_gets_no_admin_rights(
        server: Server, fake: FakeSlack, kb: Path) -> None:
    # Given signed requests whose user id is "cli:root", the command-line twins' actor name
    files, cluster_id = _an_open_cluster(server, fake, kb)
    # When they ask for admin actions, Then each is refused and nothing changes
    _, refusal = slash(server, fake, "admin reload", user="cli:root")
    assert refusal.args["text"] == REFUSAL
    forged = {"callback_id": v.ADD_VIEW, "private_metadata": v.pack(g=cluster_id, n=4),
              "blocks": [], "title": {"type": "plain_text", "text": "Add to an entry"}}
    submit(server, forged, {"entry": {"entry": selected("pilots-rollout-1")}}, user="cli:root",
           view_id="V0FORGED2")
    [update] = view_updates(fake, "V0FORGED2")
    assert update.args["view"]["title"]["text"] == "Not allowed"
    assert {p.name: p.read_text() for p in kb.glob("*.yaml")} == files
    assert {(e.actor, e.action) for e in audit(server)} == {("cli:root", "refused")}


def test_owners_get_one_weekly_dm_and_mark_reviewed_updates_the_yaml_and_the_audit(
        server: Server, fake: FakeSlack, kb: Path) -> None:
    # Both workers checked the reminders at start: the owner got one DM.
    server.wait_for_log("stale-entry reminders checked", count=2)
    [dm] = fake.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == OWNER)
    assert [c for c in fake.calls_of("chat.postMessage") if c.args["channel"] == OWNER] == [dm]
    assert STALE_ENTRY in json.dumps(dm.args["blocks"])
    button = find_action(dm.args["blocks"], v.MARK_REVIEWED)
    assert button["confirm"]["confirm"]["text"] == "Mark reviewed"
    path = kb / "training-skills.yaml"
    before = path.read_text()

    name = click(server, fake, button, user=OWNER, channel="D0OWNER01")

    [reply] = replies_to(fake, name)
    assert reply.args["replace_original"] is True
    today = dt.date.today().isoformat()
    assert f"Marked {STALE_ENTRY} reviewed" in reply.args["text"] and today in reply.args["text"]
    added, removed = added_lines(before, path.read_text())
    assert added == [f"  last_reviewed: '{today}'"] and len(removed) == 1
    assert load_knowledge_base(kb).entries_by_id[STALE_ENTRY].last_reviewed.isoformat() == today
    [event] = audit(server)
    assert (event.actor, event.action, event.target) == (OWNER, "mark_reviewed", STALE_ENTRY)
    assert event.after == {"last_reviewed": today}


def test_a_change_that_drops_accuracy_asks_for_confirmation_with_the_figures(
        server: Server, fake: FakeSlack, kb: Path) -> None:
    # Given answered questions that people marked not helpful,
    for post in ask(server, fake, ANNOUNCE):
        assert post.args["blocks"][0]["text"]["text"] == "Communication"
        name = click(server, fake, find_action(post.args["blocks"], v.FEEDBACK_NOT_HELPFUL),
                     user="U0000USER")
        replies_to(fake, name)
    wait_for_gaps(server, len(ANNOUNCE))
    _, listing = slash(server, fake, "admin gaps", user=ADMIN)
    _, buttons = cluster_of(listing, ANNOUNCE)
    click(server, fake, find_action([buttons], v.GAP_ADD), user=ADMIN)
    modal = opened_view(fake, v.ADD_VIEW)
    measurement = kb / "measurement.yaml"
    before = measurement.read_text()

    # when the admin adds them to a measurement entry (the development set disagrees),
    submit(server, modal, {"entry": {"entry": selected("measurement-0")}}, user=ADMIN,
           view_id="V0CONF001")

    # the modal asks to confirm, with the figures before and after; nothing is written yet.
    [asking] = view_updates(fake, "V0CONF001")
    confirm = asking.args["view"]
    shown = json.dumps(confirm, ensure_ascii=False)
    assert confirm["submit"]["text"] == "Confirm" and confirm["close"]["text"] == "Cancel"
    assert "This change lowers development-set accuracy by more than 2 points" in shown
    assert "development-set accuracy (n=6) 100.0% → 50.0% (-50.0 points)" in shown
    assert "5-fold cross-validation accuracy" in shown
    assert v.unpack(confirm["private_metadata"])["c"]
    assert measurement.read_text() == before

    # Confirming with another entry chosen shows that entry's figures first;
    submit(server, confirm, {"entry": {"entry": selected("measurement-1")}}, user=ADMIN,
           view_id="V0CONF001")
    _, again = view_updates(fake, "V0CONF001", 2)
    assert again.args["view"]["blocks"][-1]["element"]["initial_option"]["value"] == (
        "measurement-1")
    assert "100.0% → 50.0%" in json.dumps(again.args["view"], ensure_ascii=False)
    assert measurement.read_text() == before

    # confirming what was shown applies it.
    submit(server, again.args["view"], {"entry": {"entry": selected("measurement-1")}},
           user=ADMIN, view_id="V0CONF001")
    *_, done = view_updates(fake, "V0CONF001", 3)
    assert done.args["view"]["title"]["text"] == "Change applied"
    assert "100.0% → 50.0%" in json.dumps(done.args["view"], ensure_ascii=False)
    assert set(load_knowledge_base(kb).entries_by_id["measurement-1"].situations[-3:]) == set(
        ANNOUNCE)
    added, _ = added_lines(before, measurement.read_text())
    assert len(added) == 3
    [event] = [e for e in audit(server) if e.action == "add_situations"]
    assert event.detail["confirmed_drop"] is True and event.detail["quality"]["dev_delta"] == -50.0


def test_an_admin_dismisses_one_cluster_and_drafts_a_new_entry_from_another(
        server: Server, fake: FakeSlack, kb: Path) -> None:
    old = health(server)["kb_version"]
    ask(server, fake, ZEPHYRIX)
    ask(server, fake, BRINDLEMARK)
    wait_for_gaps(server, len(ZEPHYRIX) + len(BRINDLEMARK))
    _, listing = slash(server, fake, "admin gaps", user=ADMIN)

    # Dismiss: the listing is redrawn without that cluster, and the audit records it.
    _, buttons = cluster_of(listing, ZEPHYRIX)
    dismiss = find_action([buttons], v.GAP_DISMISS)
    assert dismiss["confirm"]["confirm"]["text"] == "Dismiss"
    [redrawn] = replies_to(fake, click(server, fake, dismiss, user=ADMIN))
    assert redrawn.args["replace_original"] is True
    assert "Dismissed 4 question(s)" in json.dumps(redrawn.args["blocks"], ensure_ascii=False)
    with pytest.raises(AssertionError):
        cluster_of(redrawn, ZEPHYRIX)

    # Draft: the modal starts from the cluster; field errors come back before any work.
    _, buttons = cluster_of(redrawn, BRINDLEMARK)
    click(server, fake, find_action([buttons], v.GAP_DRAFT), user=ADMIN)
    modal = opened_view(fake, v.DRAFT_VIEW)
    inputs = {b["block_id"]: b["element"] for b in modal["blocks"] if b["type"] == "input"}
    assert inputs["title"]["initial_value"] in BRINDLEMARK
    assert inputs["topic"]["initial_option"]["value"] == "communication"  # the model's guess
    values = {"topic": {"topic": selected("legacy-integration")},
              "title": {"title": typed("Find invoices lost between systems")},
              "summary": {"summary": typed("Trace where invoices drop out. Fix the interface, "
                                           "then reconcile.")},
              "actions": {"actions": typed("Pull a month of invoices.\nFind where they drop.")},
              "situations": {"situations": typed(None)}}
    ack = submit(server, modal, values, user=ADMIN, view_id="V0DRAFT01")
    assert ack["response_action"] == "errors"
    assert set(ack["errors"]) == {"actions", "situations"}
    assert "the cluster gives 3, so add at least 5 more" in ack["errors"]["situations"]
    values["actions"] = {"actions": typed("Pull a month of invoices.\nFind where they drop.\n"
                                          "Fix the interface and reconcile.")}
    values["situations"] = {"situations": typed(
        "invoices missing from the finance ledger\nthe ledger drops supplier invoices\n"
        "supplier invoices lost between systems\nfinance ledger and invoice system out of "
        "sync\ninvoices never reach the ledger")}
    assert submit(server, modal, values, user=ADMIN, view_id="V0DRAFT01")["response_action"] == (
        "update")

    [done] = view_updates(fake, "V0DRAFT01")
    result = json.dumps(done.args["view"], ensure_ascii=False)
    assert done.args["view"]["title"]["text"] == "Change applied", result
    assert ("Drafted *Find invoices lost between systems* (`find-invoices-lost-between-systems`) "
            "in `legacy-integration.yaml` with 8 situations") in result
    assert "development-set accuracy (n=6)" in result
    entry = load_knowledge_base(kb).entries_by_id["find-invoices-lost-between-systems"]
    assert entry.topic == "legacy-integration" and set(BRINDLEMARK) <= set(entry.situations)

    new_version_everywhere(server, old)
    for post in ask(server, fake, BRINDLEMARK):
        blocks = post.args["blocks"]
        assert blocks[0]["text"]["text"] == "Legacy integration"
        assert blocks[2]["text"]["text"].startswith("*1. Find invoices lost between systems*")
    _, empty = slash(server, fake, "admin gaps", user=ADMIN)
    assert "No open gaps in the last 30 days" in json.dumps(empty.args["blocks"])
    assert sorted(e.action for e in audit(server)) == ["add_entry", "dismiss_gap"]
