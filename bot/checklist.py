"""Checklists for change champions, built from an entry's or a whole topic's actions."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.models import Entry, KnowledgeBase, Topic


@dataclass(frozen=True)
class ChecklistSection:
    title: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Checklist:
    """An ordered list of actions to work through; `id` is the entry or topic id."""

    id: str
    title: str
    sections: tuple[ChecklistSection, ...]

    @property
    def items(self) -> tuple[str, ...]:
        return tuple(item for s in self.sections for item in s.items)


def build_checklist(kb: KnowledgeBase, topic_or_entry: str) -> Checklist | None:
    """The checklist for an entry (its actions) or a topic (each entry's actions), or None.

    A close match counts (a typo, a unique prefix); `kb.suggest` names candidates otherwise.
    """
    found = kb.find_close(topic_or_entry)
    if isinstance(found, Entry):
        return Checklist(found.id, found.title, (ChecklistSection(found.title, found.actions),))
    if isinstance(found, Topic):
        return Checklist(
            found.id,
            found.title,
            tuple(ChecklistSection(e.title, e.actions) for e in found.entries),
        )
    return None


def to_markdown(checklist: Checklist) -> str:
    """A Markdown task list, ready to paste into a wiki page or a ticket."""
    lines = [f"# Checklist: {checklist.title}", ""]
    single = len(checklist.sections) == 1
    for section in checklist.sections:
        if not single:
            lines += [f"## {section.title}", ""]
        lines += [f"- [ ] {item}" for item in section.items]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
