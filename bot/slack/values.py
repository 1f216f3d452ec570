"""Compact JSON carried in button values (≤ 2000 characters), and action ids."""

from __future__ import annotations

import json
from typing import Any

from bot.slack.limits import VALUE

FEEDBACK_HELPFUL = "feedback_helpful"
FEEDBACK_NOT_HELPFUL = "feedback_not_helpful"
SHOW_CHECKLIST = "show_checklist"
SHARE_ANSWER = "share_answer"
SHARE_IN_THREAD = "share_in_thread"  # a private answer about a message, into its thread
ASK_ABOUT_MESSAGE = "ask_about_message"  # callback id of the message shortcut (manifest.yaml)
CHOOSE_TOPIC = "choose_topic"  # suffixed _0, _1, … (action ids are unique within a block)
OPEN_STRATEGY = "open_strategy"  # "Open 2" / "Open 3" after the lead strategy; suffixed
CHECKLIST_ITEM = "checklist_item"
POST_CHECKLIST = "post_checklist"
OPEN_CHECKLIST = "open_checklist"  # suffixed like CHOOSE_TOPIC
HOME_TOPIC = "home_topic"  # suffixed like CHOOSE_TOPIC
GAP_ADD = "gap_add"  # admin: "Add to entry…"; suffixed like CHOOSE_TOPIC
GAP_DRAFT = "gap_draft"  # admin: "Draft entry…"; suffixed
GAP_DISMISS = "gap_dismiss"  # admin: "Dismiss"; suffixed
MARK_REVIEWED = "mark_reviewed"  # owner or admin: a stale entry is still right; suffixed
ADD_VIEW = "gap_add_view"  # callback ids of the curation modals
DRAFT_VIEW = "gap_draft_view"


def pack(**fields: Any) -> str:
    """JSON for a button value; a long question `q` is shortened to fit the limit."""
    data = {k: v for k, v in fields.items() if v is not None}
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    while len(text) > VALUE and data.get("q"):
        data["q"] = data["q"][: max(len(data["q"]) - (len(text) - VALUE) - 8, 0)]
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return text


def unpack(value: str | None) -> dict[str, Any]:
    """The fields of a button value; empty for anything that isn't ours, and only the
    scalar fields (ours are all scalars), so a field is never a list or an object."""
    try:
        data = json.loads(value or "")
    except (ValueError, TypeError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str | int | float | bool)}
