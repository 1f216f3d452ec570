"""The `Answer`: computed once, without Slack, and rendered by every surface."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.cleaning import has_words
from knowledge.models import Entry, Topic


@dataclass(frozen=True)
class TopicScore:
    """A candidate topic and the model's probability for it."""

    topic: Topic
    confidence: float


@dataclass(frozen=True)
class Recommendation:
    """An entry of the chosen topic and its similarity to the question (0–1)."""

    entry: Entry
    score: float


@dataclass(frozen=True)
class Answer:
    """What the advisor said about one question.

    `topic` is None when the advisor abstains (out of scope or unsure); then
    `recommendations` is empty. `ambiguous` means the top two topics were too close
    to call, and the surfaces should offer `alternatives[0]` as the other choice.
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

    @property
    def abstained(self) -> bool:
        return self.topic is None

    @property
    def is_empty(self) -> bool:
        """True when there was nothing to answer (empty, whitespace, no letters)."""
        return not has_words(self.question)

    @property
    def confidence_band(self) -> str:
        """The confidence in words, as users see it."""
        return confidence_band(self.confidence)

    @property
    def candidate_topics(self) -> tuple[Topic, ...]:
        """The topics to offer when ambiguous: the chosen one and the runner-up."""
        if self.topic is None:
            return ()
        return (self.topic, *(a.topic for a in self.alternatives[:1]))

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of `advisor ask --json`."""
        return {
            "question": self.question,
            "topic": self.topic.id if self.topic else None,
            "confidence": round(self.confidence, 4),
            "ambiguous": self.ambiguous,
            "alternatives": [
                {"topic": a.topic.id, "confidence": round(a.confidence, 4)}
                for a in self.alternatives
            ],
            "recommendations": [
                {
                    "id": r.entry.id,
                    "title": r.entry.title,
                    "topic": r.entry.topic,
                    "score": round(r.score, 4),
                    "summary": r.entry.summary,
                    "actions": list(r.entry.actions),
                }
                for r in self.recommendations
            ],
        }


def confidence_band(confidence: float) -> str:
    """Map a probability to the words users see: high, medium or low."""
    if confidence >= 0.7:
        return "high"
    if confidence >= 0.45:
        return "medium"
    return "low"
