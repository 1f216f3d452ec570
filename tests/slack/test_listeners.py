"""Listeners called directly, as Bolt would call them, with a recording client."""

from __future__ import annotations

import itertools
import logging
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.settings import Settings
from bot.slack import values as v
from bot.slack.blocks import SORRY
from bot.slack.listeners import actions, commands, home, messages
from bot.slack.services import Services
from tests.slack.fake_slack import BOT_ID, BOT_USER_ID
from tests.slack.payloads import action_payload, find_action, mention, message, new_ts

CONTEXT = {"bot_user_id": BOT_USER_ID, "bot_id": BOT_ID}
logger = logging.getLogger("test.slack")
_users = itertools.count(1)


def new_user() -> str:
    return f"U{next(_users):08d}X"


class Recorder:
    """Stands in for WebClient, `ack`, `respond`, `set_status`: records every call."""

    def __init__(self, replies: list[dict] | None = None, fail: str | None = None):
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.replies = replies or []
        self.fail = fail

    def _call(self, name: str, **kwargs: Any) -> Any:
        self.calls.append((name, kwargs))
        if self.fail == name:
            response = SlackResponse(client=None, http_verb="POST", api_url=name, req_args={},
                                     data={"ok": False, "error": "channel_not_found"},
                                     headers={}, status_code=200)
            raise SlackApiError("failed", response)
        if name == "conversations_replies":
            return {"ok": True, "messages": self.replies}
        return {"ok": True, "ts": "1.2"}

    def __getattr__(self, name: str) -> Any:
        return lambda **kwargs: self._call(name, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args:
            kwargs["text"] = args[0]
        return self._call("call", **kwargs)

    def named(self, name: str) -> list[dict[str, Any]]:
        return [kw for n, kw in self.calls if n == name]


@pytest.fixture
def services(slack_advisor, slack_log) -> Services:
    settings = Settings(slack_bot_token="xoxb-1", slack_signing_secret="s",
                        advisor_admins="UADMIN0001")
    return Services(settings, slack_advisor, slack_log)


def body_for(event: dict) -> dict:
    return {"team_id": "T1", "event_id": f"Ev{event['ts']}", "event": event}


def test_mention_is_answered_in_a_thread_under_it(services):
    client, event = Recorder(), mention("the unions object to the new system")
    messages.on_app_mention(event, body_for(event), client, CONTEXT, logger, services)
    [post] = client.named("chat_postMessage")
    assert post["channel"] == event["channel"] and post["thread_ts"] == event["ts"]
    assert post["blocks"][0]["text"]["text"] == "Stakeholder engagement"
    assert "Stakeholder engagement" in post["text"]


def test_same_message_as_mention_and_message_event_is_answered_once(services):
    client, event = Recorder(), mention("announce the change with a newsletter for staff")
    as_message = message(event["text"], ts=event["ts"], channel=event["channel"])
    messages.on_app_mention(event, body_for(event), client, CONTEXT, logger, services)
    messages.on_message(as_message, body_for(as_message), client, CONTEXT, logger, services)
    messages.on_app_mention(event, body_for(event), client, CONTEXT, logger, services)  # retry
    assert len(client.named("chat_postMessage")) == 1


@pytest.mark.parametrize("event", [
    message(f"<@{BOT_USER_ID}> hi", user=BOT_USER_ID),
    message(f"<@{BOT_USER_ID}> run a pilot", bot_id="BOTHER01", user="UOTHERBOT"),
    message(f"<@{BOT_USER_ID}> run a pilot", subtype="bot_message", user="UOTHERBOT"),
    message(f"<@{BOT_USER_ID}> run a pilot", subtype="message_changed"),
    message("run a pilot in the channel without mentioning anyone"),
])
def test_bots_edits_and_unaddressed_channel_messages_are_ignored(services, event):
    client = Recorder()
    messages.on_message(event, body_for(event), client, CONTEXT, logger, services)
    assert client.named("chat_postMessage") == []


def test_follow_up_in_the_advisors_thread_is_answered_with_the_thread_as_context(services):
    root = new_ts()
    thread = [
        {"user": "U0000USER", "text": f"<@{BOT_USER_ID}> we must measure success", "ts": root},
        {"user": BOT_USER_ID, "bot_id": BOT_ID, "text": "Measurement…", "ts": new_ts(),
         "blocks": [{"type": "actions", "block_id": "answer_actions", "elements": []}]},
    ]
    follow_up = message("and what about the KPIs for the project?", thread_ts=root)
    client = Recorder(replies=[*thread, {"user": "U0000USER", "text": follow_up["text"],
                                         "ts": follow_up["ts"]}])
    messages.on_message(follow_up, body_for(follow_up), client, CONTEXT, logger, services)
    [replies] = client.named("conversations_replies")
    assert replies["ts"] == root
    [post] = client.named("chat_postMessage")
    assert post["thread_ts"] == root and post["blocks"][0]["text"]["text"] == "Measurement"
    services.log.flush()
    [asked] = services.log.queries.recent_questions(user_id="U0000USER", limit=1)
    assert asked.startswith("and what about the KPIs") and "measure success" in asked


@pytest.mark.parametrize("bot_message_blocks", [
    None,  # the advisor is not in the thread at all
    [{"type": "section", "block_id": "cl|c|measurement-0|0"}],  # a team checklist, no answer
])
def test_message_in_a_thread_without_an_advisor_answer_is_left_alone(services,
                                                                     bot_message_blocks):
    root = new_ts()
    thread = [{"user": "U0000USER", "text": "hi", "ts": root}]
    if bot_message_blocks:
        thread = [{"user": BOT_USER_ID, "bot_id": BOT_ID, "ts": root, "text": "Checklist",
                   "blocks": bot_message_blocks}]
    event = message("we ticked the first one", thread_ts=root)
    client = Recorder(replies=thread)
    messages.on_message(event, body_for(event), client, CONTEXT, logger, services)
    assert client.named("chat_postMessage") == []


def test_direct_message_is_answered_in_place_with_a_thinking_status(services):
    client, status = Recorder(), Recorder()
    event = message("we want to run a pilot", channel="D0000DM01", channel_type="im",
                    thread_ts="1700000000.000001")
    messages.on_message(event, body_for(event), client, CONTEXT, logger, services, status)
    assert status.named("call") == [{"status": "is thinking…"}]
    [post] = client.named("chat_postMessage")
    assert post["channel"] == "D0000DM01" and post["thread_ts"] == "1700000000.000001"
    assert post["blocks"][0]["text"]["text"] == "Pilots rollout"


def test_a_failure_is_logged_with_its_trace_and_the_user_told(services, caplog):
    class Broken:
        kb = services.advisor.kb

        def answer(self, text):
            raise RuntimeError("model exploded")

    broken = Services(services.settings, Broken(), services.log)  # type: ignore[arg-type]
    client, event = Recorder(), mention("run a pilot")
    with caplog.at_level(logging.ERROR):
        messages.on_app_mention(event, body_for(event), client, CONTEXT, logger, broken)
    assert client.named("chat_postMessage") == [{"channel": event["channel"],
                                                 "thread_ts": event["ts"], "text": SORRY,
                                                 "metadata": messages.answer_metadata(event)}]
    assert "model exploded" in caplog.text and "Traceback" in caplog.text


def test_web_api_error_is_logged_with_its_cause_and_not_raised(services, caplog):
    client, event = Recorder(fail="chat_postMessage"), mention("run a pilot")
    with caplog.at_level(logging.WARNING):
        messages.on_app_mention(event, body_for(event), client, CONTEXT, logger, services)
    assert "chat.postMessage failed: channel_not_found" in caplog.text


def command(text: str, user: str = "U0000USER") -> dict:
    return {"text": text, "user_id": user, "channel_id": "C0000CHAN", "team_id": "T1"}


def test_command_is_acknowledged_before_the_private_answer_with_a_share_button(services):
    order = Recorder()
    ack = lambda **kw: order._call("ack", **kw)  # noqa: E731
    respond = lambda **kw: order._call("respond", **kw)  # noqa: E731
    commands.on_advisor(ack, command("staff lack confidence with computers"), respond, logger,
                        services)
    assert [name for name, _ in order.calls] == ["ack", "respond"]
    assert order.calls[0][1]["text"].startswith("Thinking about: _staff lack confidence")
    answer = order.calls[1][1]
    assert answer["response_type"] == "ephemeral"
    assert answer["blocks"][0]["text"]["text"] == "Training skills"
    share = find_action(answer["blocks"], v.SHARE_ANSWER)
    assert v.unpack(share["value"])["q"] == "staff lack confidence with computers"


@pytest.mark.parametrize(("text", "expect"), [("", "How to use"), ("help", "How to use"),
                                              ("topics", "Topics I can advise on"),
                                              ("checklist", "Which checklist?")])
def test_help_and_topics_come_back_in_the_ack_itself(services, text, expect):
    ack, respond = Recorder(), Recorder()
    commands.on_advisor(ack, command(text), respond, logger, services)
    assert ack.named("call")[0]["text"].startswith(expect)
    assert respond.calls == []


def test_checklist_command_shows_the_users_saved_progress(services):
    user = new_user()
    services.log.checklists.set_item(scope=f"user:{user}", checklist_id="pilots-rollout-1",
                                     item=1, done=True)
    ack, respond = Recorder(), Recorder()
    commands.on_advisor(ack, command("checklist pilots-rollout-1", user), respond, logger,
                        services)
    [shown] = respond.named("call")
    assert "1 of 3 done" in shown["text"]
    ack2, respond2 = Recorder(), Recorder()
    commands.on_advisor(ack2, command("checklist no-such-thing"), respond2, logger, services)
    assert "don't know a topic or strategy called _no-such-thing_" in respond2.named("call")[0]["text"]


def act(handler, services, action: dict, *, user="U0000USER", channel="C0000CHAN",
        ephemeral=False, client=None) -> tuple[Recorder, Recorder, Recorder]:
    ack, respond, client = Recorder(), Recorder(), client or Recorder()
    body = action_payload(action, response_url="http://x", user=user, channel=channel,
                          ephemeral=ephemeral)
    available = {"ack": ack, "body": body, "action": body["actions"][0], "respond": respond,
                 "logger": logger, "services": services, "client": client}
    handler(**{k: val for k, val in available.items() if k in handler.__code__.co_varnames})
    assert ack.named("call"), "ack() first"
    return ack, respond, client


def test_feedback_is_recorded_against_the_exchange(services, monkeypatch):
    seen = []
    monkeypatch.setattr(services.log, "record_feedback", lambda x, **kw: seen.append((x, kw)))
    _, respond, _ = act(actions.on_feedback, services,
                        {"action_id": v.FEEDBACK_NOT_HELPFUL, "value": v.pack(x="ex9")})
    assert seen == [("ex9", {"user_id": "U0000USER", "kind": "not_helpful"})]
    assert respond.named("call")[0]["replace_original"] is False


def test_choosing_a_topic_records_a_labelled_example_and_re_answers_in_it(services, monkeypatch):
    seen = []
    monkeypatch.setattr(services.log, "record_feedback", lambda x, **kw: seen.append((x, kw)))
    _, respond, _ = act(actions.on_choose_topic, services, {
        "action_id": f"{v.CHOOSE_TOPIC}_1",
        "value": v.pack(t="measurement", q="newsletter dashboard", x="ex7")})
    assert seen == [("ex7", {"user_id": "U0000USER", "kind": "chose_topic",
                             "value": "measurement"})]
    [update] = respond.named("call")
    assert update["replace_original"] is True
    assert update["blocks"][0]["text"]["text"] == "Measurement"
    assert "the topic you chose" in str(update["blocks"][1])


def test_open_shows_one_listed_strategy_in_full_just_for_the_user(services):
    entry = services.advisor.kb.entries[5]
    _, respond, _ = act(actions.on_open_strategy, services, {
        "action_id": f"{v.OPEN_STRATEGY}_2", "value": v.pack(e=entry.id, x="ex9")})
    [shown] = respond.named("call")
    assert shown["response_type"] == "ephemeral" and shown["replace_original"] is False
    assert shown["text"] == entry.title
    text = str(shown["blocks"])
    assert entry.actions[0][:40] in text and "show_checklist" in text
    _, respond, _ = act(actions.on_open_strategy, services, {
        "action_id": f"{v.OPEN_STRATEGY}_2", "value": v.pack(e="no-such-entry")})
    assert respond.named("call") == []


def test_ticking_an_item_saves_it_and_shows_progress(services):
    user = new_user()
    action = {"type": "checkboxes", "action_id": v.CHECKLIST_ITEM,
              "block_id": "cl|u|training-skills-2|2", "selected_options": [{"value": "done"}]}
    _, respond, _ = act(actions.on_checklist_item, services, action, user=user, ephemeral=True)
    [update] = respond.named("call")
    assert update["replace_original"] is True and "1 of 3 done" in update["text"]
    assert services.log.checklists.done(scope=f"user:{user}",
                                        checklist_id="training-skills-2") == frozenset({2})
    action["selected_options"] = []
    _, respond, _ = act(actions.on_checklist_item, services, action, user=user, ephemeral=True)
    assert "0 of 3 done" in respond.named("call")[0]["text"]


def test_a_champion_posts_a_checklist_the_channel_ticks_together(services):
    channel = f"C{next(_users):08d}"
    _, _, client = act(actions.on_post_checklist, services,
                       {"action_id": v.POST_CHECKLIST, "value": v.pack(c="measurement-0")},
                       channel=channel)
    [post] = client.named("chat_postMessage")
    item = find_action(post["blocks"], v.CHECKLIST_ITEM)
    assert post["channel"] == channel and item["block_id"].startswith("cl|c|measurement-0|")
    for user, item in ((new_user(), 0), (new_user(), 2)):
        action = {"type": "checkboxes", "action_id": v.CHECKLIST_ITEM,
                  "block_id": f"cl|c|measurement-0|{item}", "selected_options": [{"value": "done"}]}
        _, respond, _ = act(actions.on_checklist_item, services, action, user=user,
                            channel=channel)
    assert "2 of 3 done" in respond.named("call")[0]["text"]
    assert services.log.checklists.done(scope=f"channel:{channel}",
                                        checklist_id="measurement-0") == frozenset({0, 2})


def test_posting_where_the_bot_is_not_invited_explains_what_to_do(services):
    _, respond, _ = act(actions.on_post_checklist, services,
                        {"action_id": v.POST_CHECKLIST, "value": v.pack(c="measurement-0")},
                        client=Recorder(fail="chat_postMessage"))
    assert "Invite me first" in respond.named("call")[0]["text"]


def test_sharing_posts_the_answer_in_channel_quoting_the_question(services):
    _, respond, _ = act(actions.on_share_answer, services, {
        "action_id": v.SHARE_ANSWER, "value": v.pack(q="<!here> run a pilot", x="ex1")},
        ephemeral=True)
    shared, replaced = respond.named("call")
    assert shared["response_type"] == "in_channel"
    assert "*You asked:*\\n>run a pilot" in str(shared["blocks"]) and "<!here>" not in str(shared)
    assert "<@U0000USER>" in str(shared["blocks"][0])
    assert replaced["replace_original"] is True
    assert not any(b.get("block_id") == "answer_actions" and v.SHARE_ANSWER in str(b)
                   for b in replaced["blocks"])


def test_show_checklist_is_private_in_a_channel_and_in_place_in_a_dm(services):
    action = {"action_id": v.SHOW_CHECKLIST, "value": v.pack(c="communication-0")}
    _, respond, client = act(actions.on_show_checklist, services, action)
    assert respond.named("call")[0]["response_type"] == "ephemeral"
    assert client.named("chat_postMessage") == []
    _, respond, client = act(actions.on_show_checklist, services, action, channel="D0000DM01")
    [post] = client.named("chat_postMessage")
    assert post["channel"] == "D0000DM01" and v.POST_CHECKLIST not in str(post["blocks"])


def test_home_shows_admins_this_weeks_figures_and_nobody_else(services):
    client = Recorder()
    home.on_app_home_opened({"type": "app_home_opened", "user": "U0000USER", "tab": "home"},
                            client, logger, services)
    home.on_app_home_opened({"type": "app_home_opened", "user": "UADMIN0001", "tab": "home"},
                            client, logger, services)
    user_view, admin_view = (c["view"] for c in client.named("views_publish"))
    assert "This week (admins)" not in str(user_view)
    assert "This week (admins)" in str(admin_view) and "Abstention rate" in str(admin_view)


def test_opening_the_messages_tab_offers_suggested_prompts(services):
    prompts = Recorder()
    home.on_app_home_opened({"type": "app_home_opened", "user": "U1", "tab": "messages",
                             "channel": "D1"}, Recorder(), logger, services, prompts)
    [call] = prompts.named("call")
    assert len(call["prompts"]) == 4 and call["title"]


def test_home_topic_button_opens_the_topics_strategies_in_a_modal(services):
    _, _, client = act(actions.on_home_topic, services,
                       {"action_id": f"{v.HOME_TOPIC}_3", "value": v.pack(t="security-privacy")})
    [opened] = client.named("views_open")
    assert opened["trigger_id"] == "1.2.3" and opened["view"]["type"] == "modal"
    assert opened["view"]["title"]["text"] == "Security privacy"
    titles = [e.title for e in services.advisor.kb.topic("security-privacy").entries]
    assert all(t in str(opened["view"]["blocks"]) for t in titles)


def test_open_checklist_sends_the_users_own_list_to_their_dm(services):
    user = new_user()
    services.log.checklists.set_item(scope=f"user:{user}", checklist_id="measurement-2", item=0,
                                     done=True)
    _, _, client = act(actions.on_open_checklist, services,
                       {"action_id": f"{v.OPEN_CHECKLIST}_0", "value": v.pack(c="measurement-2")},
                       user=user)
    [post] = client.named("chat_postMessage")
    assert post["channel"] == user and "1 of 3 done" in post["text"]
    assert v.POST_CHECKLIST not in str(post["blocks"])


def test_home_lists_recent_questions_and_open_checklists(services):
    user = new_user()
    event = message("how do we train the staff", channel="D0000DM02", channel_type="im")
    event["user"] = user
    messages.on_message(event, body_for(event), Recorder(), CONTEXT, logger, services)
    services.log.checklists.set_item(scope=f"user:{user}", checklist_id="training-skills-0",
                                     item=1, done=True)
    client = Recorder()
    home.on_app_home_opened({"type": "app_home_opened", "user": user, "tab": "home"},
                            client, logger, services)
    view = str(client.named("views_publish")[0]["view"])
    assert "how do we train the staff" in view
    assert "Training skills strategy 0" in view and "1 of 3 done" in view


@pytest.mark.parametrize(("question", "title"), [
    ("how do we train the staff?", "how do we train the staff?"),
    ("\n  first line\nsecond line", "first line"),
    ("word " * 30, "word " * 10 + "word…"),  # cut at a word, within TITLE_CHARS
])
def test_an_agent_thread_is_titled_after_the_first_line_of_its_question(question, title):
    from bot.slack.listeners.assistant import TITLE_CHARS, thread_title

    assert thread_title(question) == title
    assert len(thread_title(question)) <= TITLE_CHARS
