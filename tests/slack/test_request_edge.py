"""The edge of the real server (gunicorn, 2 workers): forged, malformed and replayed requests.

Forged or malformed requests get 400, 401 or 413 (never 500) and their bodies never reach the
server log; signed but malformed payloads are answered or ignored without a traceback; a
replayed command or click is handled once. Every body carries `MARK`, so a logged body shows.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlmodel import Session, create_engine, select

from bot.log.models import Feedback
from bot.slack import values as v
from bot.slack.inbound import UNREADABLE_COMMAND
from tests.factories import Server
from tests.slack.conftest import start_server
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import (
    SECRET,
    action_body,
    action_payload,
    command_body,
    event_body,
    find_action,
    mention,
    message,
    signed_headers,
)

pytestmark = pytest.mark.timeout(180)
MARK = "LEAKMARK-7f3a"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
_n = itertools.count(1)


@pytest.fixture(scope="module")
def server(fake: FakeSlack, slack_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    server = start_server(fake, slack_kb_dir, tmp_path_factory.mktemp("edge"))
    yield server
    server.stop()


def fresh_channel() -> str:
    return f"C{next(_n):07d}E"


def sign_bytes(body: bytes, timestamp: str, secret: str = SECRET) -> str:
    """Slack's signature over raw bytes (slack_sdk's helper takes text only)."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def headers_of(body: str, *, content_type: str = JSON, **kw) -> list[tuple[str, str]]:
    return list(signed_headers(body, content_type=content_type, **kw).items())


def now() -> str:
    return str(int(time.time()))


def marked_event() -> str:
    return event_body(mention(f"{MARK} my name is Jane Doe", channel=fresh_channel()))


def deep(levels: int) -> str:
    return '{"type":"event_callback","x":' + "[" * levels + "]" * levels + "}"


def _forged_cases() -> list[tuple[str, bytes, list[tuple[str, str]], int]]:
    event = marked_event()
    stale_ts = str(int(time.time()) - 600)
    sig = dict(headers_of(event))
    ts, good = sig["X-Slack-Request-Timestamp"], sig["X-Slack-Signature"]
    ct = ("Content-Type", JSON)
    bad_utf8 = f'{{"type":"event_callback","text":"{MARK}'.encode() + b'\xff\xfe"}'
    big = ('{"type":"event_callback","text":"' + MARK + "x" * (1024 * 1024) + '"}')
    junk = f"{{not json {MARK}"
    array = f'["{MARK}"]'
    deep_body = deep(100_000).replace('"x"', f'"{MARK}"')
    return [
        ("stale timestamp", event.encode(), headers_of(event, timestamp=int(stale_ts)), 401),
        ("wrong secret", event.encode(), headers_of(event, secret="not-the-secret"), 401),
        ("unsigned", event.encode(), [ct], 401),
        ("signature only", event.encode(), [ct, ("X-Slack-Signature", good)], 401),
        ("non-numeric timestamp", event.encode(),
         [ct, ("X-Slack-Request-Timestamp", "soon"), ("X-Slack-Signature", good)], 401),
        ("5,000-digit timestamp", event.encode(),
         [ct, ("X-Slack-Request-Timestamp", "9" * 5000), ("X-Slack-Signature", good)], 401),
        ("negative timestamp", event.encode(),
         [ct, ("X-Slack-Request-Timestamp", "-1"), ("X-Slack-Signature", good)], 401),
        ("duplicated timestamp", event.encode(),
         [ct, ("X-Slack-Request-Timestamp", ts), ("X-Slack-Request-Timestamp", ts),
          ("X-Slack-Signature", good)], 401),
        ("duplicated signature", event.encode(),
         [ct, ("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", good),
          ("X-Slack-Signature", good)], 401),
        ("non-ASCII signature", event.encode(),
         [ct, ("X-Slack-Request-Timestamp", ts), ("X-Slack-Signature", "v0=é" + good[4:])], 401),
        ("unsigned malformed JSON", junk.encode(), [ct], 401),
        ("forged malformed JSON", junk.encode(), headers_of(junk, secret="nope"), 401),
        ("unsigned JSON array", array.encode(), [ct], 401),
        ("unsigned deep nesting", deep_body.encode(), [ct], 401),
        ("forged invalid UTF-8", bad_utf8,
         [ct, ("X-Slack-Request-Timestamp", now()),
          ("X-Slack-Signature", sign_bytes(bad_utf8, now(), "nope"))], 400),
        ("over 1 MiB", big.encode(), headers_of(big), 413),
        ("signed malformed JSON", junk.encode(), headers_of(junk), 400),
        ("signed JSON array", array.encode(), headers_of(array), 400),
        ("signed invalid UTF-8", bad_utf8,
         [ct, ("X-Slack-Request-Timestamp", now()),
          ("X-Slack-Signature", sign_bytes(bad_utf8, now()))], 400),
        ("signed deep nesting", deep_body.encode(), headers_of(deep_body), 400),
        ("signed nesting past the bound", deep(70).encode(), headers_of(deep(70)), 400),
        ("signed form with a broken payload", f"payload={MARK}".encode(),
         headers_of(f"payload={MARK}", content_type=FORM), 400),
        ("signed event that is a string",
         json.dumps({"type": "event_callback", "event": MARK}).encode(),
         headers_of(json.dumps({"type": "event_callback", "event": MARK})), 400),
        ("signed event that is a number",
         json.dumps({"type": "event_callback", "event": 7, "m": MARK}).encode(),
         headers_of(json.dumps({"type": "event_callback", "event": 7, "m": MARK})), 400),
        ("signed actions that are a string", action_body_str({"actions": MARK}).encode(),
         headers_of(action_body_str({"actions": MARK}), content_type=FORM), 400),
        ("signed click with no actions", action_body_str({"actions": [], "m": MARK}).encode(),
         headers_of(action_body_str({"actions": [], "m": MARK}), content_type=FORM), 400),
        ("signed modal without a view type",
         action_body_str({"type": "view_submission", "view": {"callback_id": MARK}}).encode(),
         headers_of(action_body_str({"type": "view_submission", "view": {"callback_id": MARK}}),
                    content_type=FORM), 400),
    ]


def action_body_str(payload: dict) -> str:
    return urlencode({"payload": json.dumps({"type": "block_actions", **payload})})


@pytest.mark.parametrize("case", [c[0] for c in _forged_cases()])
def test_forged_or_malformed_request_is_refused_and_its_body_never_logged(server, case):
    # built now, not at collection, so that timestamps meant to be fresh are
    body, headers, status = next(c[1:] for c in _forged_cases() if c[0] == case)
    refusals = server.log().count("refused a request to /slack/events")
    answer_status, answer = server.post_raw(body, headers)
    assert answer_status == status
    assert "error" in json.loads(answer)
    assert MARK not in server.log() and "Traceback" not in server.log()
    server.wait_for_log("refused a request to /slack/events", count=refusals + 1)
    log = server.log()
    assert MARK not in log and "Jane Doe" not in log
    assert "Traceback" not in log


def test_refusal_is_logged_with_its_status_reason_and_size_only(server):
    body = marked_event()
    server.post_raw(body.encode(), headers_of(body, timestamp=int(time.time()) - 600))
    server.wait_for_log(f"refused a request to /slack/events: 401 stale timestamp "
                        f"({len(body.encode())} bytes)")


# -- signed but malformed payloads -----------------------------------------------------------


def signed(server: Server, body: str, content_type: str = JSON) -> tuple[int, bytes]:
    return server.post(body, signed_headers(body, content_type=content_type))


def posts_in(fake: FakeSlack, channel: str, count: int = 1) -> list:
    return fake.wait_for("chat.postMessage", count, where=lambda c: c.args.get("channel") == channel)


@pytest.mark.parametrize("missing", ["channel", "ts"])
def test_mention_without_channel_or_ts_is_ignored_cleanly(server, missing):
    event = mention(f"{MARK} we need a comms plan", channel=fresh_channel())
    del event[missing]
    assert signed(server, event_body(event))[0] == 200
    server.wait_for_log(f"ignored a malformed app_mention event: {missing}: Field required")
    assert "Traceback" not in server.log() and MARK not in server.log()


@pytest.mark.parametrize("text", [None, 42, ["a", "list"], {"an": "object"}],
                         ids=["null", "number", "list", "object"])
def test_mention_whose_text_is_not_a_string_is_answered_with_help(server, fake, text):
    channel = fresh_channel()
    event = {**mention("", channel=channel), "text": text}
    assert signed(server, event_body(event))[0] == 200
    [post] = posts_in(fake, channel)
    assert post.args["thread_ts"] == event["ts"]
    assert "I'm Transformation Advisor" in json.dumps(post.args["blocks"])
    assert "Traceback" not in server.log()


def test_direct_message_with_null_text_is_answered_with_help(server, fake):
    dm = f"D{next(_n):07d}E"
    event = {**message("", channel=dm, channel_type="im"), "text": None}
    assert signed(server, event_body(event))[0] == 200
    [post] = posts_in(fake, dm)
    assert "I'm Transformation Advisor" in json.dumps(post.args["blocks"])
    assert "Traceback" not in server.log()


def test_slash_command_without_response_url_is_answered_in_the_ack(server):
    body = urlencode({"command": "/advisor", "text": "staff lack confidence with computers",
                      "user_id": "U0000USER", "channel_id": "C0000CHAN", "team_id": "T0000001",
                      "trigger_id": "1.2.3"})
    status, ack = signed(server, body, FORM)
    assert status == 200
    answer = json.loads(ack)
    assert answer["response_type"] == "ephemeral"
    assert answer["blocks"][0]["text"]["text"] == "Training skills"
    checklist = body.replace("staff+lack+confidence+with+computers", "checklist+pilots-rollout-2")
    assert "0 of 3 done" in json.loads(signed(server, checklist, FORM)[1])["text"]
    assert "Traceback" not in server.log()


def test_slash_command_without_a_user_gets_a_short_reply(server):
    body = urlencode({"command": "/advisor", "text": MARK, "trigger_id": "1.2.3"})
    status, ack = signed(server, body, FORM)
    assert (status, json.loads(ack)["text"]) == (200, UNREADABLE_COMMAND)
    server.wait_for_log("ignored a malformed slash command: user_id: Field required")
    assert "Traceback" not in server.log() and MARK not in server.log()


def test_click_with_null_containers_is_answered(server, fake):
    channel = fresh_channel()
    signed(server, event_body(mention("the unions object to the new system", channel=channel)))
    [post] = posts_in(fake, channel)
    helpful = find_action(post.args["blocks"], v.FEEDBACK_HELPFUL)
    name = f"edge-null-{channel}"
    payload = action_payload({"action_id": v.FEEDBACK_HELPFUL, "value": helpful["value"]},
                             response_url=fake.response_url(name), channel=channel)
    payload.update(container=None, channel=None, message=None)
    assert signed(server, action_body(payload), FORM)[0] == 200
    [thanks] = fake.wait_for("response_url", where=lambda c: c.path.endswith(name))
    assert thanks.args["text"].startswith("Thanks")
    assert "Traceback" not in server.log()


@pytest.mark.parametrize(("change", "field"), [
    ({"user": None}, "user: Input should be a valid dictionary"),
    ({"actions": [{"action_id": v.FEEDBACK_HELPFUL, "value": 7}]}, "actions.0.value"),
    ({"actions": [{"action_id": v.SHARE_ANSWER, "value": MARK, "block_id": ["x"]}]},
     "actions.0.block_id"),
], ids=["null user", "numeric value", "list block_id"])
def test_malformed_click_is_ignored_cleanly(server, fake, change, field):
    name = f"edge-bad-{next(_n)}"
    payload = action_payload({"action_id": v.FEEDBACK_HELPFUL, "value": MARK},
                             response_url=fake.response_url(name))
    payload.update(change)
    assert signed(server, action_body(payload), FORM)[0] == 200
    server.wait_for_log(f"ignored a malformed block_actions: {field}")
    assert "Traceback" not in server.log() and MARK not in server.log()


def test_button_value_holding_lists_is_read_as_no_value(server, fake):
    name = f"edge-list-{next(_n)}"
    value = json.dumps({"t": ["communication"], "q": MARK})
    action = {"action_id": f"{v.CHOOSE_TOPIC}_0", "value": value}
    payload = action_payload(action, response_url=fake.response_url(name))
    assert signed(server, action_body(payload), FORM)[0] == 200
    sentinel = fresh_channel()  # one request later, the click has been handled
    signed(server, event_body(mention("we need a comms plan", channel=sentinel)))
    posts_in(fake, sentinel)
    assert [c for c in fake.calls_of("response_url") if c.path.endswith(name)] == []
    assert "Traceback" not in server.log()


# -- replays ---------------------------------------------------------------------------------


def test_replayed_slash_command_is_answered_once(server, fake):
    name = f"edge-replay-{next(_n)}"
    body = command_body("staff lack confidence with computers",
                        response_url=fake.response_url(name))
    headers = signed_headers(body, content_type=FORM)
    replays = server.log().count("replayed slash command ignored")
    statuses = [server.post(body, headers)[0] for _ in range(3)]
    assert statuses == [200, 200, 200]
    server.wait_for_log("replayed slash command ignored", count=replays + 2)
    fake.wait_for("response_url", where=lambda c: c.path.endswith(name))
    assert len([c for c in fake.calls_of("response_url") if c.path.endswith(name)]) == 1


def test_replayed_feedback_click_is_recorded_once(server, fake):
    channel = fresh_channel()
    signed(server, event_body(mention("the unions object to the new system", channel=channel)))
    [post] = posts_in(fake, channel)
    helpful = find_action(post.args["blocks"], v.FEEDBACK_HELPFUL)
    exchange_id = v.unpack(helpful["value"])["x"]
    name = f"edge-click-{channel}"
    body = action_body(action_payload({"action_id": v.FEEDBACK_HELPFUL,
                                       "value": helpful["value"]},
                                      response_url=fake.response_url(name), channel=channel))
    headers = signed_headers(body, content_type=FORM)
    replays = server.log().count("replayed block_actions ignored")
    assert [server.post(body, headers)[0] for _ in range(3)] == [200, 200, 200]
    server.wait_for_log("replayed block_actions ignored", count=replays + 2)
    fake.wait_for("response_url", where=lambda c: c.path.endswith(name))
    assert len([c for c in fake.calls_of("response_url") if c.path.endswith(name)]) == 1
    engine = create_engine(f"sqlite:///{server.data}/log.db")
    try:
        deadline = time.monotonic() + 15
        rows: list = []
        while not rows and time.monotonic() < deadline:
            with Session(engine) as session:
                rows = list(session.exec(select(Feedback)
                                         .where(Feedback.exchange_id == exchange_id)))
            time.sleep(0.05)
        assert len(rows) == 1
    finally:
        engine.dispose()


def test_same_command_sent_again_by_the_user_is_answered_again(server, fake):
    """A second invocation has its own trigger id, hence its own signature: not a replay."""
    name = f"edge-again-{next(_n)}"
    for trigger in ("1.1.1", "2.2.2"):
        body = command_body("staff lack confidence with computers",
                            response_url=fake.response_url(name)).replace("1.2.3", trigger)
        assert signed(server, body, FORM)[0] == 200
    fake.wait_for("response_url", 2, where=lambda c: c.path.endswith(name))
