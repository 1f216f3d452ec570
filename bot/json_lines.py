"""One JSON line per `Answer`, fast enough for batch runs of 100,000 questions.

The text is exactly `json.dumps(answer.to_json(), ensure_ascii=False)` (a test checks it);
the parts that depend only on an entry (id, title, topic, summary, actions) are encoded
once per entry and reused, which halves the cost of writing an answer.
"""

from __future__ import annotations

import json

from bot.answer import Answer
from knowledge.models import Entry

_encode = json.JSONEncoder(ensure_ascii=False).encode
_parts: dict[int, tuple[Entry, str, str]] = {}
MAX_CACHED = 100_000


def _entry_parts(entry: Entry) -> tuple[str, str]:
    """The encoded recommendation before and after its score."""
    cached = _parts.get(id(entry))
    if cached is not None and cached[0] is entry:
        return cached[1], cached[2]
    head = (f'{{"id": {_encode(entry.id)}, "title": {_encode(entry.title)}, '
            f'"topic": {_encode(entry.topic)}, "score": ')
    tail = f', "summary": {_encode(entry.summary)}, "actions": {_encode(list(entry.actions))}}}'
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
        recommendations.append(head + _number(r.score) + tail)
    alternatives = ", ".join(
        f'{{"topic": {_encode(a.topic.id)}, "confidence": {_number(a.confidence)}}}'
        for a in answer.alternatives
    )
    topic = _encode(answer.topic.id) if answer.topic else "null"
    return (f'{{"question": {_encode(answer.question)}, "topic": {topic}, '
            f'"confidence": {_number(answer.confidence)}, '
            f'"ambiguous": {"true" if answer.ambiguous else "false"}, '
            f'"alternatives": [{alternatives}], "recommendations": [{", ".join(recommendations)}]}}')
