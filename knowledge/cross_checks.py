"""The cross-file passes: what no single file can tell (an id used twice, a situation or a
term under two topics, a required topic or the out-of-scope file missing), and the checks on
the files' validated values (thin out-of-scope data, overdue reviews, the version hash)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from knowledge.errors import Problem
from knowledge.models import REQUIRED_TOPICS, Entry
from knowledge.reading import OUT_OF_SCOPE_FILE, KbFile, display_path

MIN_OUT_OF_SCOPE = 60


@dataclass(frozen=True)
class PlacedEntry:
    """An entry and the topic file it came from, so a finding can name any of its lines."""

    entry: Entry
    source: KbFile
    index: int
    """Its position in the file's `entries`."""

    def line(self, *path: Any) -> int:
        return self.source.line(("entries", self.index, *path))


def distinct_topics(files: Iterable[KbFile]) -> tuple[list[KbFile], list[Problem]]:
    """The valid topic files, each topic id kept from the first file that declares it; an
    error for every later file that declares it again (its entries are left out)."""
    kept: dict[str, KbFile] = {}
    problems = []
    for f in files:
        if f.topic is None:
            continue
        first = kept.get(f.topic.id)
        if first is not None:
            problems.append(Problem(f.display, f.line(("id",)), f"id: duplicate topic id "
                                    f"{f.topic.id!r} (also in {first.display})"))
            continue
        kept[f.topic.id] = f
    return list(kept.values()), problems


def placed_entries(topic_files: Iterable[KbFile]) -> list[PlacedEntry]:
    """Every entry of the topic files, in order, with its topic, file and line."""
    placed = []
    for f in topic_files:
        assert f.topic is not None
        for i, e in enumerate(f.topic.entries):
            entry = Entry(**vars(e), topic=f.topic.id, file=f.display, line=f.line(("entries", i)))
            placed.append(PlacedEntry(entry, f, i))
    return placed


def distinct_entries(entries: Iterable[PlacedEntry]) -> tuple[list[PlacedEntry], list[Problem]]:
    """The entries, each id kept from its first occurrence; an error for every later one
    (left out of the base, so no other check reports on it)."""
    kept: dict[str, PlacedEntry] = {}
    problems = []
    for p in entries:
        first = kept.get(p.entry.id)
        if first is not None:
            problems.append(Problem(p.source.display, p.line("id"),
                                    f"entry {p.entry.id!r}: id: duplicate entry id (also in "
                                    f"{first.entry.file}:{first.entry.line})"))
            continue
        kept[p.entry.id] = p
    return list(kept.values()), problems


def situations_under_two_topics(entries: Iterable[PlacedEntry]) -> list[Problem]:
    """A warning for each situation (case and spacing aside) that an earlier entry of another
    topic already lists: the topic model cannot learn it for both."""
    first: dict[str, tuple[PlacedEntry, int]] = {}
    problems = []
    for p in entries:
        for j, situation in enumerate(p.entry.situations):
            key = _norm(situation)
            seen = first.setdefault(key, (p, j))
            other, k = seen
            if other.entry.topic != p.entry.topic:
                problems.append(Problem(
                    p.source.display, p.line("situations", j),
                    f"entry {p.entry.id!r}: situation also under topic {other.entry.topic!r} "
                    f"({other.source.display}:{other.line('situations', k)}): the model cannot "
                    "learn both", "warning"))
    return problems


def overdue_reviews(entries: Iterable[PlacedEntry], today: dt.date | None) -> list[Problem]:
    """A warning for each entry whose review is overdue on `today` (default: today)."""
    return [Problem(p.source.display, p.line("last_reviewed"),
                    f"entry {p.entry.id!r}: review overdue since {p.entry.review_due} "
                    f"(owner: {p.entry.owner})", "warning")
            for p in entries if p.entry.is_overdue(today)]


def terms_under_two_topics(topic_files: Iterable[KbFile]) -> list[Problem]:
    """A warning for each vocabulary term (case and spacing aside) an earlier topic lists."""
    owner: dict[str, str] = {}
    problems = []
    for f in topic_files:
        assert f.topic is not None
        for j, term in enumerate(f.topic.vocabulary):
            other = owner.setdefault(_norm(term), f.topic.id)
            if other != f.topic.id:
                problems.append(Problem(f.display, f.line(("vocabulary", j)),
                                        f"vocabulary: term {term!r} is also a term of topic "
                                        f"{other!r}: list it under the topic that owns it",
                                        "warning"))
    return problems


def thin_out_of_scope(files: Iterable[KbFile]) -> list[Problem]:
    """A warning when the out-of-scope file has fewer than `MIN_OUT_OF_SCOPE` examples."""
    return [Problem(f.display, 1, f"only {len(f.examples)} out-of-scope examples; "
                    f"{MIN_OUT_OF_SCOPE}+ keep the classifier from guessing", "warning")
            for f in files if f.examples is not None and len(f.examples) < MIN_OUT_OF_SCOPE]


def missing_required_topics(root: Path, topic_ids: set[str],
                            problems: Sequence[Problem]) -> list[Problem]:
    """An error for each required topic no file provides, unless its file already has one."""
    return [Problem(display_path(root / f"{t}.yaml"), 0, f"required topic {t!r} is missing")
            for t in REQUIRED_TOPICS
            if t not in topic_ids and not any(p.file.endswith(f"{t}.yaml") for p in problems)]


def missing_out_of_scope(root: Path, files: Iterable[KbFile]) -> list[Problem]:
    """An error when the base has no out-of-scope file at all."""
    if any(f.path.name == OUT_OF_SCOPE_FILE for f in files):
        return []
    return [Problem(display_path(root / OUT_OF_SCOPE_FILE), 0, "out-of-scope examples are missing")]


def version_hash(files: Iterable[KbFile]) -> str:
    """Twelve hex digits of a hash of every file's name and bytes: same files, same version."""
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.path.name.encode() + b"\0" + f.content + b"\0")
    return digest.hexdigest()[:12]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())
