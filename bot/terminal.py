"""Render an `Answer` for the terminal (rich), as `advisor ask` and `advisor chat` show it."""

from __future__ import annotations

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.text import Text

from bot.answer import Answer
from knowledge.models import KnowledgeBase

FIRST_ACTIONS = 3

HELP_TEXT = (
    "Describe a situation from your transformation work in a sentence or two, for example:\n"
    "  \"Staff on the benefits team think the new case system will cost them their jobs\"\n"
    "and the advisor answers with strategies: what to do, in what order, and why.\n"
    "Commands: 'topics' lists the topics, 'checklist <topic or entry>' prints a checklist, "
    "'quit' ends the chat."
)


def render_answer(answer: Answer) -> Group:
    """The readable answer: topic and confidence band, strategies, first actions, sources."""
    parts: list = []
    if answer.is_empty:
        return Group(Text(HELP_TEXT))
    if answer.topic is None:
        reason = ("That doesn't look like a digital-transformation question"
                  if answer.out_of_scope else "I'm not sure which topic this is about")
        hint = ", ".join(a.topic.title for a in answer.alternatives)
        parts.append(Text(f"{reason}, so I won't guess a strategy.", style="bold"))
        if hint:
            parts.append(Text(f"Closest topics: {hint}. Rephrase with more detail, or run "
                              "`advisor topics` to pick one."))
        return Group(*parts)
    head = Text()
    head.append(answer.topic.title, style="bold cyan")
    head.append(f"  ({answer.confidence_band} confidence, {answer.confidence:.0%})", style="dim")
    parts.append(head)
    if answer.ambiguous and answer.alternatives:
        parts.append(Text(f"This could also be about {answer.alternatives[0].topic.title}.",
                          style="yellow"))
    for n, rec in enumerate(answer.recommendations, 1):
        e = rec.entry
        body = [Text(e.summary)]
        actions = "\n".join(f"  {i}. {escape(a)}" for i, a in enumerate(e.actions[:FIRST_ACTIONS], 1))
        more = len(e.actions) - FIRST_ACTIONS
        body.append(Text.from_markup("[bold]First steps[/bold]\n" + actions
                                     + (f"\n  … {more} more: advisor checklist {e.id}"
                                        if more > 0 else "")))
        sources = "; ".join(s.title for s in e.sources)
        body.append(Text(f"Sources: {sources} · last reviewed {e.last_reviewed:%d %b %Y}",
                         style="dim"))
        parts.append(Panel(Group(*body), title=f"{n}. {escape(e.title)}", title_align="left",
                           subtitle=f"match {rec.score:.2f} · {e.id}", subtitle_align="right"))
    return Group(*parts)


def render_topics(kb: KnowledgeBase) -> Group:
    """One line per topic: id, title, number of entries."""
    lines = [Text.assemble((f"{t.id:<24}", "bold"), f"{t.title} ({len(t.entries)} strategies)")
             for t in kb.topics]
    return Group(*lines)
