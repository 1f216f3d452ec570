"""Edits to a knowledge-base copy that a reload picks up, or refuses."""

from __future__ import annotations

from pathlib import Path

from knowledge import editor, load_knowledge_base


def add_situation(kb_dir: Path, text: str = "a question nobody asked before") -> None:
    """A valid change: one more situation for the first entry."""
    entry = load_knowledge_base(kb_dir).topics[0].entries[0]
    editor.add_situations(kb_dir, entry.id, [text])


def break_base(kb_dir: Path) -> None:
    """An invalid change: a YAML error at the end of communication.yaml."""
    path = kb_dir / "communication.yaml"
    path.write_text(path.read_text() + "  - id: [broken\n")
