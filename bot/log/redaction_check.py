"""How well redaction works on a labelled sample: recall per kind and over-redaction.

A sample item is a message and the personal data in it (`kind`, `value`, copied verbatim).
A value counts as caught when none of its words is left in the redacted text (beyond the
copies of that word the rest of the message holds), so "[name] Jones" is a miss. Over-
redaction is the share of the other words that redaction removed. `python bench/redaction.py`
prints the figures; a test holds the line on them.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.log.redaction import PLACEHOLDER, redact

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Labelled:
    text: str
    pii: tuple[tuple[str, str], ...]  # (kind, value)


@dataclass
class Figures:
    found: Counter[str] = field(default_factory=Counter)
    total: Counter[str] = field(default_factory=Counter)
    other_words: int = 0
    other_removed: int = 0
    clean_messages: int = 0
    clean_changed: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # kind, value, output

    def recall(self, kind: str | None = None) -> float:
        found = sum(self.found.values()) if kind is None else self.found[kind]
        total = sum(self.total.values()) if kind is None else self.total[kind]
        return found / total if total else 1.0

    @property
    def over_redaction(self) -> float:
        """Share of the words that are not personal data that redaction removed."""
        return self.other_removed / self.other_words if self.other_words else 0.0

    @property
    def clean_changed_share(self) -> float:
        """Share of messages without personal data that redaction changed at all."""
        return self.clean_changed / self.clean_messages if self.clean_messages else 0.0


def read_sample(path: Path) -> list[Labelled]:
    return read_sample_text(path.read_text(encoding="utf-8"))


def read_sample_text(text: str) -> list[Labelled]:
    """Items of `{text, pii: [{kind, value}]}` from YAML text."""
    items = yaml.safe_load(text)
    return [Labelled(i["text"], tuple((p["kind"], p["value"]) for p in i.get("pii") or ()))
            for i in items]


def score(sample: Sequence[Labelled], redactor: Callable[[str], str] = redact) -> Figures:
    """Recall per kind and over-redaction of `redactor` on `sample`."""
    figures = Figures()
    for item in sample:
        out = redactor(item.text)
        out_words = Counter(_WORDS.findall(PLACEHOLDER.sub(" ", out)))
        rest = item.text
        for _, value in item.pii:
            rest = rest.replace(value, " ")
        rest_words = Counter(_WORDS.findall(rest))
        for kind, value in item.pii:
            figures.total[kind] += 1
            leaked = [w for w in _WORDS.findall(value) if out_words[w] > rest_words[w]]
            if leaked:
                figures.misses.append((kind, value, out))
            else:
                figures.found[kind] += 1
        figures.other_words += sum(rest_words.values())
        figures.other_removed += sum((rest_words - out_words).values())
        if not item.pii:
            figures.clean_messages += 1
            figures.clean_changed += out != item.text
    return figures
