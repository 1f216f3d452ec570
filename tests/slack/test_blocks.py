"""Block Kit builders: what an answer shows, escaping, and Slack's limits for any content."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pytest

from bot.answer import Answer, Option, Recommendation, TopicScore
from bot.checklist import build_checklist
from bot.slack import values as v
from bot.slack.blocks import (
    answer_blocks,
    answer_text,
    help_blocks,
    strategy_message,
    topics_blocks,
)
from bot.slack.checklist_blocks import (
    checklist_blocks,
    item_block_id,
    parse_item_block_id,
    progress,
)
from bot.slack.home_blocks import OpenChecklist, WeekFigures, home_view, topic_modal
from bot.slack.limits import fit_blocks
from bot.slack.mrkdwn import escape, truncate
from bot.slack.prompts import suggested_prompts
from knowledge.models import Entry, KnowledgeBase, Source, Topic
from tests.factories import make_answer
from tests.slack.limits_check import assert_within_limits, texts

PINGS = ("<!channel>", "<!here>", "<@U012AB3CD>", "<!subteam^S123>", "<!everyone>")


def all_text(blocks: list[dict]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def buttons(blocks: list[dict]) -> dict[str, dict]:
    return {el["action_id"]: el for b in blocks if b["type"] == "actions" for el in b["elements"]}


@pytest.fixture(scope="module")
def kb(slack_advisor) -> KnowledgeBase:
    return slack_advisor.kb


def test_answer_leads_with_one_strategy_and_opens_the_others_by_button(kb):
    answer = make_answer(kb=kb, terms=("announce",))
    blocks = answer_blocks(answer, kb, exchange_id="ex1")
    text = all_text(blocks)
    assert blocks[0] == {"type": "header", "text": {"type": "plain_text",
                                                     "text": "Communication", "emoji": True}}
    assert "Confidence: *high*" in text
    lead, *others = answer.recommendations
    assert escape(lead.entry.summary) in text and escape(lead.entry.actions[0]) in text
    assert json.dumps(escape(lead.why))[1:-1] in text
    for rec in others:  # one line each, opened by a button
        assert escape(rec.entry.title) in text and escape(rec.entry.summary) not in text
    opens = [b for k, b in buttons(blocks).items() if k.startswith(v.OPEN_STRATEGY)]
    assert [v.unpack(b["value"]) for b in opens] == [{"e": r.entry.id, "x": "ex1"} for r in others]
    assert text.count("Last reviewed 1 October 2026") == 1
    assert text.count("Sources: Overcoming resistance") == 1
    assert_within_limits(blocks)


def test_practice_sources_and_the_pitfall_are_shown(kb):
    entry = dataclasses.replace(kb.entries[0], pitfalls=("Announcing before managers know.",),
                                sources=(Source("cascade briefings"),))
    blocks = strategy_message(entry)
    text = all_text(blocks)
    assert "Practice guidance: cascade briefings" in text
    assert "*Watch out:* Announcing before managers know." in text
    assert v.unpack(buttons(blocks)[v.SHOW_CHECKLIST]["value"]) == {"c": entry.id}


def test_a_shortened_question_is_said(kb):
    text = all_text(answer_blocks(make_answer(kb=kb, shortened=True), kb))
    assert "read its beginning and its end" in text


def test_answer_buttons_carry_the_exchange_and_the_top_entry(kb):
    answer = make_answer(kb=kb)
    found = buttons(answer_blocks(answer, kb, exchange_id="ex1", share=True))
    assert v.unpack(found[v.FEEDBACK_HELPFUL]["value"]) == {"x": "ex1"}
    assert v.unpack(found[v.FEEDBACK_NOT_HELPFUL]["value"]) == {"x": "ex1"}
    assert v.unpack(found[v.SHOW_CHECKLIST]["value"]) == {"c": answer.recommendations[0].entry.id}
    assert v.unpack(found[v.SHARE_ANSWER]["value"]) == {"x": "ex1", "q": answer.question}


def test_a_private_answer_about_a_message_shares_into_that_messages_thread(kb):
    answer = make_answer(kb=kb)
    found = buttons(answer_blocks(answer, kb, exchange_id="ex1", share_in=("C0HERE001", "17.5")))
    assert v.unpack(found[v.SHARE_IN_THREAD]["value"]) == {
        "x": "ex1", "q": answer.question, "c": "C0HERE001", "th": "17.5"}
    assert v.SHARE_ANSWER not in found
    assert v.SHARE_IN_THREAD not in buttons(answer_blocks(answer, kb, exchange_id="ex1"))


def test_without_an_exchange_id_there_are_no_feedback_buttons(kb):
    found = buttons(answer_blocks(make_answer(kb=kb), kb, exchange_id=None))
    assert v.FEEDBACK_HELPFUL not in found and v.SHOW_CHECKLIST in found


def test_ambiguous_answer_asks_which_topic_with_its_best_strategies(kb):
    options = (Option(kb.topic("communication"), 0.4, kb.topic("communication").entries[1]),
               Option(kb.topic("measurement"), 0.35, kb.topic("measurement").entries[0]))
    answer = make_answer(kb=kb, ambiguous=True, confidence=0.4, options=options)
    blocks = answer_blocks(answer, kb, exchange_id="ex2")
    choices = [el for b in blocks if b.get("block_id") == "choose_topic" for el in b["elements"]]
    assert [v.unpack(c["value"])["t"] for c in choices] == ["communication", "measurement"]
    assert all(v.unpack(c["value"])["q"] == answer.question for c in choices)
    text = all_text(blocks)
    assert "Confidence: *low*" in text and "Closer to one of these?" in text
    assert escape(options[1].entry.title) in text


def test_unsure_answer_asks_one_question_instead_of_rephrase(kb):
    options = (Option(kb.topic("measurement"), 0.18, kb.topic("measurement").entries[0]),
               Option(kb.topic("communication"), 0.15, None))
    answer = make_answer(None, kb=kb, confidence=0.18, options=options, out_of_scope=False)
    blocks = answer_blocks(answer, kb, exchange_id="ex4")
    text = all_text(blocks)
    assert "Which of these is closest to your situation?" in text
    choices = [v.unpack(el["value"])["t"] for el in buttons(blocks).values()]
    assert choices == ["measurement", "communication"]
    assert "Rephrase" not in text and escape(options[0].entry.title) in text


def test_abstention_is_kind_offers_every_topic_and_no_strategy(kb):
    answer = make_answer(None, kb=kb, confidence=0.2, out_of_scope=False)
    blocks = answer_blocks(answer, kb, exchange_id="ex3")
    text = all_text(blocks)
    assert "won't guess" in text
    topic_ids = [v.unpack(el["value"])["t"] for el in buttons(blocks).values()]
    assert topic_ids == [t.id for t in kb.topics]
    assert not any(e.title in text for e in kb.entries)
    assert "guess" in answer_text(answer)


def test_out_of_scope_says_what_the_advisor_does(kb):
    text = all_text(answer_blocks(make_answer(None, kb=kb, out_of_scope=True), kb))
    assert "doesn't look like something I can help with" in text


def test_empty_question_gets_the_help(kb):
    blocks = answer_blocks(make_answer(None, kb=kb, question="  "), kb)
    assert blocks == help_blocks(kb)


def test_quoted_user_text_is_escaped_so_it_never_pings(kb):
    question = "Help " + " ".join(PINGS) + " & <https://evil.example|click>"
    answer = dataclasses.replace(make_answer(kb=kb), question=question)
    blocks = answer_blocks(answer, kb, quote_question=True, shared_by="U0SHARER")
    text = "".join(texts(blocks))
    for ping in PINGS:
        assert ping not in text
    assert "&lt;!channel&gt;" in text and "&amp;" in text
    assert "<@U0SHARER>" in text  # our own attribution is the only mention


def test_escape_replaces_only_amp_lt_gt_in_order():
    assert escape("a & <b> &lt;") == "a &amp; &lt;b&gt; &amp;lt;"
    assert escape("*bold* _it_ `code`") == "*bold* _it_ `code`"


def test_truncate_cuts_at_a_word_and_never_leaves_half_an_entity():
    assert truncate("short", 10) == "short"
    cut = truncate("word " * 100, 50)
    assert len(cut) <= 50 and cut.endswith("word…")
    cut = truncate("x" * 45 + " &amp; more text here", 50)
    assert not re.search(r"&[a-z]*…$", cut) and cut.endswith("…")
    assert len(truncate("<@U123456789> " * 10, 20)) <= 20
    assert "<@U12345" not in truncate("hello there <@U123456789>", 20)


def huge_kb() -> KnowledgeBase:
    """Every text far over Slack's limits, with characters that need escaping."""
    long = "Word & <tag> " * 800
    src = Source("S" * 5000, "000_23b929e102732082.txt")
    entries = tuple(
        Entry(id=f"e{i}-" + "x" * 60, topic="communication", title="T & <b> " * 40,
              summary=long, situations=("s",) * 8, actions=tuple(long for _ in range(30)),
              sources=(src,) * 5, owner="o", last_reviewed=dt.date(2026, 1, 1),
              review_every_days=365)
        for i in range(60))
    topics = tuple(Topic(f"topic{i}" + "y" * 70, "Topic title & more " * 30, long, entries)
                   for i in range(30))
    return KnowledgeBase(topics, (), "v1")


def test_limits_hold_for_any_knowledge_base_content():
    kb = huge_kb()
    topic = kb.topics[0]
    answer = Answer("q " * 3000, topic, 0.5, True, (TopicScore(kb.topics[1], 0.4),),
                    tuple(Recommendation(e, 0.3) for e in topic.entries), "v1", "m1")
    abstained = dataclasses.replace(answer, topic=None, recommendations=())
    for blocks in (answer_blocks(answer, kb, exchange_id="x" * 40, quote_question=True,
                                 share=True, shared_by="U1"),
                   answer_blocks(answer, kb, exchange_id="x" * 40, quote_question=True,
                                 share_in=("C" * 20, "1" * 20)),
                   answer_blocks(abstained, kb, exchange_id="x"),
                   help_blocks(kb), topics_blocks(kb)):
        assert_within_limits(blocks)
    checklist = build_checklist(kb, topic.id)
    assert checklist is not None and len(checklist.items) == 60 * 30
    blocks = checklist_blocks(checklist, frozenset(range(0, 1800, 2)), kind="u")
    assert_within_limits(blocks)
    assert blocks[-1]["block_id"] == "checklist_actions"  # the buttons survive the cut
    home = home_view(kb, recent=["q & <!here> " * 200] * 5,
                     open_checklists=[OpenChecklist(e.id, e.title, 1, 30) for e in topic.entries],
                     figures=WeekFigures(10, (("t" * 500, 3),) * 5, 0.25, 2))
    assert_within_limits(home["blocks"], max_blocks=100)
    modal = topic_modal(topic)
    assert len(modal["title"]["text"]) <= 24
    assert_within_limits(modal["blocks"], max_blocks=100)


def test_fit_blocks_keeps_the_trailing_buttons_and_notes_the_cut():
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": str(i)}} for i in range(80)]
    blocks.append({"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "B" * 100}, "action_id": "a"}]})
    fitted = fit_blocks(blocks)
    assert len(fitted) == 50 and fitted[-1]["type"] == "actions"
    assert fitted[-2]["type"] == "context" and "cut" in fitted[-2]["elements"][0]["text"]
    assert len(fitted[-1]["elements"][0]["text"]["text"]) <= 75
    assert blocks[-1]["elements"][0]["text"]["text"] == "B" * 100  # input untouched


def test_button_values_stay_json_within_2000_chars():
    value = v.pack(q="é" * 5000 + '"\\', x="abc", t="communication")
    assert len(value) <= 2000
    data = v.unpack(value)
    assert data["x"] == "abc" and data["t"] == "communication" and data["q"].startswith("éé")
    assert v.unpack("not json") == {} and v.unpack(None) == {}


def test_checklist_shows_progress_ticks_and_round_trips_its_block_ids(kb):
    checklist = build_checklist(kb, "communication-1")
    blocks = checklist_blocks(checklist, frozenset({0, 2}), kind="u")
    assert "*2 of 3 done*" in all_text(blocks)
    items = [b for b in blocks if str(b.get("block_id", "")).startswith("cl|")]
    assert [bool(b["accessory"].get("initial_options")) for b in items] == [True, False, True]
    assert [b["text"]["text"] for b in items] == [escape(a) for a in checklist.items]
    ref = parse_item_block_id(items[1]["block_id"])
    assert (ref.scope_kind, ref.checklist_id, ref.item) == ("u", "communication-1", 1)
    assert parse_item_block_id(item_block_id("c", "x", 7)).scope_kind == "c"
    assert parse_item_block_id("answer_actions") is None
    assert v.POST_CHECKLIST in buttons(blocks)
    assert_within_limits(blocks)


def test_team_checklist_is_shared_and_has_no_post_button(kb):
    checklist = build_checklist(kb, "communication")
    blocks = checklist_blocks(checklist, frozenset(), kind="c")
    assert "anyone here can tick" in all_text(blocks)
    assert v.POST_CHECKLIST not in buttons(blocks)
    assert sum(1 for b in blocks if b.get("block_id", "").startswith("cl|c|")) == 12
    assert progress(frozenset({0, 99}), 12) == "1 of 12 done"


def test_home_shows_figures_only_when_given_and_escapes_recent_questions(kb):
    plain_home = home_view(kb, recent=["<!channel> help"], open_checklists=[])
    text = all_text(plain_home["blocks"])
    assert "This week (admins)" not in text and "<!channel>" not in text
    assert "&lt;!channel&gt; help" in text
    admin_home = home_view(kb, recent=[], open_checklists=[OpenChecklist("communication-1",
                                                                          "C1", 1, 3)],
                           figures=WeekFigures(12, (("Communication", 5),), 0.25, 3))
    text = all_text(admin_home["blocks"])
    for figure in ("*Questions*\\n12", "*Abstention rate*\\n25%", "*Not helpful*\\n3",
                   "Communication (5)", "1 of 3 done"):
        assert figure in text
    topic_buttons = [el for b in admin_home["blocks"] if b["type"] == "actions"
                     for el in b["elements"] if el["action_id"].startswith(v.HOME_TOPIC)]
    assert len(topic_buttons) == len(kb.topics)


def test_suggested_prompts_one_per_common_situation(kb):
    prompts = suggested_prompts(kb)
    assert len(prompts) == 4
    assert prompts[0] == {"title": "Stakeholder engagement",
                          "message": kb.topic("stakeholder-engagement").entries[0].situations[0]}
