"""Scenarios against the real production server (gunicorn, 2 workers) on 127.0.0.1.

Requests are signed like Slack's; the bot's Web API calls land on a fake Slack on
127.0.0.1 (SLACK_API_URL). Each test uses its own channel so calls never mix.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from pathlib import Path

import pytest

from bot.slack import values as v
from tests.factories import Server, make_log
from tests.slack.conftest import queues_idle, start_server
from tests.slack.fake_slack import BOT_ID, BOT_USER_ID, Failure, FakeSlack
from tests.slack.payloads import (
    action_body,
    action_payload,
    command_body,
    event_body,
    find_action,
    mention,
    message,
    new_ts,
    signed_headers,
)
from tests.waiting import eventually

pytestmark = pytest.mark.timeout(120)
_channels = itertools.count(1)
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def server(fake: FakeSlack, slack_kb_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    server = start_server(fake, slack_kb_dir, tmp_path_factory.mktemp("server"))
    yield server
    server.stop()


@pytest.fixture
def channel() -> str:
    return f"C{next(_channels):07d}X"


def send_event(server: Server, event: dict, **kw) -> tuple[int, bytes]:
    body = event_body(event, **kw)
    return server.post(body, signed_headers(body))


def posts_to(fake: FakeSlack, channel: str, count: int = 1) -> list:
    return fake.wait_for("chat.postMessage", count, where=lambda c: c.args.get("channel") == channel)


def in_channel(fake: FakeSlack, channel: str, method: str = "chat.postMessage") -> list:
    return [c for c in fake.calls_of(method) if c.args.get("channel") == channel]


def test_healthz_reports_knowledge_base_and_model_versions(server, slack_advisor):
    status, body = server.request("GET", "/healthz")
    assert status == 200
    health = json.loads(body)
    assert (health["status"], health["kb_version"], health["model_version"]) == (
        "ok", slack_advisor.kb.version, slack_advisor.model_version)
    assert server.request("GET", "/nowhere")[0] == 404


def test_url_verification_is_answered(server):
    body = json.dumps({"token": "t", "challenge": "c-123", "type": "url_verification"})
    status, answer = server.post(body, signed_headers(body))
    assert status == 200 and json.loads(answer) == {"challenge": "c-123"}


def test_forged_or_stale_requests_get_401_and_nothing_is_processed(server, fake, channel,
                                                                   slack_log):
    event = mention("the unions object to the new system", channel=channel)
    body = event_body(event)
    forged = signed_headers(body, secret="not-the-secret")
    stale = signed_headers(body, timestamp=int(time.time()) - 600)
    unsigned = {"Content-Type": "application/json"}
    for headers in (forged, stale, unsigned):
        status, answer = server.post(body, headers)
        assert status == 401 and json.loads(answer) == {"error": "invalid request"}
    other = f"{channel}OK"
    send_event(server, mention("the unions object to the new system", channel=other))
    posts_to(fake, other)
    assert in_channel(fake, channel) == []
    log = make_log(server.data, f"sqlite:///{server.data}/log.db", hmac_secret="scenario-secret")
    try:  # nobody claimed the forged message: the first claim is ours
        assert log.claims.claim(f"msg:{channel}:{event['ts']}") is True
    finally:
        log.close()


def test_mention_is_answered_in_a_thread_under_it(server, fake, channel):
    event = mention("the unions object to the new system", channel=channel)
    status, _ = send_event(server, event)
    assert status == 200
    [post] = posts_to(fake, channel)
    assert post.args["thread_ts"] == event["ts"]
    assert post.args["blocks"][0]["text"]["text"] == "Stakeholder engagement"
    assert "link_names" not in post.args


def test_retried_event_is_answered_once(server, fake, channel):
    event = mention("we need a comms plan for the change", channel=channel)
    body = event_body(event, event_id="EvRETRY0001")
    first = server.post(body, signed_headers(body))
    retry = server.post(body, {**signed_headers(body), "X-Slack-Retry-Num": "1",
                               "X-Slack-Retry-Reason": "http_timeout"})
    assert first[0] == retry[0] == 200
    server.wait_for_log(f"already answered msg:{channel}:{event['ts']}")
    assert len(posts_to(fake, channel)) == 1


def test_mention_and_message_event_of_one_message_are_answered_once_across_workers(
        server, fake, channel):
    event = mention("the old mainframe and the legacy database", channel=channel)
    twin = message(event["text"], ts=event["ts"], channel=channel)
    bodies = [event_body(event), event_body(twin), event_body(event, event_id="EvRETRY0002")]
    threads = [threading.Thread(target=server.post, args=(b, signed_headers(b))) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    server.wait_for_log(f"already answered msg:{channel}:{event['ts']}")  # the retry
    server.wait_for_log(f"msg:{channel}:{event['ts']} mentions the advisor: answered from its "
                        "app_mention event")  # the message twin
    assert len(posts_to(fake, channel)) == 1


def test_follow_up_in_the_thread_is_answered_without_a_new_mention(server, fake, channel):
    root = new_ts()
    fake.replies[root] = [
        {"user": "U0000USER", "text": f"<@{BOT_USER_ID}> we must measure success", "ts": root},
        {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": "Measurement…", "ts": new_ts(),
         "blocks": [{"type": "actions", "block_id": "answer_actions", "elements": []}]},
    ]
    follow_up = message("and the KPIs for the project?", channel=channel, thread_ts=root)
    fake.replies[root].append({"user": "U0000USER", "text": follow_up["text"],
                               "ts": follow_up["ts"]})
    send_event(server, follow_up)
    [post] = posts_to(fake, channel)
    assert post.args["thread_ts"] == root
    assert post.args["blocks"][0]["text"]["text"] == "Measurement"


def test_bots_messages_are_ignored(server, fake, channel):
    own = message(f"<@{BOT_USER_ID}> run a pilot", channel=channel, user=BOT_USER_ID,
                  bot_id=BOT_ID)
    other = message(f"<@{BOT_USER_ID}> run a pilot", channel=channel, user="UOTHER001",
                    bot_id="BOTHER001")
    for event in (own, other):
        assert send_event(server, event)[0] == 200
    sentinel = mention("run a pilot", channel=channel)
    send_event(server, sentinel)
    posts = posts_to(fake, channel)
    time.sleep(0.3)  # give a wrongly handled bot message time to show up
    assert [p.args["thread_ts"] for p in in_channel(fake, channel)] == [sentinel["ts"]]
    assert len(posts) == 1


def test_direct_message_is_answered_in_place_with_thinking_status(server, fake):
    dm, thread = f"D{next(_channels):07d}X", new_ts()
    send_event(server, message("how do we train the staff", channel=dm, channel_type="im",
                               thread_ts=thread))
    [post] = posts_to(fake, dm)
    assert post.args["thread_ts"] == thread
    assert post.args["blocks"][0]["text"]["text"] == "Training skills"
    [status] = [c for c in fake.calls_of("assistant.threads.setStatus")
                if c.args["channel_id"] == dm]
    assert status.args["status"] == "is thinking…" and status.at <= post.at


def test_opening_the_messages_tab_sets_suggested_prompts(server, fake):
    dm = f"D{next(_channels):07d}X"
    send_event(server, {"type": "app_home_opened", "user": "U0000USER", "channel": dm,
                        "tab": "messages", "event_ts": new_ts()})
    [call] = fake.wait_for("assistant.threads.setSuggestedPrompts",
                           where=lambda c: c.args["channel_id"] == dm)
    assert len(call.args["prompts"]) == 4


def test_home_tab_shows_topics_and_admin_figures_only_to_admins(server, fake):
    for user in ("U0000HOME", "UADMIN0001"):
        send_event(server, {"type": "app_home_opened", "user": user, "channel": "D1",
                            "tab": "home", "event_ts": new_ts()})
    views = {c.args["user_id"]: json.dumps(c.args["view"]) for c in fake.wait_for(
        "views.publish", 2, where=lambda c: c.args["user_id"] in ("U0000HOME", "UADMIN0001"))}
    assert "This week (admins)" in views["UADMIN0001"]
    assert "This week (admins)" not in views["U0000HOME"]
    assert v.HOME_TOPIC in views["U0000HOME"]


def test_slash_command_is_acked_at_once_then_answered_privately_with_share(server, fake):
    name = f"cmd{next(_channels)}"
    body = command_body("staff lack confidence with computers <!channel>",
                        response_url=fake.response_url(name))
    status, ack = server.post(body, signed_headers(body, content_type=FORM))
    assert status == 200
    assert json.loads(ack)["text"].startswith("Thinking about: _staff lack confidence")
    assert "<!channel>" not in ack.decode() and "&lt;!channel&gt;" in ack.decode()
    [answer] = fake.wait_for("response_url", where=lambda c: c.path.endswith(name))
    assert answer.args["response_type"] == "ephemeral"
    assert answer.args["blocks"][0]["text"]["text"] == "Training skills"
    share = find_action(answer.args["blocks"], v.SHARE_ANSWER)

    shared_name = f"{name}share"
    payload = action_payload({"action_id": v.SHARE_ANSWER, "value": share["value"]},
                             response_url=fake.response_url(shared_name), ephemeral=True)
    body = action_body(payload)
    assert server.post(body, signed_headers(body, content_type=FORM))[0] == 200
    shared, replaced = fake.wait_for("response_url", 2,
                                     where=lambda c: c.path.endswith(shared_name))
    assert shared.args["response_type"] == "in_channel"
    assert "Shared by <@U0000USER>" in json.dumps(shared.args["blocks"])
    assert replaced.args["replace_original"] is True


def test_slash_command_help_comes_back_in_the_ack(server, fake):
    body = command_body("help", response_url=fake.response_url("help"))
    status, ack = server.post(body, signed_headers(body, content_type=FORM))
    assert status == 200 and "How to use" in json.loads(ack)["text"]


def test_abstention_offers_topics_and_the_choice_re_answers(server, fake, channel):
    send_event(server, mention("where is the printer", channel=channel))
    [post] = posts_to(fake, channel)
    blocks = post.args["blocks"]
    assert "won't guess" in json.dumps(blocks) or "help with" in json.dumps(blocks)
    assert not any(b["type"] == "header" for b in blocks)
    choice = next(el for b in blocks if b["type"] == "actions" for el in b["elements"]
                  if v.unpack(el["value"])["t"] == "legacy-integration")
    name = f"choose{channel}"
    payload = action_payload({"action_id": choice["action_id"], "value": choice["value"]},
                             response_url=fake.response_url(name), channel=channel)
    body = action_body(payload)
    assert server.post(body, signed_headers(body, content_type=FORM))[0] == 200
    [update] = fake.wait_for("response_url", where=lambda c: c.path.endswith(name))
    assert update.args["replace_original"] is True
    assert update.args["blocks"][0]["text"]["text"] == "Legacy integration"


def test_checklist_ticks_are_saved_and_progress_shown_then_shared_with_the_team(
        server, fake, channel):
    name = f"cl{channel}"
    body = command_body("checklist pilots-rollout-2", response_url=fake.response_url(name),
                        channel=channel, user="U0000CHMP")
    assert server.post(body, signed_headers(body, content_type=FORM))[0] == 200
    [shown] = fake.wait_for("response_url", where=lambda c: c.path.endswith(name))
    assert "0 of 3 done" in shown.args["text"]

    def tick(blocks: list, item: int, url: str, **kw) -> None:
        box = next(b for b in blocks if b.get("block_id", "").endswith(f"|{item}"))
        action = {"type": "checkboxes", "action_id": v.CHECKLIST_ITEM, "block_id":
                  box["block_id"], "selected_options": [{"value": "done"}]}
        body = action_body(action_payload(action, response_url=fake.response_url(url),
                                          channel=channel, **kw))
        assert server.post(body, signed_headers(body, content_type=FORM))[0] == 200

    tick(shown.args["blocks"], 1, f"{name}t1", ephemeral=True, user="U0000CHMP")
    [ticked] = fake.wait_for("response_url", where=lambda c: c.path.endswith(f"{name}t1"))
    assert "1 of 3 done" in ticked.args["text"] and ticked.args["replace_original"] is True

    again = command_body("checklist pilots-rollout-2", response_url=fake.response_url(f"{name}2"),
                         channel=channel, user="U0000CHMP")
    server.post(again, signed_headers(again, content_type=FORM))
    [reopened] = fake.wait_for("response_url", where=lambda c: c.path.endswith(f"{name}2"))
    assert "1 of 3 done" in reopened.args["text"]  # saved per user

    post_button = find_action(shown.args["blocks"], v.POST_CHECKLIST)
    body = action_body(action_payload({"action_id": v.POST_CHECKLIST,
                                       "value": post_button["value"]},
                                      response_url=fake.response_url(f"{name}p"),
                                      channel=channel, ephemeral=True, user="U0000CHMP"))
    server.post(body, signed_headers(body, content_type=FORM))
    [team] = posts_to(fake, channel)
    assert "0 of 3 done" in team.args["text"]  # the channel's own list starts empty
    tick(team.args["blocks"], 0, f"{name}t2", user="U0000MATE")
    [team_tick] = fake.wait_for("response_url", where=lambda c: c.path.endswith(f"{name}t2"))
    assert "1 of 3 done" in team_tick.args["text"]
    assert "anyone here can tick" in json.dumps(team_tick.args["blocks"])


def test_feedback_button_is_acknowledged(server, fake, channel):
    send_event(server, mention("the unions object to the new system", channel=channel))
    [post] = posts_to(fake, channel)
    helpful = find_action(post.args["blocks"], v.FEEDBACK_HELPFUL)
    name = f"fb{channel}"
    body = action_body(action_payload({"action_id": v.FEEDBACK_HELPFUL,
                                       "value": helpful["value"]},
                                      response_url=fake.response_url(name), channel=channel))
    assert server.post(body, signed_headers(body, content_type=FORM))[0] == 200
    [thanks] = fake.wait_for("response_url", where=lambda c: c.path.endswith(name))
    assert thanks.args["text"].startswith("Thanks")


def test_rate_limited_post_is_retried_after_retry_after(server, fake, channel):
    fake.fail("chat.postMessage", Failure(429, "ratelimited", {"Retry-After": "1"}))
    send_event(server, mention("announce the change", channel=channel))
    first, second = posts_to(fake, channel, 2)
    assert second.at - first.at >= 1.0  # waited as Slack said, then succeeded


@pytest.mark.parametrize(("failure", "cause"), [
    (Failure(error="channel_not_found"), "chat.postMessage failed: channel_not_found"),
    (Failure(delay=2.5), "chat.postMessage failed: TimeoutError"),
])
def test_web_api_errors_are_logged_with_cause_and_the_server_keeps_serving(
        server, fake, channel, failure, cause):
    fake.fail("chat.postMessage", failure)
    send_event(server, mention("announce the change", channel=channel))
    server.wait_for_log(cause)
    after = f"{channel}after"
    send_event(server, mention("announce the change", channel=after))
    posts_to(fake, after)
    assert server.proc.poll() is None


def test_every_event_the_manifest_subscribes_to_is_handled_not_404(server, fake):
    import yaml

    from tests.factories import ROOT

    manifest = yaml.safe_load((ROOT / "manifest.yaml").read_text())
    for name in manifest["settings"]["event_subscriptions"]["bot_events"]:
        kind, _, where = name.partition(".")
        ts = new_ts()
        event = {"type": kind, "user": "U0000USER", "ts": ts, "event_ts": ts, "text": "hello",
                 "channel": f"D{next(_channels):07d}X", "tab": "home"}
        if where:
            event["channel_type"] = {"channels": "channel", "groups": "group", "im": "im"}[where]
        if kind.startswith("assistant_thread_"):
            event["assistant_thread"] = {"user_id": "U0000USER", "channel_id": event["channel"],
                                         "thread_ts": ts, "context": {}}
        assert send_event(server, event)[0] == 200, name
    # and every one found its listener (the 200 comes from the queue, before Bolt looks)
    eventually(lambda: queues_idle(server, 2), "both workers' queues to empty")
    assert "was not handled" not in server.log()
