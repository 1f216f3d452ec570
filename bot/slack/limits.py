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
    elif kind in ("checkboxes", "radio_buttons", "static_select", "overflow"):
        el["options"] = el.get("options", [])[:CHECKBOX_OPTIONS]
        for option in [*el["options"], *el.get("initial_options", [])]:
            _text(option.get("text"), OPTION_TEXT)
            _text(option.get("description"), OPTION_TEXT)
    return el


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
    return block
