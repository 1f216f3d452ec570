""""Ask a person" end to end, against the real production server (gunicorn, 2 workers) and
the fake Slack Web API: abstain → Ask a person → confirm → post in the experts' channel →
an expert replies in the thread → the asker gets it → an admin accepts it into an entry →
the same question now gets that entry. Anonymous by default; nothing leaves unconfirmed.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.slack import values as v
from bot.slack.expert_blocks import NAMED, QUESTION_BLOCK, REQUEST_EVENT, SENT, SHARE_BLOCK
from tests.factories import Server
from tests.slack.conftest import health, start_server
from tests.slack.fake_slack import Call, FakeSlack
from tests.slack.payloads import (
    action_body,
    action_payload,
    command_body,
    event_body,
    find_action,
    message,
    selected,
    signed_headers,
    typed,
)
from tests.slack.test_admin_scenarios import (
    click,
    cluster_of,
    new_version_everywhere,
    opened_view,
    slash,
    submit,
    view_updates,
)
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(240)
FORM = "application/x-www-form-urlencoded"
EXPERTS = "CEXPERTS01"
ASKER, EXPERT, ADMIN = "UASKER0001", "UEXPERT001", "UADMIN0001"
ZEPHYRIX = "Zephyrix keeps double-booking the Quellmoor crews again"
PERSONAL = "Zephyrix keeps double-booking the Quellmoor crews, says my manager Dave Hughes"
REDACTED = "Zephyrix keeps double-booking the Quellmoor crews, says my manager [name]"
REPLY = ("Book the Quellmoor crews through the shared rota board, not in Zephyrix. Ask each "
         "crew lead to check the board every Monday. Report double bookings to the rota desk.")


@pytest.fixture
def kb(slack_kb_dir: Path, tmp_path: Path) -> Path:
    kb = tmp_path / "kb"
    shutil.copytree(slack_kb_dir, kb)
    return kb


@pytest.fixture
def server(fake: FakeSlack, kb: Path, tmp_path: Path) -> Iterator[Server]:
    fake.reset()
    data = tmp_path / "data"
    data.mkdir()
    server = start_server(fake, kb, data, ADVISOR_EXPERTS_CHANNEL=EXPERTS,
                          ADVISOR_WATCH_SECONDS="0")
    yield server
    server.stop()


# -- helpers ----------------------------------------------------------------------------------


def dm(server: Server, fake: FakeSlack, question: str, *, channel: str, count: int = 1) -> Call:
    """Ask in a DM as the asker; the advisor's answer there."""
    body = event_body(message(question, user=ASKER, channel=channel, channel_type="im"))
    assert server.post(body, signed_headers(body))[0] == 200
    return fake.wait_for("chat.postMessage", count,
                         where=lambda c: c.args.get("channel") == channel)[-1]


def press_ask_person(server: Server, fake: FakeSlack, answer: Call, *,
                     channel: str) -> dict[str, Any]:
    """Press "Ask a person" under an answer; the confirmation modal Slack was asked to open."""
    button = find_action(answer.args["blocks"], v.ASK_PERSON)
    payload = action_payload({"action_id": button["action_id"], "value": button["value"],
                              "block_id": button["block_id"]},
                             response_url=fake.response_url("ask"), user=ASKER, channel=channel)
    body = action_body(payload)
    assert server.post(body, signed_headers(body, content_type=FORM))[0] == 200
    return opened_view(fake, v.ASK_PERSON_VIEW)


def confirm(server: Server, modal: dict[str, Any], question: str, *,
            share: str = "anonymous", view_id: str = "V0ASK0001") -> dict[str, Any]:
    values = {QUESTION_BLOCK: {QUESTION_BLOCK: typed(question)},
              SHARE_BLOCK: {SHARE_BLOCK: {"type": "radio_buttons", **selected(share)}}}
    return submit(server, modal, values, user=ASKER, view_id=view_id)


def handovers(fake: FakeSlack) -> list[Call]:
    return [c for c in fake.calls_of("chat.postMessage") if c.args.get("channel") == EXPERTS
            and (c.args.get("metadata") or {}).get("event_type") == REQUEST_EVENT]


def request_rows(server: Server) -> list[Any]:
    engine = create_engine(f"sqlite:///{server.data}/log.db")
    try:
        with engine.connect() as conn:
            return list(conn.execute(text("SELECT * FROM expert_request")))
    finally:
        engine.dispose()


def initial_question(modal: dict[str, Any]) -> str:
    [block] = [b for b in modal["blocks"] if b.get("block_id") == QUESTION_BLOCK]
    return block["element"]["initial_value"]


# -- scenarios --------------------------------------------------------------------------------


def test_an_abstained_question_goes_to_a_person_whose_answer_reaches_the_asker_and_the_base(
        server: Server, fake: FakeSlack, kb: Path) -> None:
    old = health(server)["kb_version"]
    # Given a question the advisor abstains on, offered "Ask a person"
    answer = dm(server, fake, ZEPHYRIX, channel="D0ASKER01")
    assert not any(b["type"] == "header" for b in answer.args["blocks"])
    # When the asker presses it, the modal shows exactly what will be shared
    modal = press_ask_person(server, fake, answer, channel="D0ASKER01")
    assert initial_question(modal) == ZEPHYRIX
    [share] = [b for b in modal["blocks"] if b.get("block_id") == SHARE_BLOCK]
    assert share["element"]["initial_option"]["value"] == "anonymous"
    assert handovers(fake) == []  # nothing has left yet
    # and confirms it as it stands,
    assert confirm(server, modal, initial_question(modal)) == {}
    # the question is posted in the experts' channel, anonymously
    [post] = fake.wait_for("chat.postMessage", where=lambda c: c in handovers(fake))
    posted = json.dumps(post.args)
    assert ZEPHYRIX in posted and ASKER not in posted and "Asked anonymously" in posted
    fake.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == ASKER
                  and c.args.get("text") == SENT)
    [row] = eventually(lambda: [r for r in request_rows(server) if r.posted_ts], "the posted row")
    assert row.status == "posted" and row.named in (0, False)

    # When an expert replies in the thread of that post,
    reply = event_body(message(REPLY, user=EXPERT, channel=EXPERTS, thread_ts=row.posted_ts))
    assert server.post(reply, signed_headers(reply))[0] == 200
    # the asker gets the reply in a DM, and the expert is thanked in the thread
    [relayed] = fake.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == ASKER
                              and "A person answered" in json.dumps(c.args))
    assert "shared rota board" in json.dumps(relayed.args) and EXPERT not in json.dumps(relayed.args)
    fake.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == EXPERTS
                  and c.args.get("thread_ts") == row.posted_ts)
    [row] = eventually(lambda: [r for r in request_rows(server) if r.relayed_at], "relayed")
    assert row.status == "answered" and row.answer == REPLY

    # the admins see it answered,
    body = command_body("admin requests", response_url=fake.response_url("requests"), user=ADMIN)
    status, listing = server.post(body, signed_headers(body, content_type=FORM))
    assert status == 200
    assert "*answered*" in listing.decode() and "shared rota board" in listing.decode()
    # and in the gaps inbox as its own cluster, with the reply;
    _, reply_gaps = slash(server, fake, "admin gaps", user=ADMIN)
    section, buttons = cluster_of(reply_gaps, (ZEPHYRIX,))
    assert "A person answered:" in section["text"]["text"]
    # When the admin adds it to an entry,
    click(server, fake, find_action([buttons], v.GAP_ADD), user=ADMIN)
    add = opened_view(fake, v.ADD_VIEW)
    ack = submit(server, add, {"entry": {"entry": selected("pilots-rollout-1")}}, user=ADMIN,
                 view_id="V0ADD0001")
    assert ack["response_action"] == "update"
    [done] = view_updates(fake, "V0ADD0001")
    assert done.args["view"]["title"]["text"] == "Change applied", json.dumps(done.args["view"])
    assert ZEPHYRIX in (kb / "pilots-rollout.yaml").read_text()
    new_version_everywhere(server, old)
    # Then the same question now gets that entry, and the request left the inbox
    again = dm(server, fake, ZEPHYRIX, channel="D0ASKER02")
    blocks = again.args["blocks"]
    assert blocks[0]["text"]["text"] == "Pilots rollout", json.dumps(blocks)[:1500]
    assert blocks[2]["text"]["text"].startswith("*1. Pilots rollout strategy 1*")
    _, after = slash(server, fake, "admin gaps", user=ADMIN)
    assert "A person answered:" not in json.dumps(after.args)


def test_nothing_is_sent_unless_confirmed_new_personal_details_are_refused_and_naming_is_a_choice(
        server: Server, fake: FakeSlack) -> None:
    answer = dm(server, fake, PERSONAL, channel="D0ASKER03")
    # Given the modal opened with personal details already taken out, nothing has left
    modal = press_ask_person(server, fake, answer, channel="D0ASKER03")
    assert initial_question(modal) == REDACTED
    assert handovers(fake) == [] and request_rows(server) == []
    # When the asker types personal details into the text, Send is refused with the reason
    refused = confirm(server, modal, "Zephyrix trouble, call me on 07700 900123")
    assert refused["response_action"] == "errors"
    assert "personal details" in refused["errors"][QUESTION_BLOCK]
    # and an empty text is refused too
    assert confirm(server, modal, "   ")["response_action"] == "errors"
    assert handovers(fake) == [] and request_rows(server) == []
    # When they choose to be named, the post names them
    assert confirm(server, modal, REDACTED, share=NAMED) == {}
    [post] = fake.wait_for("chat.postMessage", where=lambda c: c in handovers(fake))
    assert f"<@{ASKER}>" in json.dumps(post.args) and "Dave Hughes" not in json.dumps(post.args)
    assert len(request_rows(server)) == 1
