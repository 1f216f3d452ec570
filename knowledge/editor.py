"""Round-trip edits of the YAML knowledge base that keep comments, order, quoting and layout.

Every edit is planned first (a `Change`: the new file text, and the values before and after
for the audit), then applied: the whole base is validated on a temporary copy with the
change, and only then is the file replaced atomically. An invalid result leaves the file
untouched and raises `KnowledgeBaseError` with file:line in the real file.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fcntl
import io
import itertools
import os
import re
import shutil
import tempfile
import textwrap
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    FoldedScalarString,
    SingleQuotedScalarString,
)
from ruamel.yaml.tokens import CommentToken

from knowledge.errors import AdvisorError, KnowledgeBaseError, Problem
from knowledge.loader import OUT_OF_SCOPE_FILE, load_knowledge_base
from knowledge.models import KnowledgeBase
from knowledge.schema import SLUG
from knowledge.sources import SEED_TITLES

DEFAULT_REVIEW_EVERY_DAYS = 180
SUMMARY_WIDTH = 90
_WIDE = 4096


class EditError(AdvisorError):
    """An edit cannot be made as asked (unknown entry or topic, file changed meanwhile)."""


@dataclass(frozen=True)
class Change:
    """One planned edit of one file; `before`/`after` are JSON-able values for the audit."""

    action: str  # "add_situations", "add_entry" or "mark_reviewed"
    root: Path
    file: Path
    target: str  # the entry id
    before: Any
    after: Any
    original: str  # the file's text the edit was planned on
    text: str  # the file's text after the edit

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def diff(self) -> str:
        """A unified diff of the change, with paths relative to the base's parent."""
        name = f"{self.root.name}/{self.file.name}"
        return "".join(difflib.unified_diff(
            self.original.splitlines(keepends=True), self.text.splitlines(keepends=True),
            fromfile=f"a/{name}", tofile=f"b/{name}"))


# -- the edits ------------------------------------------------------------------------------


def plan_add_situations(root: Path | str, entry_id: str, situations: Iterable[str]) -> Change:
    """Append `situations` to an entry, skipping blanks and duplicates (case and spacing)."""
    root, file, text, yaml, doc, entry = _locate(Path(root), entry_id)
    existing = entry.get("situations")
    if not isinstance(existing, CommentedSeq):
        raise EditError(f"{file}: entry {entry_id!r} has no list of situations to extend")
    before = [str(s) for s in existing]
    seen = {_norm(s) for s in before}
    style = _item_style(existing)
    added = []
    for raw in situations:
        clean = " ".join(str(raw).split())
        if clean and _norm(clean) not in seen:
            seen.add(_norm(clean))
            added.append(clean)
    if added:
        _extend(existing, [style(s) for s in added])
    after = before + added
    return Change("add_situations", root, file, entry_id, {"situations": before},
                  {"situations": after}, text, _dump(yaml, doc) if added else text)


def plan_add_entry(
    root: Path | str,
    topic_id: str,
    *,
    title: str,
    summary: str,
    situations: Sequence[str],
    actions: Sequence[str],
    entry_id: str | None = None,
    pitfalls: Sequence[str] = (),
    sources: Sequence[dict[str, str]] | None = None,
    owner: str | None = None,
    review_every_days: int = DEFAULT_REVIEW_EVERY_DAYS,
    today: dt.date | None = None,
) -> Change:
    """Append a new entry to a topic's file; the id is a slug of the title unless given."""
    root = Path(root)
    file = root / f"{topic_id}.yaml"
    if topic_id.startswith("_") or not file.is_file():
        raise EditError(f"no topic {topic_id!r} in {root} (expected {file.name})")
    text = file.read_text(encoding="utf-8")
    yaml = _yaml_for(text)
    doc = yaml.load(text)
    entries = doc.get("entries") if isinstance(doc, CommentedMap) else None
    if not isinstance(entries, CommentedSeq):
        raise EditError(f"{file}: no list of entries to add to")
    taken = _all_entry_ids(root)
    new_id = entry_id or _unique(slugify(title), taken)
    if entry_id and entry_id in taken:
        raise EditError(f"entry id {entry_id!r} is already used; choose another")
    peers = [e for e in entries if isinstance(e, CommentedMap)]
    style = _item_style(next((e["situations"] for e in peers
                              if isinstance(e.get("situations"), CommentedSeq)), CommentedSeq()))
    entry = CommentedMap()
    entry["id"] = new_id
    entry["title"] = " ".join(title.split())
    entry["summary"] = _folded(" ".join(summary.split()))
    entry["situations"] = _seq(style(" ".join(s.split())) for s in _dedupe(situations))
    entry["actions"] = _seq(" ".join(a.split()) for a in actions if a.strip())
    if pitfalls:
        entry["pitfalls"] = _seq(" ".join(p.split()) for p in pitfalls if p.strip())
    entry["sources"] = _seq(CommentedMap(s) for s in (sources or _default_sources(peers)))
    entry["owner"] = owner or _most_common(peers, "owner") or "Knowledge-base curators"
    entry["last_reviewed"] = today or dt.date.today()
    entry["review_every_days"] = review_every_days
    separated = _blank_line_between(entries)
    _extend(entries, [entry])
    if separated:
        _blank_after(entries[-2])
    after = {k: _plain(v) for k, v in entry.items()}
    return Change("add_entry", root, file, new_id, None, after, text, _dump(yaml, doc))


def plan_mark_reviewed(root: Path | str, entry_id: str, *, today: dt.date | None = None) -> Change:
    """Set an entry's `last_reviewed` to today, keeping the value's quoting."""
    root, file, text, yaml, doc, entry = _locate(Path(root), entry_id)
    day = today or dt.date.today()
    old = entry.get("last_reviewed")
    before = old.isoformat() if isinstance(old, dt.date) else str(old)
    entry["last_reviewed"] = type(old)(day.isoformat()) if isinstance(old, str) else day
    changed = before != day.isoformat()
    return Change("mark_reviewed", root, file, entry_id, {"last_reviewed": before},
                  {"last_reviewed": day.isoformat()}, text, _dump(yaml, doc) if changed else text)


def add_situations(root: Path | str, entry_id: str, situations: Iterable[str]) -> Change:
    """Plan and apply `plan_add_situations`."""
    change = plan_add_situations(root, entry_id, situations)
    apply(change)
    return change


def add_entry(root: Path | str, topic_id: str, **fields: Any) -> Change:
    """Plan and apply `plan_add_entry`."""
    change = plan_add_entry(root, topic_id, **fields)
    apply(change)
    return change


def mark_reviewed(root: Path | str, entry_id: str, *, today: dt.date | None = None) -> Change:
    """Plan and apply `plan_mark_reviewed`."""
    change = plan_mark_reviewed(root, entry_id, today=today)
    apply(change)
    return change


# -- validating and writing -----------------------------------------------------------------


@contextmanager
def staged(change: Change) -> Iterator[Path]:
    """A temporary copy of the base with the change applied (removed on exit)."""
    with tempfile.TemporaryDirectory(prefix="kb-staged-") as tmp:
        copy = Path(tmp) / change.root.name
        copy.mkdir()
        for path in change.root.glob("*.yaml"):
            shutil.copy2(path, copy / path.name)
        (copy / change.file.name).write_text(change.text, encoding="utf-8")
        yield copy


def validate(change: Change) -> KnowledgeBase:
    """Load the base as it would be after the change; errors point into the real files."""
    with staged(change) as copy:
        try:
            return load_knowledge_base(copy)
        except KnowledgeBaseError as exc:
            raise KnowledgeBaseError([_relocate(p, copy, change.root) for p in exc.problems]) from None


def apply(change: Change) -> KnowledgeBase | None:
    """Validate, then replace the file atomically; returns the new base (None: no change).

    Raises `KnowledgeBaseError` (file untouched) if the result is invalid, and `EditError`
    if the file changed since the edit was planned.
    """
    if not change.changed:
        return None
    kb = validate(change)
    with _edit_lock(change.root):
        if change.file.read_text(encoding="utf-8") != change.original:
            raise EditError(f"{change.file} changed while the edit was being prepared; try again")
        write_atomically(change.file, change.text)
    return kb


LOCK_FILE = ".edit.lock"
"""Beside the topic files it guards: one per knowledge-base folder, never left in temp."""


@contextmanager
def _edit_lock(root: Path) -> Iterator[None]:
    """Serialise check-and-write across processes (an flock on `LOCK_FILE` in the base)."""
    with open(root / LOCK_FILE, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- helpers --------------------------------------------------------------------------------


def slugify(title: str) -> str:
    """'Pilot the chatbot (phase 2)!' → 'pilot-the-chatbot-phase-2' (at most 60 characters)."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    slug = ""
    for word in words:
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > 60:
            break
        slug = candidate
    return slug or "entry"


def _unique(slug: str, taken: set[str]) -> str:
    if slug not in taken:
        return slug
    n = 2
    while f"{slug}-{n}" in taken:
        n += 1
    return f"{slug}-{n}"


def _norm(text: str) -> str:
    return " ".join(str(text).lower().split())


def _dedupe(texts: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for t in texts:
        if t.strip() and _norm(t) not in seen:
            seen.add(_norm(t))
            out.append(t)
    return out


def _files(root: Path) -> list[Path]:
    if not root.is_dir():
        raise EditError(f"{root} is not a knowledge-base folder")
    return [p for p in sorted(root.glob("*.yaml")) if p.name != OUT_OF_SCOPE_FILE]


def _all_entry_ids(root: Path) -> set[str]:
    pattern = re.compile(r"^\s*-?\s*id:\s*['\"]?([a-z0-9-]+)['\"]?\s*(?:#.*)?$", re.MULTILINE)
    ids: set[str] = set()
    for path in _files(root):
        ids.update(pattern.findall(path.read_text(encoding="utf-8")))
    return ids


def _locate(root: Path, entry_id: str) -> tuple[Path, Path, str, YAML, Any, CommentedMap]:
    """The file holding `entry_id`, its text, its round-trip loader, document and entry map."""
    if not re.match(SLUG, entry_id):
        raise EditError(f"{entry_id!r} is not an entry id (lower-case slug)")
    quick = re.compile(rf"^\s*-?\s*id:\s*['\"]?{re.escape(entry_id)}['\"]?\s*(?:#.*)?$",
                       re.MULTILINE)
    for path in _files(root):
        text = path.read_text(encoding="utf-8")
        if not quick.search(text):
            continue
        yaml = _yaml_for(text)
        doc = yaml.load(text)
        entries = doc.get("entries") if isinstance(doc, CommentedMap) else None
        for entry in entries if isinstance(entries, CommentedSeq) else ():
            if isinstance(entry, CommentedMap) and entry.get("id") == entry_id:
                return root, path, text, yaml, doc, entry
    raise EditError(f"no entry {entry_id!r} in {root}")


def _yaml_for(text: str) -> YAML:
    """A round-trip loader/dumper whose settings reproduce `text` unchanged, if any do."""
    offset = _detect_offset(text)
    candidates = [(offset, _WIDE), (offset, 80), (2, _WIDE), (0, _WIDE), (0, 80)]
    first = None
    for seq_offset, width in dict.fromkeys(candidates):
        yaml = YAML()
        yaml.preserve_quotes = True
        yaml.width = width
        yaml.indent(mapping=2, sequence=seq_offset + 2, offset=seq_offset)
        first = first or yaml
        try:
            if _dump(yaml, yaml.load(text)) == text:
                return yaml
        except Exception:  # an unreadable file: validation reports it with file:line
            return yaml
    assert first is not None
    return first


def _detect_offset(text: str) -> int:
    """How far list dashes sit to the right of their parent key (2 in the shipped base)."""
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    for prev, line in itertools.pairwise(lines):
        if re.match(r"^\s*(?:- )?[\w-]+:\s*(?:#.*)?$", prev) and line.lstrip().startswith("- "):
            key_col = len(prev) - len(prev.lstrip())
            if prev.lstrip().startswith("- "):
                key_col += 2
            return max(0, (len(line) - len(line.lstrip())) - key_col)
    return 2


def _dump(yaml: YAML, doc: Any) -> str:
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def _item_style(seq: CommentedSeq) -> Any:
    """A constructor giving new items the quoting most existing items use."""
    kinds = Counter(type(s) for s in seq if isinstance(s, str))
    common = kinds.most_common(1)[0][0] if kinds else DoubleQuotedScalarString
    if common in (DoubleQuotedScalarString, SingleQuotedScalarString):
        return common
    return str


def _folded(text: str) -> FoldedScalarString:
    """A `>-` block scalar folded at about SUMMARY_WIDTH characters, like the curated files."""
    folded = FoldedScalarString(text)
    lines = textwrap.wrap(text, SUMMARY_WIDTH, break_long_words=False, break_on_hyphens=False)
    if "  " not in text and " ".join(lines) == text:
        positions, offset = [], 0
        for line in lines[:-1]:
            offset += len(line)
            positions.append(offset)
            offset += 1
        folded.fold_pos = positions  # type: ignore[attr-defined]
    return folded


def _seq(items: Iterable[Any]) -> CommentedSeq:
    return CommentedSeq(list(items))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    return value


def _default_sources(peers: list[CommentedMap]) -> list[dict[str, str]]:
    """The seed document the topic's entries cite most, or the first seed."""
    cited = Counter(str(s.get("file")) for e in peers for s in e.get("sources") or ()
                    if isinstance(s, dict) and s.get("file") in SEED_TITLES)
    file = cited.most_common(1)[0][0] if cited else next(iter(SEED_TITLES))
    return [{"title": SEED_TITLES[file], "file": file}]


def _most_common(peers: list[CommentedMap], key: str) -> str | None:
    values = Counter(str(e[key]) for e in peers if e.get(key))
    return values.most_common(1)[0][0] if values else None


# -- keeping trailing comments and blank lines where they belong ----------------------------


Slot = tuple[Any, Any, int]


def _last_slot(node: Any) -> Slot | None:
    """(container, key, position) of the comment that follows `node`'s last scalar."""
    while True:
        if isinstance(node, CommentedMap) and node:
            key, pos = list(node)[-1], 2
        elif isinstance(node, CommentedSeq) and node:
            key, pos = len(node) - 1, 0
        else:
            return None
        value = node[key]
        if isinstance(value, CommentedMap | CommentedSeq) and value:
            node = value
            continue
        return node, key, pos


def _read_slot(slot: Slot | None) -> CommentToken | None:
    if slot is None:
        return None
    container, key, pos = slot
    tokens = container.ca.items.get(key)
    return tokens[pos] if tokens and len(tokens) > pos else None


def _write_slot(slot: Slot | None, value: str | None) -> None:
    if slot is None:
        return
    container, key, pos = slot
    if value is None:
        tokens = container.ca.items.get(key)
        if tokens:
            tokens[pos] = None
            if not any(tokens):
                del container.ca.items[key]
        return
    tokens = container.ca.items.setdefault(key, [None, None, None, None])
    if tokens[pos] is not None:
        tokens[pos].value = value  # keeps the comment's column
    else:
        tokens[pos] = CommentToken(value, CommentMark(0), None)


def _split_comment(value: str) -> tuple[str, str]:
    """(end-of-line comment with its newline, the lines after it)."""
    if value.startswith("#"):
        cut = value.find("\n")
        return (value, "") if cut < 0 else (value[: cut + 1], value[cut + 1 :])
    return "", value[1:]


def _extend(seq: CommentedSeq, items: list[Any]) -> None:
    """Append items; comments and blank lines that followed the old last item follow the new."""
    slot = _last_slot(seq)
    token = _read_slot(slot)
    seq.extend(items)
    if token is None:
        return
    eol, rest = _split_comment(token.value)
    _write_slot(slot, eol or None)
    if rest:
        _write_slot(_last_slot(seq), "\n" + rest)


def _blank_line_between(entries: CommentedSeq) -> bool:
    """True when the file separates its entries with a blank line."""
    if len(entries) < 2:
        return False
    token = _read_slot(_last_slot(entries[0]))
    return token is not None and _split_comment(token.value)[1].startswith("\n")


def _blank_after(entry: Any) -> None:
    slot = _last_slot(entry)
    token = _read_slot(slot)
    eol, rest = _split_comment(token.value) if token is not None else ("", "")
    if not rest.startswith("\n"):
        _write_slot(slot, (eol or "\n") + "\n" + rest)


def _relocate(problem: Problem, copy: Path, root: Path) -> Problem:
    """Point a problem found in the staged copy at the real file."""
    path = Path(problem.file)
    if not path.is_absolute():
        path = Path.cwd() / path
    try:
        name = path.resolve().relative_to(copy.resolve())
    except ValueError:
        return problem
    real = root / name
    try:
        shown = os.path.relpath(real)
        shown = str(real) if shown.startswith("..") else shown
    except ValueError:
        shown = str(real)
    return Problem(shown, problem.line, problem.message, problem.severity)
