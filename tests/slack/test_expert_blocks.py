""""Ask a person" as pure builders and routing: who a request goes to, when the button is
offered, what the modal shows, and that user and expert text is escaped and the asker
named only by choice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from bot.answer import Option
from bot.curation.gaps import GapCluster, GapQuestion
from bot.experts import Route, closest_entry, plain_reply, reply_draft, route_for
from bot.log.models import ExpertRequest
from bot.slack import values as v
from bot.slack.admin_blocks import cluster_blocks
from bot.slack.blocks import answer_blocks
from bot.slack.curation_views import draft_modal
from bot.slack.expert_blocks import (
    ANONYMOUS,
    QUESTION_BLOCK,
    SHARE_BLOCK,
    ask_person_modal,
    handover_blocks,
    home_requests_blocks,
    read_request,
    relay_blocks,
    requests_blocks,
)
from bot.slack.home_blocks import home_view
from tests.factories import TOPIC, entry, make_answer
from tests.slack.limits_check import assert_within_limits

PINGS = ("<!channel>", "<!here>", "<@U012AB3CD>", "<!subteam^S123>")


def owned(owner: str):
    return dataclasses.replace(entry("comm-faq"), owner=owner)


def buttons(blocks: list[dict]) -> list[dict]:
    return [e for b in blocks for e in b.get("elements", []) if e.get("type") == "button"]


def person_buttons(blocks: list[dict]) -> list[dict]:
    return [b for b in buttons(blocks) if b["action_id"] == v.ASK_PERSON]


@pytest.mark.parametrize(("owner", "channel", "route", "mention"), [
    ("UOWNER0001", "CEXPERTS1", Route("CEXPERTS1", "UOWNER0001"), "<@UOWNER0001>"),
    ("S0TEAM0001", "CEXPERTS1", Route("CEXPERTS1", "S0TEAM0001"), "<!subteam^S0TEAM0001>"),
    ("Service design team", "CEXPERTS1", Route("CEXPERTS1", None), None),
    ("UOWNER0001", None, Route("UOWNER0001", "UOWNER0001"), None),  # a DM: no mention needed
])
def test_a_request_goes_to_the_experts_channel_mentioning_a_slack_owner_or_to_the_owner(
        owner: str, channel: str | None, route: Route, mention: str | None) -> None:
    found = route_for(owned(owner), experts_channel=channel)
    assert found == route and found is not None and found.mention == mention


def test_nobody_takes_a_request_without_a_channel_or_a_slack_user_owner() -> None:
    assert route_for(owned("S0TEAM0001"), experts_channel=None) is None
    assert route_for(owned("Policy team"), experts_channel=None) is None
    assert route_for(None, experts_channel=None) is None


def test_the_button_is_offered_under_abstentions_and_unsure_answers_only_when_asked_for(
        slack_advisor) -> None:
    offered = Option(TOPIC, 0.15, entry("comm-faq"))
    abstained = make_answer(None, question="where is the printer")
    unsure = make_answer(None, question="new system", out_of_scope=False, options=(offered,))
    sure = make_answer(question="how do we announce the change", confidence=0.9)
    close_call = make_answer(question="announce", confidence=0.3, options=(offered,))
    kb = slack_advisor.kb
    for answer in (abstained, unsure, close_call):
        blocks = answer_blocks(answer, kb, exchange_id="x1", ask_person=True)
        [button] = person_buttons(blocks)
        assert v.unpack(button["value"])["x"] == "x1"
        assert v.unpack(button["value"])["q"] == answer.question
        assert person_buttons(answer_blocks(answer, kb, exchange_id="x1")) == []
    assert person_buttons(answer_blocks(sure, kb, exchange_id="x1", ask_person=True)) == []
    # "Not helpful" carries what offering a person afterwards needs
    [not_helpful] = [b for b in buttons(answer_blocks(sure, kb, exchange_id="x1"))
                     if b["action_id"] == v.FEEDBACK_NOT_HELPFUL]
    assert v.unpack(not_helpful["value"]) == {"x": "x1", "e": sure.lead.entry.id,
                                              "q": sure.question}
    assert closest_entry(unsure) == offered.entry and closest_entry(abstained) is None


def test_the_modal_shows_the_text_to_share_editable_and_anonymous_by_default() -> None:
    modal = ask_person_modal("Zephyrix <!channel> breaks", to="<#CEXPERTS1>", meta='{"x":"1"}')
    assert modal["callback_id"] == v.ASK_PERSON_VIEW and modal["private_metadata"] == '{"x":"1"}'
    [question] = [b for b in modal["blocks"] if b.get("block_id") == QUESTION_BLOCK]
    assert question["element"]["initial_value"] == "Zephyrix <!channel> breaks"  # plain text
    [share] = [b for b in modal["blocks"] if b.get("block_id") == SHARE_BLOCK]
    assert share["element"]["initial_option"]["value"] == ANONYMOUS
    assert modal["submit"]["text"] == "Send"
    submitted = {"state": {"values": {
        QUESTION_BLOCK: {QUESTION_BLOCK: {"value": "  edited  "}},
        SHARE_BLOCK: {SHARE_BLOCK: {"selected_option": {"value": "named"}}}}}}
    assert read_request(submitted) == ("edited", True)
    assert read_request({"state": {"values": {}}}) == ("", False)


@pytest.mark.parametrize("ping", PINGS)
def test_the_hand_over_and_the_relay_escape_what_people_wrote(ping: str) -> None:
    post = json.dumps(handover_blocks(f"help {ping} now", request_id="r" * 32, mention=None,
                                      asker=None, entry_title=f"Title {ping}"))
    relay = json.dumps(relay_blocks(f"q {ping}", f"answer {ping}"))
    assert ping not in post and ping not in relay
    assert "Asked anonymously" in post


def test_the_hand_over_names_the_asker_only_when_given_and_mentions_the_owner() -> None:
    named = json.dumps(handover_blocks("q", request_id="r1", mention="<@UOWNER0001>",
                                       asker="UASKER0001", entry_title=None))
    assert "Asked by <@UASKER0001>" in named and named.count("<@UOWNER0001>") == 1
    assert_within_limits(handover_blocks("long " * 2000, request_id="r1", mention=None,
                                         asker=None, entry_title="t" * 500))


def test_admins_see_each_request_with_its_status_and_reply() -> None:
    now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    rows = [ExpertRequest(id=f"{i:032x}", created_at=now - dt.timedelta(hours=5 * i),
                          surface="slack", question=f"question {i} <!here>", status=status,
                          answer="use the <board>" if status == "answered" else None)
            for i, status in enumerate(["posted", "answered"] * 10)]
    blocks = requests_blocks(rows, now=now)
    shown = json.dumps(blocks)
    assert "*answered*" in shown and "use the &lt;board&gt;" in shown and "<!here>" not in shown
    assert "5 more" in shown and "0 h ago" in shown
    assert_within_limits(blocks)
    assert "No expert requests" in json.dumps(requests_blocks([], now=now))
    home = json.dumps(home_requests_blocks({"saved": 1, "posted": 2, "answered": 4}))
    assert "3 waiting for an answer, 4 answered" in home


def test_a_reply_drafts_a_summary_and_one_action_per_line_or_sentence() -> None:
    assert reply_draft("Book it. Check it weekly!  Report doubles?") == (
        "Book it. Check it weekly! Report doubles?",
        ("Book it.", "Check it weekly!", "Report doubles?"))
    assert reply_draft("- first step\n* second step\n\n• third")[1] == (
        "first step", "second step", "third")


def test_an_experts_reply_is_relayed_as_plain_text_with_its_lines_and_links() -> None:
    assert plain_reply("<@UBOT0001> See <https://intranet.example/rota|the rota guide>.\n"
                       "<!here> Then &lt;ask&gt; the   desk: <https://desk.example>") == (
        "See the rota guide (https://intranet.example/rota).\n"
        "Then <ask> the desk: https://desk.example")


def test_drafting_from_an_answered_request_prefills_the_reply_and_admins_home_counts_requests(
        slack_advisor) -> None:
    kb = slack_advisor.kb
    q = GapQuestion("r" * 32, "Zephyrix double-books", dt.datetime.now(dt.UTC), None, 0.0,
                    ("expert_answer",))
    cluster = GapCluster("abc123def456", (q,), q, "pilots-rollout", "model", None,
                         expert_reply="Use the rota board. Check it weekly. Report doubles.")
    modal = draft_modal(cluster, kb, meta="{}")
    inputs = {b["block_id"]: b["element"].get("initial_value") for b in modal["blocks"]
              if b.get("type") == "input"}
    assert inputs["summary"] == "Use the rota board. Check it weekly. Report doubles."
    assert inputs["actions"] == "Use the rota board.\nCheck it weekly.\nReport doubles."
    shown = json.dumps(cluster_blocks(0, cluster, kb))
    assert "A person answered:" in shown and "answered by a person 1" in shown
    home = json.dumps(home_view(kb, recent=[], open_checklists=[],
                                requests={"saved": 0, "posted": 2, "answered": 1}))
    assert "2 waiting for an answer, 1 answered" in home
    assert "Expert requests" not in json.dumps(home_view(kb, recent=[], open_checklists=[]))
