"""App Home and the topic modal: pure view builders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.slack import values as v
from bot.slack.admin_blocks import home_curation_blocks
from bot.slack.blocks import (
    Block,
    actions,
    button,
    context,
    header,
    plain,
    section,
    topic_buttons,
    topic_overview_blocks,
)
from bot.slack.expert_blocks import home_requests_blocks
from bot.slack.limits import MODAL_TITLE, VIEW_BLOCKS, fit_blocks
from bot.slack.mrkdwn import escape, truncate
from knowledge.models import KnowledgeBase, Topic

if TYPE_CHECKING:
    from bot.curation.gaps import GapCluster

RECENT_CHARS = 150


@dataclass(frozen=True)
class OpenChecklist:
    """A checklist the user has started and not finished."""

    checklist_id: str
    title: str
    done: int
    total: int


@dataclass(frozen=True)
class WeekFigures:
    """This week's figures, shown to admins only."""

    questions: int
    top_topics: tuple[tuple[str, int], ...]
    abstention_rate: float
    not_helpful: int


@dataclass(frozen=True)
class Curation:
    """The admin section's data: `live.health()` and the open gap clusters (None: unreadable)."""

    health: dict[str, Any]
    clusters: Sequence[GapCluster] | None
    days: int


def home_view(kb: KnowledgeBase, *, recent: list[str], open_checklists: list[OpenChecklist],
              figures: WeekFigures | None = None,
              curation: Curation | None = None,
              requests: dict[str, int] | None = None) -> dict[str, Any]:
    """The Home tab: what the advisor does, topics, the user's questions and checklists, and
    the live knowledge-base version.

    `figures`, `curation` and `requests` (expert requests by status) are given only for
    admins (the caller checks ADVISOR_ADMINS).
    """
    blocks: list[Block] = [
        header("Transformation Advisor"),
        section("I suggest curated strategies for the people side of changing public "
                "services: resistance, communication, pilots, skills, legacy systems and more. "
                "Mention me in a channel, message me, or type `/advisor <your situation>`."),
        header("Topics"),
        *topic_buttons(kb, action=v.HOME_TOPIC),
        header("Your recent questions"),
    ]
    if recent:
        blocks.append(section("\n".join(f"• {escape(truncate(q, RECENT_CHARS))}" for q in recent)))
    else:
        blocks.append(context("Nothing yet. Ask me about a situation you are facing."))
    blocks.append(header("Your open checklists"))
    if open_checklists:
        for i, c in enumerate(open_checklists[:20]):
            blocks.append(section(f"*{escape(c.title)}*  ·  {c.done} of {c.total} done",
                                  accessory=button("Open", f"{v.OPEN_CHECKLIST}_{i}",
                                                   v.pack(c=c.checklist_id))))
    else:
        blocks.append(context("None open. Press *Show checklist* under an answer to start one."))
    if figures is not None:
        blocks += admin_blocks(figures)
    if requests is not None:
        blocks += home_requests_blocks(requests)
    if curation is not None:
        blocks += home_curation_blocks(curation.health, curation.clusters, kb, days=curation.days)
    else:
        blocks.append(context(f"Knowledge base version `{escape(kb.version)}`"))
    return {"type": "home", "blocks": fit_blocks(blocks, max_blocks=VIEW_BLOCKS)}


def admin_blocks(f: WeekFigures) -> list[Block]:
    top = ", ".join(f"{escape(t)} ({n})" for t, n in f.top_topics[:5]) or "none yet"
    return [
        {"type": "divider"},
        header("This week (admins)"),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Questions*\n{f.questions}"},
            {"type": "mrkdwn", "text": f"*Abstention rate*\n{f.abstention_rate:.0%}"},
            {"type": "mrkdwn", "text": f"*Not helpful*\n{f.not_helpful}"},
            {"type": "mrkdwn", "text": f"*Top topics*\n{top}"},
        ]},
    ]


def topic_modal(topic: Topic) -> dict[str, Any]:
    """A modal listing a topic's strategies, with a checklist button."""
    blocks = [*topic_overview_blocks(topic),
              actions([button("Send me the checklist", f"{v.OPEN_CHECKLIST}_0",
                               v.pack(c=topic.id))], block_id="topic_actions")]
    return {
        "type": "modal",
        "title": plain(truncate(topic.title, MODAL_TITLE)),
        "close": plain("Close"),
        "blocks": fit_blocks(blocks, max_blocks=VIEW_BLOCKS),
    }
