"""The JSON of an `Answer` (`advisor ask --json`): as a dict, and as one line for batches.

The shape is declared once, in parts: the answer's own fields, then per recommendation the
parts that depend only on its entry (`entry_head`, `entry_json`) around how it matched
(`match_json`). `answer_json_line` encodes the same parts and reuses each entry's encoded
parts, which halves the cost of a line in runs of 100,000 questions; its text is exactly
`json.dumps(answer_json(answer), ensure_ascii=False)` (a test checks it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.answer import Answer, Option, Recommendation
    from knowledge.models import Entry, Source

DIGITS = 4
MAX_CACHED = 100_000

_encode = json.JSONEncoder(ensure_ascii=False).encode
_parts: dict[int, tuple[Entry, str, str]] = {}


def answer_json(answer: Answer) -> dict[str, Any]:
    """The whole answer as a JSON-ready dict."""
    return {**_answer_head(answer),
            "recommendations": [recommendation_json(r) for r in answer.recommendations]}


def answer_json_line(answer: Answer) -> str:
    """`answer_json(answer)` encoded as one line, without the newline."""
    head = _encode(_answer_head(answer))[:-1]  # '{"question": …, "options": […]' unclosed
    recommendations = ", ".join(_recommendation_line(r) for r in answer.recommendations)
    return f'{head}, "recommendations": [{recommendations}]}}'


def confidence_json(confidence: float) -> float:
    """A probability to 4 decimals, never rounded up to a certainty (0.99996 → 0.9999)."""
    rounded = round(confidence, DIGITS)
    return min(rounded, 1 - 10**-DIGITS) if confidence < 1 else rounded


def _answer_head(answer: Answer) -> dict[str, Any]:
    """Every field of the answer before its recommendations."""
    return {
        "question": answer.question,
        "topic": answer.topic.id if answer.topic else None,
        "confidence": confidence_json(answer.confidence),
        "ambiguous": answer.ambiguous,
        "abstained": answer.abstention,
        "shortened": answer.shortened,
        "alternatives": [{"topic": a.topic.id, "confidence": confidence_json(a.confidence)}
                         for a in answer.alternatives],
        "options": [option_json(o) for o in answer.options],
    }


def recommendation_json(rec: Recommendation) -> dict[str, Any]:
    return {**entry_head(rec.entry), **match_json(rec), **entry_json(rec.entry)}


def entry_head(entry: Entry) -> dict[str, Any]:
    """The entry's part of a recommendation before how it matched."""
    return {"id": entry.id, "title": entry.title, "topic": entry.topic}


def match_json(rec: Recommendation) -> dict[str, Any]:
    """How the recommendation matched this question."""
    return {"score": round(rec.score, DIGITS), "why": rec.why}


def entry_json(entry: Entry) -> dict[str, Any]:
    """The entry's part of a recommendation after how it matched: what to do, and its sources."""
    return {
        "summary": entry.summary,
        "actions": list(entry.actions),
        "pitfall": entry.pitfalls[0] if entry.pitfalls else None,
        "sources": [source_json(s) for s in entry.sources],
    }


def source_json(source: Source) -> dict[str, Any]:
    if source.is_practice:
        return {"practice": source.title}
    return {"title": source.title, "file": source.file}


def option_json(option: Option) -> dict[str, Any]:
    return {"topic": option.topic.id, "confidence": confidence_json(option.confidence),
            "entry": option.entry.id if option.entry else None}


def _recommendation_line(rec: Recommendation) -> str:
    head, tail = _entry_parts(rec.entry)
    return f"{head}, {_encode(match_json(rec))[1:-1]}, {tail}"


def _entry_parts(entry: Entry) -> tuple[str, str]:
    """`entry_head` encoded without its closing brace, `entry_json` without its opening one."""
    cached = _parts.get(id(entry))
    if cached is not None and cached[0] is entry:
        return cached[1], cached[2]
    head = _encode(entry_head(entry))[:-1]
    tail = _encode(entry_json(entry))[1:]
    if len(_parts) >= MAX_CACHED:
        _parts.clear()
    _parts[id(entry)] = (entry, head, tail)  # holding the entry keeps its id from being reused
    return head, tail
