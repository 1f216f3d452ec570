"""The `Answer`: computed once, without Slack, and rendered by every surface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.answer_json import answer_json
from bot.cleaning import has_words
from knowledge.models import Entry, Topic

LOW_CONFIDENCE = 0.45
"""Below this probability an answer's confidence is "low" (surfaces and reports say so)."""

Abstention = Literal["out_of_scope", "unsure"]


@dataclass(frozen=True)
class TopicScore:
    """A candidate topic and the model's probability for it."""

    topic: Topic
    confidence: float


@dataclass(frozen=True)
class Option:
    """A choice offered when the advisor is unsure: a topic and its best strategy there."""

    topic: Topic
    confidence: float
    entry: Entry | None = None


@dataclass(frozen=True)
class Recommendation:
    """An entry the advisor recommends (from any topic), with why it fits this question.

    `score` is the ranking score (match weighed by the topic's probability, 0–1);
    `closest` the curated situation nearest to the question; `terms` the question's own
    words that the entry's text shares, most telling first.
    """

    entry: Entry
    score: float
    closest: str = ""
    terms: tuple[str, ...] = ()

    @property
    def why(self) -> str:
        """One line on why this strategy fits the question."""
        parts = []
        if self.closest:
            parts.append(f'closest to "{self.closest}"')
        if self.terms:
            parts.append("matched " + ", ".join(self.terms))
        text = "; ".join(parts)
        return text[:1].upper() + text[1:]

    @property
    def pitfall(self) -> str | None:
        """The pitfall most worth knowing (the curators list it first)."""
        return self.entry.pitfalls[0] if self.entry.pitfalls else None


@dataclass(frozen=True)
class Answer:
    """What the advisor said about one question.

    `topic` is the classifier's decision, None when the advisor abstains (out of scope, or
    unsure); an unsure answer offers `options` to choose from instead of strategies, and an
    ambiguous or low-confidence one offers them beside its strategies. `recommendations` come from any topic,
    best first. `shortened` says the question was too long and was cut in the middle.
    """

    question: str
    topic: Topic | None
    confidence: float
    ambiguous: bool
    alternatives: tuple[TopicScore, ...]
    recommendations: tuple[Recommendation, ...]
    kb_version: str
    model_version: str
    out_of_scope: bool = False
    forced_topic: bool = False
    options: tuple[Option, ...] = ()
    shortened: bool = False

    @property
    def abstained(self) -> bool:
        return self.topic is None

    @property
    def abstention(self) -> Abstention | None:
        """Why the advisor abstained: "out_of_scope", "unsure", or None when it answered."""
        if self.topic is not None:
            return None
        return "out_of_scope" if self.out_of_scope else "unsure"

    @property
    def asks_to_choose(self) -> bool:
        """True when the surfaces should ask the user to pick one of `options`: the advisor
        is unsure, or answered a close call or below the low-confidence line."""
        return bool(self.options) and (self.abstention == "unsure" or self.ambiguous
                                       or self.confidence < LOW_CONFIDENCE)

    @property
    def lead(self) -> Recommendation | None:
        """The one strategy the answer leads with."""
        return self.recommendations[0] if self.recommendations else None

    @property
    def is_empty(self) -> bool:
        """True when there was nothing to answer (empty, whitespace, no letters)."""
        return not has_words(self.question)

    @property
    def confidence_band(self) -> str:
        """The confidence in words, as users see it."""
        return confidence_band(self.confidence)

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of `advisor ask --json` (`bot/answer_json.py`)."""
        return answer_json(self)


def confidence_percent(confidence: float) -> str:
    """The probability as users read it, never rounded up to a certainty: 0.77 → "77%",
    0.996 → ">99%", and "100%" only for 1."""
    shown = round(confidence * 100)
    return ">99%" if shown >= 100 and confidence < 1 else f"{shown}%"


def confidence_band(confidence: float) -> str:
    """Map a probability to the words users see: high, medium or low."""
    if confidence >= 0.7:
        return "high"
    if confidence >= LOW_CONFIDENCE:
        return "medium"
    return "low"
