"""Batch runs: questions from a stream in, one JSON line per answer out, in order.

Answers are vectorised a chunk at a time; a line repeated within a chunk is answered and
encoded once (a replayed log repeats its common questions; the answer depends on the text
alone). With more than one chunk, chunks are answered in worker processes forked after the
model is loaded (one per core by default), with at most two chunks in flight per worker so
memory stays bounded however long the input is. Workers hand back each chunk as UTF-8
bytes, which the main process writes as they are (a str would be encoded to cross the pipe,
decoded, then encoded again to be written).
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator

from bot.advisor import Advisor
from bot.answer_json import answer_json_line
from bot.long_lived import frozen

CHUNK = 2000

_advisor: Advisor | None = None  # set before forking; the workers inherit it


def default_jobs() -> int:
    """One worker per core this process may run on."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def _chunks(lines: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(lines)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _answer_chunk(lines: list[str]) -> bytes:
    """The chunk's JSON lines as UTF-8, each distinct line answered once."""
    assert _advisor is not None
    distinct = list(dict.fromkeys(lines))
    answers = _advisor.answer_many(distinct, chunk=len(distinct))
    encoded = {line: answer_json_line(a) + "\n" for line, a in zip(distinct, answers, strict=True)}
    return "".join(encoded[line] for line in lines).encode()


def answer_stream(advisor: Advisor, lines: Iterable[str], write: Callable[[bytes], object], *,
                  jobs: int = 1, chunk: int = CHUNK) -> None:
    """Answer every line and `write` the JSON lines in input order, as UTF-8 bytes."""
    global _advisor
    _advisor = advisor
    chunks = _chunks(lines, chunk)
    head = list(itertools.islice(chunks, 2))
    with frozen():  # the loaded model out of the collector's sight (`bot.long_lived`)
        if jobs <= 1 or len(head) < 2:
            for c in itertools.chain(head, chunks):
                write(_answer_chunk(c))
            return
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            pending: deque = deque()
            for c in itertools.chain(head, chunks):
                pending.append(pool.apply_async(_answer_chunk, (c,)))
                if len(pending) >= 2 * jobs:
                    write(pending.popleft().get())
            while pending:
                write(pending.popleft().get())
