"""Write synthetic, valid knowledge bases of any size, for benchmarks and tests."""

from __future__ import annotations

import random
from pathlib import Path

import yaml

from knowledge.models import REQUIRED_TOPICS
from knowledge.sources import SEED_TITLES

_COMMON = (
    "we", "our", "team", "staff", "the", "new", "system", "project", "office", "how", "do",
    "i", "is", "not", "with", "about", "need", "help", "department", "council", "service",
)
_OUT = (
    "where is the printer", "reset my password please", "what's for lunch today",
    "is it going to rain", "good morning", "thanks a lot", "asdfgh", "when is payday",
    "book a meeting room", "my laptop is slow", "how many days of leave do i have",
    "who won the match", "parking permit renewal", "the coffee machine is broken",
)


def _words(rng: random.Random, n: int, prefix: str) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [prefix + "".join(rng.choice(letters) for _ in range(rng.randint(4, 9)))
            for _ in range(n)]


def write_synthetic_kb(
    root: Path, *, entries: int, situations: int = 10, seed: int = 0,
    topics: tuple[str, ...] = REQUIRED_TOPICS,
) -> Path:
    """Write `entries` entries spread over `topics` into `root` and return it."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    per_topic = max(4, entries // len(topics))
    source = next(iter(SEED_TITLES.items()))
    for t_index, topic in enumerate(topics):
        vocab = _words(rng, 60, topic[:2])
        docs = []
        for e in range(per_topic):
            pool = vocab * 2 + _words(rng, 6, f"e{e}") * 3 + list(_COMMON)

            def sentence(pool: list[str] = pool) -> str:
                return " ".join(rng.choice(pool) for _ in range(rng.randint(4, 14)))
            docs.append({
                "id": f"{topic}-entry-{e}",
                "title": f"Strategy {e} for {topic}",
                "summary": f"Do the thing number {e}. It helps with {rng.choice(vocab)}.",
                "situations": [sentence() for _ in range(situations)],
                "actions": [f"Step {k} of {e}: {sentence()}." for k in range(1, 5)],
                "sources": [{"title": source[1], "file": source[0]}],
                "owner": "Synthetic team",
                "last_reviewed": "2026-11-01",
                "review_every_days": 365,
            })
        body = {
            "id": topic,
            "title": f"Topic {t_index}: {topic}",
            "description": f"Synthetic topic {topic}. Generated for benchmarks and tests.",
            "entries": docs,
        }
        (root / f"{topic}.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    examples = [f"{rng.choice(_OUT)} {i}" for i in range(80)]
    (root / "_out_of_scope.yaml").write_text(yaml.safe_dump({"examples": examples}))
    return root
