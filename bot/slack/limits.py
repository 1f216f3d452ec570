"""The one place Slack's Block Kit limits are enforced, whatever the content."""

from __future__ import annotations

import copy
from typing import Any

from bot.slack.mrkdwn import truncate

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000
FIELD_TEXT = 2000
SECTION_FIELDS = 10
HEADER_TEXT = 150
CONTEXT_TEXT = 2000
CONTEXT_ELEMENTS = 10
BUTTON_TEXT = 75
OPTION_TEXT = 75
CHECKBOX_OPTIONS = 10
VALUE = 2000
ID = 255
ACTIONS_ELEMENTS = 25
MESSAGE_TEXT = 3000
MODAL_TITLE = 24
MODAL_BUTTON = 24
SELECT_OPTIONS = 100
INPUT_LABEL = 2000
INPUT_VALUE = 3000
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30
PRIVATE_METADATA = 3000

CUT_NOTE = "Some of this was cut to fit in Slack. Ask me again with more detail for the rest."

Block = dict[str, Any]


def fit_blocks(blocks: list[Block], *, max_blocks: int = MESSAGE_BLOCKS,
               note: str = CUT_NOTE) -> list[Block]:
    """Return a copy of `blocks` that respects Slack's limits.

    Texts are cut at a word boundary; past `max_blocks`, middle blocks are dropped for a
    short note while a trailing actions block (the buttons) is kept.
    """
    out = [_fit_block(copy.deepcopy(b)) for b in blocks]
    if len(out) <= max_blocks:
        return out
    tail = [out[-1]] if out[-1].get("type") == "actions" else []
    room = max_blocks - len(tail) - 1
    cut = {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}
    return [*out[:room], cut, *tail]


def fit_modal(view: dict[str, Any]) -> dict[str, Any]:
    """A copy of a modal within limits: title and buttons cut, at most 100 blocks.

    `private_metadata` is never cut (half a JSON document is worse than none): it must fit.
    """
    out = {**view, "blocks": fit_blocks(view.get("blocks", []), max_blocks=VIEW_BLOCKS)}
    for key, limit in (("title", MODAL_TITLE), ("submit", MODAL_BUTTON), ("close", MODAL_BUTTON)):
        if key in out:
            out[key] = copy.deepcopy(out[key])
            _text(out[key], limit)
    if len(out.get("private_metadata", "")) > PRIVATE_METADATA:
        raise ValueError(f"private_metadata over {PRIVATE_METADATA} characters")
    return out


def fit_text(text: str, limit: int = MESSAGE_TEXT) -> str:
    """The top-level `text` fallback of a message, bounded."""
    return truncate(text, limit)


def _text(obj: dict[str, Any] | None, limit: int) -> None:
    if obj and isinstance(obj.get("text"), str):
        obj["text"] = truncate(obj["text"], limit) or "…"


def _ids(obj: dict[str, Any]) -> None:
    for key in ("block_id", "action_id"):
        if isinstance(obj.get(key), str):
            obj[key] = obj[key][:ID]


def _element(el: dict[str, Any]) -> dict[str, Any]:
    _ids(el)
    kind = el.get("type")
    if kind == "button":
        _text(el.get("text"), BUTTON_TEXT)
        if isinstance(el.get("value"), str):
            el["value"] = el["value"][:VALUE]
    elif kind in ("checkboxes", "radio_buttons", "overflow"):
        el["options"] = el.get("options", [])[:CHECKBOX_OPTIONS]
        for option in [*el["options"], *el.get("initial_options", [])]:
            _option(option)
    elif kind == "static_select":
        _select(el)
    elif kind == "plain_text_input" and isinstance(el.get("initial_value"), str):
        el["initial_value"] = el["initial_value"][:min(el.get("max_length", INPUT_VALUE),
                                                        INPUT_VALUE)]
    if isinstance(el.get("confirm"), dict):
        dialog = el["confirm"]
        for key, limit in (("title", CONFIRM_TITLE), ("text", CONFIRM_TEXT),
                           ("confirm", CONFIRM_BUTTON), ("deny", CONFIRM_BUTTON)):
            _text(dialog.get(key), limit)
    return el


def _option(option: dict[str, Any]) -> None:
    _text(option.get("text"), OPTION_TEXT)
    _text(option.get("description"), OPTION_TEXT)


def _select(el: dict[str, Any]) -> None:
    """At most 100 options in all, whether flat or in groups (empty groups dropped)."""
    room = SELECT_OPTIONS
    if "option_groups" in el:
        groups = []
        for group in el["option_groups"]:
            group["options"] = group.get("options", [])[:room]
            room -= len(group["options"])
            _text(group.get("label"), OPTION_TEXT)
            if group["options"]:
                groups.append(group)
        el["option_groups"] = groups
    else:
        el["options"] = el.get("options", [])[:room]
    for group in el.get("option_groups", [{"options": el.get("options", [])}]):
        for option in group["options"]:
            _option(option)
    if "initial_option" in el:
        _option(el["initial_option"])


def _fit_block(block: Block) -> Block:
    _ids(block)
    kind = block.get("type")
    if kind == "header":
        _text(block.get("text"), HEADER_TEXT)
    elif kind == "section":
        _text(block.get("text"), SECTION_TEXT)
        if "fields" in block:
            block["fields"] = block["fields"][:SECTION_FIELDS]
            for f in block["fields"]:
                _text(f, FIELD_TEXT)
        if "accessory" in block:
            _element(block["accessory"])
    elif kind == "context":
        block["elements"] = block.get("elements", [])[:CONTEXT_ELEMENTS]
        for el in block["elements"]:
            _text(el, CONTEXT_TEXT)
    elif kind == "actions":
        block["elements"] = [_element(e) for e in block.get("elements", [])[:ACTIONS_ELEMENTS]]
    elif kind == "input":
        _text(block.get("label"), INPUT_LABEL)
        _text(block.get("hint"), INPUT_LABEL)
        if "element" in block:
            _element(block["element"])
    return block
