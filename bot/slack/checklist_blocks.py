"""Interactive checklists: one section per action with a "Done" checkbox, and progress."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.checklist import Checklist
from bot.slack import values as v
from bot.slack.blocks import Block, actions, button, context, header, mrkdwn, section
from bot.slack.limits import fit_blocks
from bot.slack.mrkdwn import escape

ScopeKind = Literal["u", "c"]
DONE_OPTION = {"text": mrkdwn("Done"), "value": "done"}
BLOCK_PREFIX = "cl"
CUT_NOTE = ("Only the first steps fit in one Slack message: use `/advisor checklist <strategy id>` "
            "for each strategy's own list.")


@dataclass(frozen=True)
class ItemRef:
    """What a ticked checkbox's block_id says: whose list, which checklist, which item."""

    scope_kind: ScopeKind
    checklist_id: str
    item: int


def item_block_id(kind: ScopeKind, checklist_id: str, item: int) -> str:
    return f"{BLOCK_PREFIX}|{kind}|{checklist_id}|{item}"


def parse_item_block_id(block_id: str) -> ItemRef | None:
    parts = block_id.split("|")
    if len(parts) != 4 or parts[0] != BLOCK_PREFIX or parts[1] not in ("u", "c"):
        return None
    try:
        return ItemRef(parts[1], parts[2], int(parts[3]))  # type: ignore[arg-type]
    except ValueError:
        return None


def scope_of(kind: ScopeKind, *, user_id: str, channel_id: str) -> str:
    """The log's scope: per user, or per channel for a checklist posted for the team."""
    return f"channel:{channel_id}" if kind == "c" else f"user:{user_id}"


def progress(done: frozenset[int], total: int) -> str:
    return f"{len([i for i in done if 0 <= i < total])} of {total} done"


def checklist_blocks(checklist: Checklist, done: frozenset[int], *, kind: ScopeKind,
                     can_post: bool = True) -> list[Block]:
    """The checklist message; a personal one in a channel offers "Post for the team"."""
    total = len(checklist.items)
    who = ("Shared with this channel: anyone here can tick items" if kind == "c"
           else "Your own progress: your ticks are saved for you")
    blocks: list[Block] = [
        header(f"Checklist: {checklist.title}"),
        context(f"*{progress(done, total)}*  ·  {who}"),
    ]
    index = 0
    single = len(checklist.sections) == 1
    for s in checklist.sections:
        if not single:
            blocks.append(section(f"*{escape(s.title)}*"))
        for item in s.items:
            checkbox: Block = {"type": "checkboxes", "action_id": v.CHECKLIST_ITEM,
                               "options": [DONE_OPTION]}
            if index in done:
                checkbox["initial_options"] = [DONE_OPTION]
            blocks.append(section(escape(item), block_id=item_block_id(kind, checklist.id, index),
                                  accessory=checkbox))
            index += 1
    if kind == "u" and can_post:
        blocks.append(actions([button("Post for the team", v.POST_CHECKLIST,
                                      v.pack(c=checklist.id))], block_id="checklist_actions"))
    return fit_blocks(blocks, note=CUT_NOTE)


def checklist_text(checklist: Checklist, done: frozenset[int]) -> str:
    return f"Checklist: {escape(checklist.title)} ({progress(done, len(checklist.items))})"
