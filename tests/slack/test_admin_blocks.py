"""Admin builders: gaps, App Home curation section, curation modals, reload and stale replies.

What they show, escaping of user and file text, and Slack's limits whatever the content.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.curation.gaps import GapCluster, GapQuestion
from bot.curation.quality import Quality, compare
from bot.curation.service import Outcome
from bot.curation.stale import stale_entries
from bot.slack import values as v
from bot.slack.admin_blocks import (
    STALE_SHOWN,
    admin_help_blocks,
    gaps_blocks,
    gaps_text,
    home_curation_blocks,
    reload_blocks,
    stale_blocks,
)
from bot.slack.curation_views import (
    DraftForm,
    add_modal,
    draft_errors,
    draft_modal,
    failure_modal,
    fingerprint,
    metadata,
    outcome_modal,
    read_draft,
    read_entry,
)
from bot.slack.home_blocks import Curation, home_view
from bot.slack.limits import fit_modal
from knowledge.editor import Change
from knowledge.models import Entry, KnowledgeBase, Source, Topic
from tests.slack.limits_check import assert_within_limits
from tests.slack.payloads import selected, typed

PINGS = ("<!channel>", "<!here>", "<@U012AB3CD>", "<!subteam^S123>")
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def kb(slack_advisor) -> KnowledgeBase:
    return slack_advisor.kb


def cluster(n: int = 3, *, text: str = "Zephyrix double-books the crews", cid: str = "abc123def456",
            topic: str | None = "pilots-rollout", suggested: str | None = "pilots-rollout-1",
            reasons: tuple[str, ...] = ("abstained",)) -> GapCluster:
    questions = tuple(GapQuestion(f"x{i}", f"{text} {i}", NOW, None, 0.1, reasons)
                      for i in range(n))
    return GapCluster(cid, questions, questions[0], topic, "model" if topic else "none", suggested)


def health(*, ok: bool = True, errors: tuple[str, ...] = ()) -> dict:
    return {"status": "ok", "kb_version": "kb111", "model_version": "m222",
            "kb_loaded_at": NOW.isoformat(),
            "last_reload": {"ok": ok, "kb_version": "kb111", "reason": "reload by UADMIN0001",
                            "at": NOW.isoformat(), "errors": list(errors)}}


def big_kb(topics: int = 12, entries: int = 15, title: str = "A strategy") -> KnowledgeBase:
    source = (Source("Seed", "000_23b929e102732082.txt"),)
    return KnowledgeBase(tuple(
        Topic(f"topic-{t}", f"Topic {t} " + "x" * 100, "d", tuple(
            Entry(id=f"topic-{t}-entry-{e}", topic=f"topic-{t}", title=f"{title} {e} " + "y" * 100,
                  summary="s.", situations=("q",), actions=("a",), sources=source, owner="Team",
                  last_reviewed=dt.date(2026, 1, 1), review_every_days=365)
            for e in range(entries)))
        for t in range(topics)), (), "big")


def all_text(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False)


# -- gaps -----------------------------------------------------------------------------------


def test_gap_cluster_shows_size_representative_likely_topic_and_three_buttons(kb):
    blocks = gaps_blocks([cluster(4)], kb, days=30)
    text = all_text(blocks)
    assert "*4 question(s)*" in text and "likely topic: *Pilots rollout*" in text
    assert "Zephyrix double-books the crews 0" in text and "`pilots-rollout-1`" in text
    [buttons] = [b for b in blocks if b["type"] == "actions"]
    assert buttons["block_id"] == "gap_abc123def456"
    ids = [el["action_id"] for el in buttons["elements"]]
    assert ids == [f"{v.GAP_ADD}_0", f"{v.GAP_DRAFT}_0", f"{v.GAP_DISMISS}_0"]
    assert all(v.unpack(el["value"]) == {"g": "abc123def456"} for el in buttons["elements"])
    assert buttons["elements"][2]["confirm"]["deny"]["text"] == "Keep"
    assert_within_limits(blocks)


def test_gap_questions_are_escaped_so_they_never_ping(kb):
    blocks = gaps_blocks([cluster(text="help " + " ".join(PINGS) + " & co")], kb, days=30)
    text = all_text(blocks)
    for ping in PINGS:
        assert ping not in text
    assert "&lt;!channel&gt;" in text and "&amp; co" in text


def test_many_long_clusters_stay_within_a_message_and_say_how_many_more(kb):
    clusters = [cluster(50, text="word " * 1500, cid=f"c{i:011d}", topic=None, suggested=None)
                for i in range(30)]
    blocks = gaps_blocks(clusters, kb, days=7)
    assert_within_limits(blocks)
    assert "and 18 smaller cluster(s)" in all_text(blocks)
    assert "no likely topic" in all_text(blocks)


def test_empty_inbox_says_so(kb):
    assert "No open gaps in the last 30 days" in all_text(gaps_blocks([], kb, days=30))


# -- App Home -------------------------------------------------------------------------------


def test_home_admin_section_shows_live_version_last_reload_and_top_clusters(kb):
    clusters = [cluster(cid=f"c{i:011d}") for i in range(7)]
    view = home_view(kb, recent=[], open_checklists=[],
                     curation=Curation(health(), clusters, 30))
    text = all_text(view)
    assert "*Live knowledge base* `kb111` (model `m222`), live since 2026-11-20 09:00 UTC" in text
    assert "Last reload: reload by UADMIN0001" in text
    assert text.count(f"{v.GAP_ADD}_") == 5 and "and 2 more" in text
    assert_within_limits(view["blocks"], max_blocks=100)


def test_home_shows_a_failed_reload_with_its_errors_and_everyone_sees_the_version(kb):
    errors = tuple(f"/kb/measurement.yaml:{n}: id: must be a slug <{n}>" for n in range(12))
    view = home_view(kb, recent=[], open_checklists=[],
                     curation=Curation(health(ok=False, errors=errors), None, 30))
    text = all_text(view)
    assert "Last reload failed" in text and "/kb/measurement.yaml:3: id: must be a slug &lt;3&gt;" in text
    assert "and 2 more" in text and "could not be read" in text
    assert_within_limits(view["blocks"], max_blocks=100)
    plain = all_text(home_view(kb, recent=[], open_checklists=[]))
    assert f"Knowledge base version `{kb.version}`" in plain and v.GAP_ADD not in plain


# -- replies --------------------------------------------------------------------------------


def test_reload_reply_lists_every_error_with_file_and_line_within_limits():
    errors = [f"/kb/t{n}.yaml:{n}: <bad> & broken " + "z" * 200 for n in range(200)]
    blocks = reload_blocks("\n".join(["reload failed with 200 error(s); still serving kb1",
                                      *errors]))
    assert_within_limits(blocks)
    text = all_text(blocks)
    assert ":x: reload failed with 200 error(s)" in text
    assert "/kb/t0.yaml:0: &lt;bad&gt; &amp; broken" in text and "<bad>" not in text
    few = all_text(reload_blocks("reload failed with 2 error(s)\n/kb/a.yaml:3: x\n/kb/b.yaml:9: y"))
    assert "/kb/a.yaml:3: x" in few and "/kb/b.yaml:9: y" in few
    assert ":white_check_mark: now serving" in all_text(reload_blocks("now serving knowledge base b"))


def test_admin_help_lists_reload_gaps_and_stale():
    text = all_text(admin_help_blocks())
    assert all(f"/advisor admin {c}" in text for c in ("reload", "gaps", "stale"))


def test_stale_list_has_a_confirmed_mark_reviewed_button_per_entry(kb):
    found = stale_entries(kb, today=dt.date(2030, 1, 1))
    owner = stale_blocks(found[:3], owner_view=True)
    button = owner[2]["accessory"]
    assert button["action_id"] == f"{v.MARK_REVIEWED}_0"
    assert v.unpack(button["value"]) == {"e": found[0].entry_id, "o": 1}
    assert button["confirm"]["title"]["text"] == "Mark as reviewed?"
    assert "owner" not in all_text(owner[2]["text"])
    assert "owner Test team" in all_text(stale_blocks(found, owner_view=False))
    many = stale_entries(big_kb(), today=dt.date(2030, 1, 1))
    admin = stale_blocks(many, owner_view=False, note="Marked <x> reviewed")
    assert_within_limits(admin)
    assert f"and {len(many) - STALE_SHOWN} more" in all_text(admin)
    assert "Marked &lt;x&gt; reviewed" in all_text(admin)
    assert "Nothing is past its review date" in all_text(stale_blocks([], owner_view=True))


# -- modals ---------------------------------------------------------------------------------


def test_add_modal_offers_entries_grouped_by_topic_likely_topic_first_suggested_preselected(kb):
    view = add_modal(cluster(), kb, meta=metadata(cluster(), home=True))
    select = view["blocks"][-1]["element"]
    assert select["option_groups"][0]["label"]["text"] == "Pilots rollout"
    assert select["initial_option"]["value"] == "pilots-rollout-1"
    assert sum(len(g["options"]) for g in select["option_groups"]) == len(kb.entries)
    assert v.unpack(view["private_metadata"]) == {"g": "abc123def456", "n": 3, "h": 1}
    assert view["callback_id"] == v.ADD_VIEW and view["submit"]["text"] == "Add questions"
    assert_within_limits(view["blocks"], max_blocks=100)


def test_add_modal_keeps_to_100_options_with_the_suggested_entry_and_short_texts():
    base = big_kb()
    c = cluster(topic="topic-11", suggested="topic-3-entry-14")
    select = add_modal(c, base, meta="{}")["blocks"][-1]["element"]
    options = [o for g in select["option_groups"] for o in g["options"]]
    assert len(options) == 100 and select["option_groups"][0]["label"]["text"].startswith("Topic 11")
    assert select["initial_option"] in options
    assert all(len(o["text"]["text"]) <= 75 for o in options)
    assert all(len(g["label"]["text"]) <= 75 for g in select["option_groups"])


def test_a_confirmation_shows_before_and_after_and_carries_c_in_the_metadata(kb):
    comparison = compare(Quality("a", 0.90, 0.8, 1.0, 6, 5), Quality("b", 0.89, 0.8, 0.5, 6, 5))
    meta = metadata(cluster(), home=False, confirm=fingerprint("measurement-0"))
    view = add_modal(cluster(), kb, meta=meta, selected="measurement-0", comparison=comparison)
    text = all_text(view)
    assert "This change lowers development-set accuracy by more than 2 points" in text
    assert "development-set accuracy (n=6) 100.0% → 50.0% (-50.0 points)" in text
    assert "5-fold cross-validation accuracy 90.0% → 89.0% (-1.0 points)" in text
    assert view["submit"]["text"] == "Confirm" and view["close"]["text"] == "Cancel"
    assert view["blocks"][-1]["element"]["initial_option"]["value"] == "measurement-0"
    assert v.unpack(view["private_metadata"])["c"] == fingerprint("measurement-0")
    assert fingerprint("measurement-0") != fingerprint("measurement-1")
    form = DraftForm("measurement", "T", "S. S.", ("a", "b", "c"), ("more",))
    draft = draft_modal(cluster(), kb, meta=meta, form=form, comparison=comparison)
    inputs = {b["block_id"]: b["element"] for b in draft["blocks"] if b["type"] == "input"}
    assert inputs["actions"]["initial_value"] == "a\nb\nc"
    assert inputs["topic"]["initial_option"]["value"] == "measurement"
    assert draft["submit"]["text"] == "Confirm"


def test_draft_modal_starts_from_the_cluster_and_escapes_its_questions(kb):
    c = cluster(text="<!channel> the Zephyrix tool")
    view = draft_modal(c, kb, meta=metadata(c, home=False))
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert inputs["topic"]["element"]["initial_option"]["value"] == "pilots-rollout"
    assert inputs["title"]["element"]["initial_value"] == "<!channel> the Zephyrix tool 0"
    assert inputs["situations"]["optional"] is True
    assert "gives 3 situation(s)" in inputs["situations"]["hint"]["text"]
    assert "<!channel>" not in all_text(view["blocks"][0])
    assert view["title"]["text"] == "Draft an entry" and len(view["title"]["text"]) <= 24


def test_submitted_values_are_read_one_item_per_line():
    view = {"state": {"values": {
        "entry": {"entry": selected("pilots-rollout-1")},
        "topic": {"topic": selected("measurement")},
        "title": {"title": typed("  Count   what matters ")},
        "summary": {"summary": typed("Pick three numbers.\nReport them monthly.")},
        "actions": {"actions": typed("one\n\n  two  \nthree\n")},
        "situations": {"situations": typed(None)}}}}
    assert read_entry(view) == "pilots-rollout-1"
    assert read_draft(view) == DraftForm("measurement", "Count what matters",
                                         "Pick three numbers. Report them monthly.",
                                         ("one", "two", "three"), ())
    assert read_entry({"state": {"values": {}}}) is None


def test_draft_errors_use_the_knowledge_base_schema_and_say_how_to_fix():
    good = DraftForm("measurement", "Count what matters", "Pick three numbers. Report them.",
                     ("a", "b", "c"), ("x", "y", "z", "w", "v"))
    assert draft_errors(good, cluster_situations=3) == {}
    bad = DraftForm("", "ab", "One sentence only", ("a",), ())
    errors = draft_errors(bad, cluster_situations=3)
    assert errors["topic"] == "Choose a topic."
    assert errors["situations"] == ("An entry needs at least 8 situations: the cluster gives 3, "
                                    "so add at least 5 more, one per line.")
    assert errors["actions"] == "Give at least 3 actions, one per line."
    assert errors["summary"] == "Must be 2 to 4 sentences, found 0."
    assert errors["title"].startswith("String should have at least 3 characters")


def test_outcome_shows_the_edit_before_and_after_the_reload_and_the_audit_id(tmp_path: Path):
    file = tmp_path / "kb" / "pilots-rollout.yaml"
    comparison = compare(Quality("a", 0.90, 0.8, 0.9, 6, 5), Quality("b", 0.91, 0.8, 0.9, 6, 5))
    change = Change("add_situations", file.parent, file, "pilots-rollout-1",
                    {"situations": ["a"]}, {"situations": ["a", "b", "c"]}, "x", "y")
    view = outcome_modal(Outcome(change, comparison, "kb2", 7,
                                 "now serving knowledge base kb2 (was kb1)", ("a <warning>",)))
    text = all_text(view)
    assert "Added 2 question(s) to `pilots-rollout-1` in `pilots-rollout.yaml`" in text
    assert "90.0% → 91.0% (+1.0 points)" in text and "development-set accuracy (n=6)" in text
    assert "now serving knowledge base kb2 (was kb1)  ·  audit #7" in text
    assert "a &lt;warning&gt;" in text and view["title"]["text"] == "Change applied"
    drafted = Change("add_entry", file.parent, file, "new-one", None,
                     {"title": "New <one>", "situations": ["a"] * 8}, "x", "y")
    text = all_text(outcome_modal(Outcome(drafted, None, "kb3", 8, "reloaded")))
    assert "Drafted *New &lt;one&gt;* (`new-one`) in `pilots-rollout.yaml` with 8 situations" in text
    assert "Before and after: not measured." in text


def test_failure_lists_every_problem_escaped_within_a_modal():
    problems = [f"/kb/x.yaml:{n}: situations: at least 8 required <{n}>" for n in range(300)]
    view = failure_modal("The knowledge base would be invalid", problems)
    assert_within_limits(view["blocks"], max_blocks=100)
    assert "/kb/x.yaml:0: situations: at least 8 required &lt;0&gt;" in all_text(view)


def test_fit_modal_cuts_titles_and_buttons_and_refuses_oversized_metadata():
    view = fit_modal({"type": "modal", "title": {"type": "plain_text", "text": "t" * 40},
                      "submit": {"type": "plain_text", "text": "s" * 40}, "blocks": []})
    assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24
    with pytest.raises(ValueError, match="private_metadata"):
        fit_modal({"type": "modal", "blocks": [], "private_metadata": "m" * 3001})


def test_out_of_scope_clusters_are_kept_apart_in_the_list_and_the_home(kb) -> None:
    real = cluster(3)
    noise = replace(cluster(2, text="what's for lunch", cid="fed987cba654", topic=None,
                            suggested=None), noise=True)
    for blocks in (gaps_blocks([real, noise], kb, days=30),
                   home_curation_blocks(health(), [real, noise], kb, days=30)):
        shown = json.dumps(blocks)
        assert "abc123def456" in shown and "fed987cba654" not in shown and "lunch" not in shown
        assert "1 out-of-scope cluster(s), 2 question(s)" in shown
    assert gaps_text([real, noise], days=30) == "Gaps inbox: 1 cluster(s) in the last 30 days"
