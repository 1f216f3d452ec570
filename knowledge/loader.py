"""Load the YAML knowledge base, validate it, and report every problem with file:line."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.errors import KnowledgeBaseError, Problem
from knowledge.models import REQUIRED_TOPICS, Entry, KnowledgeBase, Topic
from knowledge.schema import EntrySchema, OutOfScopeSchema, TopicSchema

DEFAULT_KB_PATH = Path(__file__).parent / "base"
OUT_OF_SCOPE_FILE = "_out_of_scope.yaml"
MAX_FILE_BYTES = 2_000_000
MIN_OUT_OF_SCOPE = 60

Lines = dict[tuple[Any, ...], int]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: same marks, faster


class _Reader:
    """Turns a YAML document into plain Python values and a map of path → line."""

    def __init__(self, display: str):
        self.display = display
        self.lines: Lines = {}
        self.problems: list[Problem] = []
        self._seen: set[int] = set()

    def read(self, text: str) -> Any:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            line = mark.line + 1 if mark else 1
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            self.problems.append(Problem(self.display, line, f"invalid YAML: {what}"))
            return None
        finally:
            loader.dispose()
        if node is None:
            return None
        return self._build(node, (), loader)

    def _build(self, node: yaml.Node, path: tuple[Any, ...], loader: Any) -> Any:
        self.lines[path] = node.start_mark.line + 1
        if id(node) in self._seen:  # an alias (*name): refused, so a few bytes cannot expand
            if not any(p.message.startswith("YAML aliases") for p in self.problems):
                self.problems.append(Problem(
                    self.display, node.start_mark.line + 1,
                    "YAML aliases (&anchor / *alias) are not allowed in the knowledge base: "
                    "write the text out"))
            return None
        self._seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                if key in out:
                    self.problems.append(
                        Problem(self.display, key_node.start_mark.line + 1, f"duplicate key {key!r}")
                    )
                out[key] = self._build(value_node, (*path, key), loader)
                self.lines[(*path, key)] = key_node.start_mark.line + 1
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self._build(v, (*path, i), loader) for i, v in enumerate(node.value)]
        return loader.construct_object(node, deep=True)

    def line(self, path: tuple[Any, ...]) -> int:
        """The line of the deepest part of `path` that exists in the file."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _pydantic_message(err: dict[str, Any]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return "required field missing"
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        return "unknown key"
    if kind == "too_short" and "min_length" in ctx:
        return f"at least {ctx['min_length']} required"
    if kind == "string_pattern_mismatch":
        return "must be a lower-case slug like 'pick-first-pilot'"
    return str(err["msg"]).removeprefix("Value error, ")


def _schema_problems(
    exc: ValidationError, reader: _Reader, data: dict[str, Any]
) -> list[Problem]:
    problems = []
    entries = data.get("entries") if isinstance(data.get("entries"), list) else []
    for err in exc.errors():
        loc = tuple(err["loc"])
        prefix = ""
        field_loc = loc
        if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
            raw = entries[loc[1]] if loc[1] < len(entries) else None
            name = raw.get("id") if isinstance(raw, dict) else None
            prefix = f"entry {name!r}: " if name else f"entry #{loc[1] + 1}: "
            field_loc = loc[2:]
        field = ".".join(str(p) for p in field_loc if not isinstance(p, int)) or "entry"
        line = reader.line(loc[:-1] if err["type"] == "missing" else loc)
        problems.append(Problem(reader.display, line, f"{prefix}{field}: {_pydantic_message(err)}"))
    return problems


def _read_text(path: Path, display: str) -> tuple[str | None, Problem | None]:
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        return None, Problem(display, 1, f"file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}")
    if b"\x00" in raw:
        return None, Problem(display, 1, "binary file: expected UTF-8 YAML text")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Problem(display, line, "not valid UTF-8 text")


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def load_knowledge_base(
    path: Path | str | None = None, *, today: dt.date | None = None
) -> KnowledgeBase:
    """Load and validate every `*.yaml` under `path` (default: the shipped base).

    Raises `KnowledgeBaseError` listing every error; warnings (overdue reviews, the same
    situation under two topics, thin out-of-scope data) travel on `KnowledgeBase.warnings`.
    """
    root = Path(path) if path else DEFAULT_KB_PATH
    if not root.is_dir():
        raise KnowledgeBaseError([Problem(_display(root), 0, "not a knowledge-base folder")])
    files = sorted(root.glob("*.yaml"))
    problems: list[Problem] = []
    topics: list[Topic] = []
    out_of_scope: tuple[str, ...] = ()
    digest = hashlib.sha256()
    seen_entries: dict[str, str] = {}
    seen_topics: dict[str, str] = {}
    situation_topics: dict[str, tuple[str, str, int]] = {}
    term_topics: dict[str, str] = {}

    for file in files:
        display = _display(file)
        digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
        text, problem = _read_text(file, display)
        if problem:
            problems.append(problem)
            continue
        reader = _Reader(display)
        data = reader.read(text or "")
        problems.extend(reader.problems)
        if reader.problems:
            continue
        if not isinstance(data, dict):
            problems.append(Problem(display, 1, "expected a mapping at the top of the file"))
            continue
        if file.name == OUT_OF_SCOPE_FILE:
            try:
                out_of_scope = tuple(OutOfScopeSchema.model_validate(data).examples)
            except ValidationError as exc:
                problems.extend(_schema_problems(exc, reader, data))
                continue
            if len(out_of_scope) < MIN_OUT_OF_SCOPE:
                problems.append(
                    Problem(display, 1, f"only {len(out_of_scope)} out-of-scope examples; "
                            f"{MIN_OUT_OF_SCOPE}+ keep the classifier from guessing", "warning")
                )
            continue
        try:
            schema = TopicSchema.model_validate(data)
        except ValidationError as exc:
            problems.extend(_schema_problems(exc, reader, data))
            continue
        if schema.id != file.stem:
            problems.append(
                Problem(display, reader.line(("id",)),
                        f"id: topic id {schema.id!r} must match the file name {file.stem!r}")
            )
        if schema.id in seen_topics:
            problems.append(
                Problem(display, reader.line(("id",)),
                        f"id: duplicate topic id {schema.id!r} (also in {seen_topics[schema.id]})")
            )
            continue
        seen_topics[schema.id] = display
        entries = []
        for i, e in enumerate(schema.entries):
            line = reader.line(("entries", i))
            if e.id in seen_entries:
                problems.append(
                    Problem(display, reader.line(("entries", i, "id")),
                            f"entry {e.id!r}: id: duplicate entry id (also in {seen_entries[e.id]})")
                )
                continue
            seen_entries[e.id] = f"{display}:{line}"
            entry = _entry(e, schema.id, display, line)
            entries.append(entry)
            for j, s in enumerate(e.situations):
                key = _norm(s)
                other = situation_topics.get(key)
                s_line = reader.line(("entries", i, "situations", j))
                if other and other[0] != schema.id:
                    problems.append(
                        Problem(display, s_line, f"entry {e.id!r}: situation also under topic "
                                f"{other[0]!r} ({other[1]}:{other[2]}): the model cannot learn "
                                "both", "warning")
                    )
                situation_topics.setdefault(key, (schema.id, display, s_line))
            if entry.is_overdue(today):
                problems.append(
                    Problem(display, reader.line(("entries", i, "last_reviewed")),
                            f"entry {e.id!r}: review overdue since {entry.review_due} "
                            f"(owner: {e.owner})", "warning")
                )
        for j, term in enumerate(schema.vocabulary):
            key = _norm(term)
            other = term_topics.get(key)
            if other and other != schema.id:
                problems.append(Problem(display, reader.line(("vocabulary", j)),
                                        f"vocabulary: term {term!r} is also a term of topic "
                                        f"{other!r}: list it under the topic that owns it",
                                        "warning"))
            term_topics.setdefault(key, schema.id)
        topics.append(Topic(schema.id, schema.title, schema.description.strip(), tuple(entries),
                            display, tuple(schema.vocabulary)))

    for missing in (t for t in REQUIRED_TOPICS if t not in seen_topics):
        if not any(p.file.endswith(f"{missing}.yaml") for p in problems):
            problems.append(Problem(_display(root / f"{missing}.yaml"), 0,
                                    f"required topic {missing!r} is missing"))
    if not any(f.name == OUT_OF_SCOPE_FILE for f in files):
        problems.append(Problem(_display(root / OUT_OF_SCOPE_FILE), 0,
                                "out-of-scope examples are missing"))

    if any(p.severity == "error" for p in problems):
        raise KnowledgeBaseError(problems)
    order = {t: i for i, t in enumerate(REQUIRED_TOPICS)}
    topics.sort(key=lambda t: (order.get(t.id, len(order)), t.id))
    return KnowledgeBase(
        topics=tuple(topics),
        out_of_scope=out_of_scope,
        version=digest.hexdigest()[:12],
        root=str(root),
        warnings=tuple(str(p) for p in problems),
    )


def _entry(e: EntrySchema, topic: str, display: str, line: int) -> Entry:
    return Entry(**vars(e), topic=topic, file=display, line=line)
