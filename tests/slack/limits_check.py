"""An independent check of Slack's Block Kit limits, plus slack_sdk's own validation."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block


def texts(obj: Any) -> list[str]:
    """Every `text` string anywhere in a block structure."""
    found: list[str] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == "text" and isinstance(v, str):
                found.append(v)
            else:
                found += texts(v)
    elif isinstance(obj, list):
        for v in obj:
            found += texts(v)
    return found


def assert_within_limits(blocks: list[dict[str, Any]], *, max_blocks: int = 50) -> None:
    assert 0 < len(blocks) <= max_blocks, f"{len(blocks)} blocks"
    for b in blocks:
        Block.parse(b).validate_json()  # slack_sdk's checks (raises on a violation)
        assert len(b.get("block_id", "")) <= 255
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= 150
        if b["type"] == "section":
            assert len(b.get("text", {}).get("text", "")) <= 3000
            assert len(b.get("fields", [])) <= 10
        elements = list(b.get("elements", []))
        if "accessory" in b:
            elements.append(b["accessory"])
        if b["type"] == "actions":
            assert len(elements) <= 25
        for el in elements:
            assert len(el.get("action_id", "")) <= 255
            if el.get("type") == "button":
                assert len(el["text"]["text"]) <= 75
                assert len(el.get("value", "")) <= 2000
            if el.get("type") == "checkboxes":
                assert len(el["options"]) <= 10
                assert all(len(o["text"]["text"]) <= 75 for o in el["options"])
            if b["type"] == "context":
                assert len(el.get("text", "")) <= 2000
