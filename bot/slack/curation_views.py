"""The curation modals (add a gap cluster to an entry, draft a new entry, confirm a drop in
quality, the outcome) as pure builders, and the readers of what an admin submitted.

A confirmation is the same modal again with the before/after figures and, in its
`private_metadata`, `c`: a fingerprint of what was confirmed. Submitting it re-plans from the
submitted values, wherever it lands, and applies without asking again only if they are still
what the figures were shown for.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from bot.experts import reply_draft
from bot.slack import values as v
from bot.slack.admin_blocks import line_sections
from bot.slack.blocks import SORRY, Block, context, plain, section
from bot.slack.limits import SELECT_OPTIONS, fit_modal
from bot.slack.mrkdwn import escape, truncate

if TYPE_CHECKING:
    from bot.curation.gaps import GapCluster
    from bot.curation.quality import Comparison
    from bot.curation.service import Outcome
    from knowledge.models import KnowledgeBase

SHOWN_QUESTIONS = 10
QUESTION_CHARS = 200
TITLE_MAX = 150  # the schema's limit for an entry title
SUMMARY_MAX = 1500
LINES_MAX = 3000
# block ids (= action ids) of the inputs
ENTRY, TOPIC, TITLE, SUMMARY, ACTIONS, SITUATIONS = (
    "entry", "topic", "title", "summary", "actions", "situations")


@dataclass(frozen=True)
class DraftForm:
    """What an admin typed into the draft modal."""

    topic: str
    title: str
    summary: str
    actions: tuple[str, ...]
    situations: tuple[str, ...]  # besides the cluster's questions


def metadata(cluster: GapCluster, *, home: bool, confirm: str | None = None) -> str:
    """The modal's `private_metadata`: which cluster, from where, and (confirming) the
    `fingerprint` of the submission whose figures are shown."""
    return v.pack(g=cluster.id, n=len(cluster.situations), h=1 if home else None, c=confirm)


def fingerprint(submitted: str | DraftForm) -> str:
    """A short hash of what was submitted (an entry id, or a draft's fields)."""
    data = asdict(submitted) if isinstance(submitted, DraftForm) else submitted
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def add_modal(cluster: GapCluster, kb: KnowledgeBase, *, meta: str, selected: str | None = None,
              comparison: Comparison | None = None) -> dict[str, Any]:
    """Pick the entry the cluster's questions become situations of."""
    initial = selected or cluster.suggested_entry
    select: Block = {"type": "static_select", "action_id": ENTRY,
                     "placeholder": plain("Choose an entry"),
                     "option_groups": entry_groups(kb, first=cluster.likely_topic,
                                                   keep=initial)}
    option = _find_option(select["option_groups"], initial)
    if option is not None:
        select["initial_option"] = option
    blocks = [
        *_questions(cluster, "become situations of the entry you choose"),
        *(confirm_blocks(comparison) if comparison else []),
        {"type": "input", "block_id": ENTRY, "label": plain("Entry"), "element": select},
    ]
    return _modal(v.ADD_VIEW, "Add to an entry", blocks, meta=meta,
                  submit="Confirm" if comparison else "Add questions")


def draft_modal(cluster: GapCluster, kb: KnowledgeBase, *, meta: str,
                form: DraftForm | None = None,
                comparison: Comparison | None = None) -> dict[str, Any]:
    """A new entry from the cluster: topic, title, summary, actions, more situations."""
    topic = form.topic if form else cluster.likely_topic
    options = [_option(t.title, t.id) for t in kb.topics[:SELECT_OPTIONS]]
    select: Block = {"type": "static_select", "action_id": TOPIC,
                     "placeholder": plain("Choose a topic"), "options": options}
    initial = next((o for o in options if o["value"] == topic), None)
    if initial is not None:
        select["initial_option"] = initial
    n = len(cluster.situations)
    summary, actions = reply_draft(cluster.expert_reply) if cluster.expert_reply else ("", ())
    if form is not None:
        summary, actions = form.summary, form.actions
    title = form.title if form else truncate(" ".join(cluster.representative.question.split()),
                                             TITLE_MAX)
    blocks = [
        *_questions(cluster, "become the new entry's first situations"),
        *(confirm_blocks(comparison) if comparison else []),
        {"type": "input", "block_id": TOPIC, "label": plain("Topic"), "element": select},
        _text_input(TITLE, "Title", title, max_length=TITLE_MAX,
                    placeholder="What to do, in a few words"),
        _text_input(SUMMARY, "Summary", summary, max_length=SUMMARY_MAX,
                    multiline=True, placeholder="Two to four sentences: what to do and why."),
        _text_input(ACTIONS, "Actions", "\n".join(actions),
                    max_length=LINES_MAX, multiline=True,
                    placeholder="One action per line, in order; at least 3."),
        _text_input(SITUATIONS, "More situations", "\n".join(form.situations) if form else "",
                    max_length=LINES_MAX, multiline=True, optional=True,
                    placeholder="One per line, in the words people use.",
                    hint=f"The cluster gives {n} situation(s); an entry needs at least 8."),
    ]
    return _modal(v.DRAFT_VIEW, "Draft an entry", blocks, meta=meta,
                  submit="Confirm" if comparison else "Create entry")


def entry_groups(kb: KnowledgeBase, *, first: str | None, keep: str | None = None) -> list[Block]:
    """Entries grouped by topic, `first` topic first, at most 100 options in all (keeping
    `keep`, the entry to preselect)."""
    topics = sorted(kb.topics, key=lambda t: t.id != first)
    room = SELECT_OPTIONS - (1 if keep in kb.entries_by_id else 0)
    groups: list[Block] = []
    for t in topics:
        options = []
        for e in t.entries:
            if e.id == keep:
                options.append(_option(e.title, e.id))
            elif room > 0:
                options.append(_option(e.title, e.id))
                room -= 1
        if options:
            groups.append({"label": plain(truncate(t.title, 75)), "options": options})
    return groups


def confirm_blocks(comparison: Comparison) -> list[Block]:
    """The warning before a change that lowers a figure by more than the allowed drop."""
    drops = " and ".join(comparison.drops)
    return [
        section(f":warning: *This change lowers {escape(drops)} by more than "
                f"{comparison.max_drop:g} points.* Confirm to apply it anyway, or Cancel."),
        *comparison_blocks(comparison),
    ]


def comparison_blocks(comparison: Comparison | None) -> list[Block]:
    """Before → after: cross-validation and development-set accuracy."""
    if comparison is None:
        return [context("Before and after: not measured.")]
    lines = [line for line in comparison.lines() if not line.startswith("warning:")]
    return [section("*Before → after*\n" + "\n".join(f"• {escape(line)}" for line in lines))]


def working_modal() -> dict[str, Any]:
    return _modal(None, "Working on it", [section(
        "Measuring the knowledge base before and after the change (cross-validation, and the "
        "development set when one is configured), then writing the file, recording it in the "
        "audit and reloading. "
        "This takes a few seconds: keep this open for the result.")], close="Close")


def notice_modal(title: str, text: str) -> dict[str, Any]:
    return _modal(None, title, [section(escape(text))], close="Close")


def outcome_modal(outcome: Outcome) -> dict[str, Any]:
    """What an applied change did: the edit, before → after, the reload, the audit id."""
    change = outcome.change
    where = f"`{escape(change.file.name)}`"
    if outcome.kb_version is None:
        what = (f"Nothing to change: these questions are already situations of "
                f"`{escape(change.target)}`.")
    elif change.action == "add_entry":
        after = change.after or {}
        what = (f":white_check_mark: Drafted *{escape(str(after.get('title', change.target)))}* "
                f"(`{escape(change.target)}`) in {where} with "
                f"{len(after.get('situations', []))} situations.")
    else:
        added = len(change.after["situations"]) - len(change.before["situations"])
        what = (f":white_check_mark: Added {added} question(s) to `{escape(change.target)}` "
                f"in {where}.")
    reload, *errors = outcome.reload.splitlines() or [""]
    blocks = [section(what), *comparison_blocks(outcome.comparison),
              context(f"{escape(reload)}  ·  audit #{outcome.audit_id}")]
    if errors:
        blocks += line_sections(errors, title="Reload errors")
    if outcome.refused:
        blocks += line_sections([r.line() for r in outcome.refused],
                                title="Left out: these still look personal", code=False)
    if outcome.warnings:
        blocks += line_sections(outcome.warnings, title="Warnings", code=False)
    return _modal(None, "Change applied", blocks, close="Done")


def failure_modal(message: str = SORRY, problems: Sequence[str] = ()) -> dict[str, Any]:
    """Nothing was changed: why, and every problem with file:line."""
    return _modal(None, "Not applied", [section(f":x: {escape(message)}"),
                                        *line_sections(problems)], close="Close")


def read_entry(view: dict[str, Any]) -> str | None:
    """The entry chosen in the add modal."""
    return _selected(view, ENTRY)


def read_draft(view: dict[str, Any]) -> DraftForm:
    """The fields of a submitted draft modal, trimmed; lists one item per non-empty line."""
    return DraftForm(
        topic=_selected(view, TOPIC) or "",
        title=" ".join(_value(view, TITLE).split()),
        summary=" ".join(_value(view, SUMMARY).split()),
        actions=_lines(_value(view, ACTIONS)),
        situations=_lines(_value(view, SITUATIONS)),
    )


def draft_errors(form: DraftForm, *, cluster_situations: int,
                 today: dt.date | None = None) -> dict[str, str]:
    """Field errors for the modal (block id → message), checked with the knowledge base's own
    schema, so an admin fixes them before anything is measured or written."""
    from pydantic import ValidationError

    from knowledge.editor import slugify
    from knowledge.schema import validate_entry
    from knowledge.sources import SEED_TITLES

    file, source = next(iter(SEED_TITLES.items()))
    errors: dict[str, str] = {} if form.topic else {TOPIC: "Choose a topic."}
    try:
        validate_entry({
            "id": slugify(form.title), "title": form.title, "summary": form.summary,
            "situations": [f"q{i}" for i in range(cluster_situations)] + list(form.situations),
            "actions": list(form.actions), "sources": [{"title": source, "file": file}],
            "owner": "draft", "last_reviewed": today or dt.date.today(), "review_every_days": 180,
        })
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else ""
            if field in (TITLE, SUMMARY, ACTIONS, SITUATIONS) and field not in errors:
                errors[field] = _message(field, error, cluster_situations, form)
    return errors


# -- helpers --------------------------------------------------------------------------------


def _message(field: str, error: Any, cluster: int, form: DraftForm) -> str:
    least = (error.get("ctx") or {}).get("min_length")
    if field == SITUATIONS and least:
        more = max(least - cluster - len(form.situations), 1)
        return (f"An entry needs at least {least} situations: the cluster gives {cluster}, "
                f"so add at least {more} more, one per line.")
    if field == ACTIONS and least:
        return f"Give at least {least} actions, one per line."
    message = str(error["msg"]).removeprefix("Value error, ")
    return message[:1].upper() + message[1:] + "."


def _questions(cluster: GapCluster, what: str) -> list[Block]:
    shown = cluster.situations[:SHOWN_QUESTIONS]
    more = len(cluster.situations) - len(shown)
    text = "\n".join(f"• {escape(truncate(q, QUESTION_CHARS))}" for q in shown)
    if more > 0:
        text += f"\n…and {more} more"
    return [section(f"*{len(cluster.situations)} question(s)* from the gaps inbox (redacted) "
                    f"{what}:\n{text}")]


def _modal(callback_id: str | None, title: str, blocks: list[Block], *, meta: str | None = None,
           submit: str | None = None, close: str = "Cancel") -> dict[str, Any]:
    view: dict[str, Any] = {"type": "modal", "title": plain(title), "close": plain(close),
                            "blocks": blocks}
    if callback_id:
        view["callback_id"] = callback_id
    if meta:
        view["private_metadata"] = meta
    if submit:
        view["submit"] = plain(submit)
    return fit_modal(view)


def _text_input(block_id: str, label: str, initial: str, *, max_length: int,
                multiline: bool = False, optional: bool = False, placeholder: str = "",
                hint: str = "") -> Block:
    element: Block = {"type": "plain_text_input", "action_id": block_id,
                      "multiline": multiline, "max_length": max_length}
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder)
    block: Block = {"type": "input", "block_id": block_id, "label": plain(label),
                    "element": element, "optional": optional}
    if hint:
        block["hint"] = plain(hint)
    return block


def _option(text: str, value: str) -> Block:
    return {"text": plain(truncate(text, 75)), "value": value}


def _find_option(groups: list[Block], value: str | None) -> Block | None:
    return next((o for g in groups for o in g["options"] if o["value"] == value), None)


def _state(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return ((view.get("state") or {}).get("values") or {}).get(block_id, {}).get(block_id) or {}


def _selected(view: dict[str, Any], block_id: str) -> str | None:
    option = _state(view, block_id).get("selected_option") or {}
    return option.get("value") or None


def _value(view: dict[str, Any], block_id: str) -> str:
    return str(_state(view, block_id).get("value") or "")


def _lines(text: str) -> tuple[str, ...]:
    return tuple(" ".join(line.split()) for line in text.splitlines() if line.strip())
