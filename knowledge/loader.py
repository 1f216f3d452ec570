"""Load the YAML knowledge base, validate it, and report every problem with file:line.

Two passes: each file on its own (`knowledge/reading.py`), then the checks across files
(`knowledge/cross_checks.py`); this module runs them and assembles the `KnowledgeBase`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from knowledge.cross_checks import (
    MIN_OUT_OF_SCOPE,
    PlacedEntry,
    distinct_entries,
    distinct_topics,
    missing_out_of_scope,
    missing_required_topics,
    overdue_reviews,
    placed_entries,
    situations_under_two_topics,
    terms_under_two_topics,
    thin_out_of_scope,
    version_hash,
)
from knowledge.errors import KnowledgeBaseError, Problem
from knowledge.models import REQUIRED_TOPICS, KnowledgeBase, Topic
from knowledge.reading import MAX_FILE_BYTES, OUT_OF_SCOPE_FILE, KbFile, display_path, read_kb_file

__all__ = ["DEFAULT_KB_PATH", "MAX_FILE_BYTES", "MIN_OUT_OF_SCOPE", "OUT_OF_SCOPE_FILE",
           "load_knowledge_base"]

DEFAULT_KB_PATH = Path(__file__).parent / "base"


def load_knowledge_base(
    path: Path | str | None = None, *, today: dt.date | None = None
) -> KnowledgeBase:
    """Load and validate every `*.yaml` under `path` (default: the shipped base).

    Raises `KnowledgeBaseError` listing every error; warnings (overdue reviews, the same
    situation under two topics, thin out-of-scope data) travel on `KnowledgeBase.warnings`.
    """
    root = Path(path) if path else DEFAULT_KB_PATH
    if not root.is_dir():
        raise KnowledgeBaseError([Problem(display_path(root), 0, "not a knowledge-base folder")])
    files = [read_kb_file(f) for f in sorted(root.glob("*.yaml"))]
    topic_files, topic_problems = distinct_topics(files)
    entries, entry_problems = distinct_entries(placed_entries(topic_files))
    problems = _by_file(files, [
        *topic_problems, *entry_problems, *situations_under_two_topics(entries),
        *overdue_reviews(entries, today), *terms_under_two_topics(topic_files),
        *thin_out_of_scope(files),
    ])
    problems += missing_required_topics(root, {f.topic.id for f in topic_files if f.topic},
                                        problems)
    problems += missing_out_of_scope(root, files)
    if any(p.severity == "error" for p in problems):
        raise KnowledgeBaseError(problems)
    return KnowledgeBase(
        topics=_topics(topic_files, entries),
        out_of_scope=next((f.examples for f in files if f.examples is not None), ()),
        version=version_hash(files),
        root=str(root),
        warnings=tuple(str(p) for p in problems),
    )


def _by_file(files: Iterable[KbFile], findings: Iterable[Problem]) -> list[Problem]:
    """File by file in reading order: the file's own problems, then the cross-file findings
    about it by line."""
    found: dict[str, list[Problem]] = {}
    for p in findings:
        found.setdefault(p.file, []).append(p)
    out: list[Problem] = []
    for f in files:
        out += f.problems
        out += sorted(found.get(f.display, ()), key=lambda p: p.line)
    return out


def _topics(topic_files: Iterable[KbFile], entries: Iterable[PlacedEntry]) -> tuple[Topic, ...]:
    """The topics with their kept entries, required topics first in their order, then by id."""
    by_topic: dict[str, list[PlacedEntry]] = {}
    for p in entries:
        by_topic.setdefault(p.entry.topic, []).append(p)
    topics = []
    for f in topic_files:
        assert f.topic is not None
        t = f.topic
        topics.append(Topic(t.id, t.title, t.description.strip(),
                            tuple(p.entry for p in by_topic.get(t.id, ())), f.display,
                            tuple(t.vocabulary)))
    order = {t: i for i, t in enumerate(REQUIRED_TOPICS)}
    return tuple(sorted(topics, key=lambda t: (order.get(t.id, len(order)), t.id)))
