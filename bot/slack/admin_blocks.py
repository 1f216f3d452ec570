"""Admin surfaces as pure builders: `/advisor admin` replies, the App Home's curation section
and the weekly review reminder. Data in, blocks out, escaped and within Slack's limits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.log.reports import DEFAULT_WEEKS
from bot.settings import SLACK_USER_ID
from bot.slack import values as v
from bot.slack.blocks import Block, actions, button, context, header, long_date, mrkdwn, plain, section
from bot.slack.limits import SECTION_TEXT, fit_blocks, fit_text
from bot.slack.mrkdwn import escape, truncate

if TYPE_CHECKING:
    from bot.curation.gaps import GapCluster
    from bot.curation.stale import StaleEntry
    from knowledge.models import KnowledgeBase

MESSAGE_CLUSTERS = 12  # 3 blocks each: well inside a message's 50
HOME_CLUSTERS = 5
STALE_SHOWN = 40
REPRESENTATIVE_CHARS = 300
REPLY_CHARS = 1200
STATUS_ERRORS = 10
REASONS = {"out_of_scope": "out of scope", "abstained": "abstained",
           "low_confidence": "low confidence", "not_helpful": "marked not helpful",
           "rerouted": "re-routed by users", "expert_answer": "answered by a person"}
ADMIN_COMMANDS = (
    ("reload", "validate the knowledge-base files, retrain and swap in the new version; "
               "every error comes back with file:line and the old version keeps serving"),
    ("gaps", "questions I abstained on, answered with low confidence, or that people marked "
             "not helpful or re-routed, grouped by similarity, with buttons to act on them"),
    ("stale", "strategies past their review date, with their owners"),
    ("requests", "questions people handed to a person (\"Ask a person\"): waiting or answered, "
                 "with the experts' replies"),
    ("report [WEEKS]", f"the conversation report of the last {DEFAULT_WEEKS} weeks (or WEEKS): "
                       "exchanges per week and topic, ambiguous and low-confidence answers, the "
                       "entries most often not helpful or never recommended, the top unanswered "
                       "questions"),
)


def admin_help_blocks() -> list[Block]:
    """What `/advisor admin` offers."""
    lines = "\n".join(f"• `/advisor admin {name}`: {what}" for name, what in ADMIN_COMMANDS)
    return fit_blocks([
        section(f"*Knowledge-base admin*\n{lines}"),
        context("Every change is recorded in the audit (`advisor kb audit`), with the values "
                "before and after. The App Home shows the live version and the top gaps."),
    ])


def line_sections(lines: Sequence[str], *, title: str = "", code: bool = True) -> list[Block]:
    """Escaped bullet lines in as many sections as they need (each within 3000 characters)."""
    out: list[Block] = []
    text = f"*{escape(title)}*" if title else ""
    for line in lines:
        item = f"• `{escape(line)}`" if code else f"• {escape(line)}"
        item = truncate(item, SECTION_TEXT // 2)
        if text and len(text) + 1 + len(item) > SECTION_TEXT:
            out.append(section(text))
            text = ""
        text = f"{text}\n{item}" if text else item
    if text:
        out.append(section(text))
    return out


def reload_blocks(report: str) -> list[Block]:
    """The reply to `/advisor admin reload`: one summary line, then every error with file:line."""
    summary, *errors = [line for line in report.splitlines() if line.strip()] or ["reloaded"]
    icon = ":x:" if errors else ":white_check_mark:"
    blocks = [section(f"{icon} {escape(summary)}")]
    if errors:
        blocks += line_sections(errors, title=f"{len(errors)} error(s): fix them, then reload again")
    return fit_blocks(blocks, note="More errors than fit here: `advisor kb validate` lists them all.")


def reload_text(report: str) -> str:
    return fit_text(escape(report.splitlines()[0] if report.strip() else "reloaded"))


def kb_status_blocks(health: dict[str, Any]) -> list[Block]:
    """The live knowledge-base version and what the last reload did (from `live.health()`)."""
    last = health.get("last_reload") or {}
    loaded = _when(health.get("kb_loaded_at"))
    blocks = [section(f"*Live knowledge base* `{escape(str(health.get('kb_version')))}` "
                      f"(model `{escape(str(health.get('model_version')))}`)"
                      + (f", live since {loaded}" if loaded else ""))]
    reason, at = escape(str(last.get("reason", "?"))), _when(last.get("at"))
    if last.get("ok", True):
        blocks.append(context(f":white_check_mark: Last reload: {reason}, {at}"))
    else:
        errors = list(last.get("errors") or [])
        blocks.append(context(f":x: Last reload failed ({reason}, {at}): still serving the "
                              f"version above. {len(errors)} error(s):"))
        blocks += line_sections(errors[:STATUS_ERRORS])
        if len(errors) > STATUS_ERRORS:
            blocks.append(context(f"and {len(errors) - STATUS_ERRORS} more: "
                                  "`/advisor admin reload` lists them all."))
    return blocks


def cluster_blocks(i: int, cluster: GapCluster, kb: KnowledgeBase) -> list[Block]:
    """One gap cluster: size, representative question, likely topic, and what to do with it."""
    topic = kb.topics_by_id.get(cluster.likely_topic or "")
    if topic is not None:
        source = "as users re-routed it" if cluster.topic_from == "rerouted" else "the model's guess"
        likely = f"likely topic: *{escape(topic.title)}* ({source})"
    else:
        likely = "no likely topic"
    why = ", ".join(f"{REASONS.get(k, k)} {n}" for k, n in cluster.reasons.items())
    closest = f"  ·  closest entry `{escape(cluster.suggested_entry)}`" if cluster.suggested_entry else ""
    value = v.pack(g=cluster.id)
    dismiss = button("Dismiss", f"{v.GAP_DISMISS}_{i}", value)
    dismiss["confirm"] = {
        "title": plain("Dismiss these questions?"),
        "text": mrkdwn(f"The {cluster.size} question(s) leave the gaps inbox for good; "
                       "the audit records it."),
        "confirm": plain("Dismiss"), "deny": plain("Keep"),
    }
    reply = (f"\n*A person answered:* {escape(truncate(cluster.expert_reply, REPLY_CHARS))}"
             if cluster.expert_reply else "")
    return [
        section(f"*{cluster.size} question(s)*  ·  {likely}\n"
                f">{escape(truncate(cluster.representative.question, REPRESENTATIVE_CHARS))}"
                + reply),
        context(f"{escape(why)}{closest}  ·  cluster `{escape(cluster.id)}`"),
        actions([button("Add to entry…", f"{v.GAP_ADD}_{i}", value, "primary"),
                 button("Draft entry…", f"{v.GAP_DRAFT}_{i}", value), dismiss],
                block_id=f"gap_{cluster.id}"),
    ]


def gaps_blocks(clusters: Sequence[GapCluster], kb: KnowledgeBase, *, days: int,
                note: str | None = None) -> list[Block]:
    """The reply to `/advisor admin gaps`: the largest clusters, each with its buttons."""
    blocks: list[Block] = [header("Gaps inbox")]
    if note:
        blocks.append(context(escape(note)))
    if not clusters:
        blocks.append(section(f"No open gaps in the last {days} days: nothing I abstained on, "
                              "answered with low confidence, or that people marked not helpful "
                              "or re-routed."))
        return fit_blocks(blocks)
    real, apart = [c for c in clusters if not c.noise], [c for c in clusters if c.noise]
    total = sum(c.size for c in real)
    blocks.append(context(f"{len(real)} cluster(s), {total} question(s), last {days} days. "
                          "Questions are shown as logged (redacted)."))
    for i, cluster in enumerate(real[:MESSAGE_CLUSTERS]):
        blocks += cluster_blocks(i, cluster, kb)
    if len(real) > MESSAGE_CLUSTERS:
        blocks.append(context(f"and {len(real) - MESSAGE_CLUSTERS} smaller cluster(s): "
                              "`advisor kb gaps` lists them all."))
    if apart:
        blocks.append(context(_noise_line(apart)))
    return fit_blocks(blocks)


def _noise_line(apart: Sequence[GapCluster]) -> str:
    return (f"{len(apart)} out-of-scope cluster(s), {sum(c.size for c in apart)} question(s) "
            "(small talk, helpdesk and the like) kept apart: `advisor kb gaps --noise` lists them.")


def gaps_text(clusters: Sequence[GapCluster], *, days: int) -> str:
    return f"Gaps inbox: {sum(not c.noise for c in clusters)} cluster(s) in the last {days} days"


def home_curation_blocks(health: dict[str, Any], clusters: Sequence[GapCluster] | None,
                         kb: KnowledgeBase, *, days: int) -> list[Block]:
    """The App Home's admin section: live version, last reload, the top gap clusters.

    `clusters` is None when the gaps could not be read (the database is down).
    """
    blocks: list[Block] = [{"type": "divider"}, header("Knowledge base (admins)"),
                           *kb_status_blocks(health), header("Gaps inbox")]
    if clusters is None:
        blocks.append(context("The gaps inbox could not be read just now; try again in a minute."))
    elif not clusters:
        blocks.append(context(f"No open gaps in the last {days} days."))
    else:
        real, apart = [c for c in clusters if not c.noise], [c for c in clusters if c.noise]
        for i, cluster in enumerate(real[:HOME_CLUSTERS]):
            blocks += cluster_blocks(i, cluster, kb)
        more = len(real) - HOME_CLUSTERS
        if more > 0:
            blocks.append(context(f"and {more} more: `/advisor admin gaps`."))
        if apart:
            blocks.append(context(_noise_line(apart)))
    blocks.append(context("`/advisor admin` lists the admin commands: reload, gaps, stale, report."))
    return blocks


def stale_blocks(entries: Sequence[StaleEntry], *, owner_view: bool,
                 note: str | None = None) -> list[Block]:
    """Overdue entries with a "Mark reviewed" button (and a confirm dialog) each.

    `owner_view`: the weekly DM to an owner; otherwise an admin's list, showing owners.
    """
    blocks: list[Block] = [header("Strategies due for review")]
    if note:
        blocks.append(context(escape(note)))
    if not entries:
        blocks.append(section("Nothing is past its review date. Thank you!" if owner_view
                              else "No entries are past their review date."))
        return fit_blocks(blocks)
    if owner_view:
        blocks.append(section("These strategies you own are past their review date. Read each "
                              "one: if it still holds, press *Mark reviewed*; if it needs "
                              "changes, edit its file or ask a knowledge-base admin."))
    else:
        blocks.append(context(f"{len(entries)} entries past their review date, most overdue "
                              "first. Owners who are Slack users get a weekly reminder."))
    for i, s in enumerate(entries[:STALE_SHOWN]):
        owner = "" if owner_view else f"  ·  owner {_person(s.owner)}"
        blocks.append(section(
            f"*{escape(s.title)}* (`{escape(s.entry_id)}`)\nLast reviewed "
            f"{long_date(s.last_reviewed)}, due {long_date(s.due)}: {s.days_overdue} days "
            f"overdue{owner}",
            accessory=reviewed_button(i, s, owner_view=owner_view)))
    if len(entries) > STALE_SHOWN:
        blocks.append(context(f"and {len(entries) - STALE_SHOWN} more: `advisor kb stale` "
                              "lists them all."))
    return fit_blocks(blocks)


def stale_text(entries: Sequence[StaleEntry]) -> str:
    return (f"{len(entries)} strateg{'y is' if len(entries) == 1 else 'ies are'} due for review"
            if entries else "Nothing is due for review")


def reviewed_button(i: int, s: StaleEntry, *, owner_view: bool) -> Block:
    """"Mark reviewed" behind a confirm dialog; `o` says which list to redraw afterwards."""
    b = button("Mark reviewed", f"{v.MARK_REVIEWED}_{i}",
               v.pack(e=s.entry_id, o=1 if owner_view else None), "primary")
    b["confirm"] = {
        "title": plain("Mark as reviewed?"),
        "text": mrkdwn(f"You have read *{escape(truncate(s.title, 120))}* and it still holds: "
                       "its last-reviewed date becomes today."),
        "confirm": plain("Mark reviewed"), "deny": plain("Cancel"),
    }
    return b


def _person(owner: str) -> str:
    return f"<@{owner}>" if SLACK_USER_ID.match(owner) else escape(owner)


def _when(iso: object) -> str:
    try:
        at = dt.datetime.fromisoformat(str(iso))
    except ValueError:
        return ""
    return f"{at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
