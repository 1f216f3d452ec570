"""One JSON line per `Answer`, fast enough for batch runs of 100,000 questions.

The text is exactly `json.dumps(answer.to_json(), ensure_ascii=False)` (a test checks it);
the parts that depend only on an entry (id, title, topic; summary, actions, pitfall, sources)
are encoded once per entry and reused, which halves the cost of writing an answer.
"""

from __future__ import annotations

import json

from bot.answer import Answer, entry_json, option_json
from knowledge.models import Entry

_encode = json.JSONEncoder(ensure_ascii=False).encode
_parts: dict[int, tuple[Entry, str, str]] = {}
MAX_CACHED = 100_000


def _entry_parts(entry: Entry) -> tuple[str, str]:
    """The encoded recommendation before its score, and after its `why`."""
    cached = _parts.get(id(entry))
    if cached is not None and cached[0] is entry:
        return cached[1], cached[2]
    head = (f'{{"id": {_encode(entry.id)}, "title": {_encode(entry.title)}, '
            f'"topic": {_encode(entry.topic)}, "score": ')
    tail = _encode(entry_json(entry))[1:]  # '"summary": …}' without the opening brace
    if len(_parts) >= MAX_CACHED:
        _parts.clear()
    _parts[id(entry)] = (entry, head, tail)  # holding the entry keeps its id from being reused
    return head, tail


def _number(value: float) -> str:
    return repr(round(value, 4))


def answer_json_line(answer: Answer) -> str:
    """`answer.to_json()` as one line of JSON, without the newline."""
    recommendations = []
    for r in answer.recommendations:
        head, tail = _entry_parts(r.entry)
        recommendations.append(f"{head}{_number(r.score)}, \"why\": {_encode(r.why)}, {tail}")
    alternatives = ", ".join(
        f'{{"topic": {_encode(a.topic.id)}, "confidence": {_number(a.confidence)}}}'
        for a in answer.alternatives
    )
    options = ", ".join(_encode(option_json(o)) for o in answer.options)
    topic = _encode(answer.topic.id) if answer.topic else "null"
    abstained = _encode(answer.abstention) if answer.abstention else "null"
    return (f'{{"question": {_encode(answer.question)}, "topic": {topic}, '
            f'"confidence": {_number(answer.confidence)}, '
            f'"ambiguous": {"true" if answer.ambiguous else "false"}, '
            f'"abstained": {abstained}, "shortened": {"true" if answer.shortened else "false"}, '
            f'"alternatives": [{alternatives}], "options": [{options}], '
            f'"recommendations": [{", ".join(recommendations)}]}}')
