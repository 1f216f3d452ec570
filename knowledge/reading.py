"""The per-file pass: read one topic file or the out-of-scope file into validated values, the
line of each of its parts, and its problems with file:line."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.errors import Problem
from knowledge.schema import OutOfScopeSchema, TopicSchema

OUT_OF_SCOPE_FILE = "_out_of_scope.yaml"
MAX_FILE_BYTES = 2_000_000

Lines = dict[tuple[Any, ...], int]
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: same marks, faster


@dataclass(frozen=True)
class KbFile:
    """One file of the base after the per-file pass.

    `topic` (a topic file) or `examples` (the out-of-scope file) is set only when the file is
    valid on its own; `problems` are the file's own (unreadable, invalid YAML, schema errors,
    a topic id that is not the file name); `content` is its bytes, for the version hash.
    """

    path: Path
    display: str
    content: bytes
    problems: tuple[Problem, ...] = ()
    topic: TopicSchema | None = None
    examples: tuple[str, ...] | None = None
    lines: Lines = field(default_factory=dict, repr=False)

    def line(self, path: tuple[Any, ...]) -> int:
        """The line of the deepest part of `path` that exists in the file."""
        return _line(self.lines, path)


def read_kb_file(path: Path) -> KbFile:
    """Read and validate one file: a topic file, or the out-of-scope file by its name."""
    display = display_path(path)
    content = path.read_bytes()
    text, problem = _decoded(content, display)
    if problem:
        return KbFile(path, display, content, (problem,))
    reader = _Reader(display)
    data = reader.read(text or "")
    if reader.problems:
        return KbFile(path, display, content, tuple(reader.problems))
    if not isinstance(data, dict):
        return KbFile(path, display, content,
                      (Problem(display, 1, "expected a mapping at the top of the file"),))
    if path.name == OUT_OF_SCOPE_FILE:
        try:
            examples = tuple(OutOfScopeSchema.model_validate(data).examples)
        except ValidationError as exc:
            return KbFile(path, display, content, _schema_problems(exc, reader, data))
        return KbFile(path, display, content, examples=examples, lines=reader.lines)
    try:
        topic = TopicSchema.model_validate(data)
    except ValidationError as exc:
        return KbFile(path, display, content, _schema_problems(exc, reader, data))
    problems: tuple[Problem, ...] = ()
    if topic.id != path.stem:
        problems = (Problem(display, reader.line(("id",)),
                            f"id: topic id {topic.id!r} must match the file name {path.stem!r}"),)
    return KbFile(path, display, content, problems, topic=topic, lines=reader.lines)


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is below it, else as given."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


def _line(lines: Lines, path: tuple[Any, ...]) -> int:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


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
        return _line(self.lines, path)


def _decoded(raw: bytes, display: str) -> tuple[str | None, Problem | None]:
    if len(raw) > MAX_FILE_BYTES:
        return None, Problem(display, 1, f"file is {len(raw)} bytes; the limit is {MAX_FILE_BYTES}")
    if b"\x00" in raw:
        return None, Problem(display, 1, "binary file: expected UTF-8 YAML text")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Problem(display, line, "not valid UTF-8 text")


def _schema_problems(
    exc: ValidationError, reader: _Reader, data: dict[str, Any]
) -> tuple[Problem, ...]:
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
        field_name = ".".join(str(p) for p in field_loc if not isinstance(p, int)) or "entry"
        line = reader.line(loc[:-1] if err["type"] == "missing" else loc)
        problems.append(Problem(reader.display, line,
                                f"{prefix}{field_name}: {_pydantic_message(err)}"))
    return tuple(problems)


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
