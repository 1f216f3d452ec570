"""The decision policy: topic probabilities in, a decision out (a topic, or abstain and why).

Kept apart from the estimator so the thresholds can be tuned, tested and explained on their
own, and so any classifier that gives probabilities can sit behind them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np

NONE_LABEL = "__none__"
"""The label of out-of-scope training examples: predicting it means abstaining."""

Abstention = Literal["out_of_scope", "unsure"]


@dataclass(frozen=True)
class Prediction:
    """The decision for one text.

    `label` is None when the policy abstains, and `abstained` says why: the text is out of
    scope, or no topic is likely enough. `ranked` lists every topic with its probability,
    best first (the out-of-scope label is left out).
    """

    label: str | None
    confidence: float
    ranked: tuple[tuple[str, float], ...]
    ambiguous: bool
    abstained: Abstention | None
    none_probability: float = 0.0

    @property
    def out_of_scope(self) -> bool:
        return self.abstained == "out_of_scope"


@dataclass(frozen=True)
class DecisionPolicy:
    """When to answer, when to abstain, and when two topics are too close to call."""

    abstain_below: float = 0.20
    """Below this probability for the best topic, the advisor is unsure and asks."""
    ambiguous_margin: float = 0.10
    """Closer than this between the top two topics, the answer is ambiguous."""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    def decide(self, probabilities: np.ndarray, classes: Sequence[str],
               reshaped: np.ndarray | None = None) -> Prediction:
        """Decide for one row of probabilities."""
        return self.decide_many(np.atleast_2d(probabilities), classes,
                                None if reshaped is None else np.atleast_2d(reshaped))[0]

    def decide_many(self, probabilities: np.ndarray, classes: Sequence[str],
                    reshaped: np.ndarray | None = None) -> list[Prediction]:
        """Decide for each row (columns in `classes` order; sorted once for the matrix).

        Every figure comes from the classifier's own `probabilities` (the confidence users
        see, out of scope, unsure, how close a call). `reshaped` scores, when given (the same
        probabilities sharpened by other evidence), only order the topics: evidence can pick
        between topics, but never talks the advisor into answering or into sounding sure.
        A topic the evidence puts ahead of the classifier's own favourite is a close call.
        """
        classes = tuple(classes)
        none_i = classes.index(NONE_LABEL) if NONE_LABEL in classes else -1
        topic_cols = np.array([i for i in range(len(classes)) if i != none_i], dtype=np.intp)
        topics = probabilities[:, topic_cols]
        order_by = topics if reshaped is None else reshaped[:, topic_cols]
        order = np.argsort(-order_by, axis=1, kind="stable")
        names = np.array([classes[i] for i in topic_cols], dtype=object)[order].tolist()
        by_order = np.take_along_axis(topics, order, axis=1)
        # the best probability among the topics after the first in order: how close a call
        rival = by_order[:, 1:].max(axis=1) if by_order.shape[1] > 1 else np.zeros(len(topics))
        first = by_order[:, 0] if by_order.shape[1] else np.zeros(len(topics))
        ambiguous = (first - rival < self.ambiguous_margin).tolist()
        sorted_p = by_order.tolist()
        top_p = topics.max(axis=1).tolist() if len(topic_cols) else [0.0] * len(topics)
        none_p = probabilities[:, none_i].tolist() if none_i >= 0 else [0.0] * len(topics)
        none_wins = (probabilities.argmax(axis=1) == none_i).tolist() if none_i >= 0 \
            else [False] * len(topics)
        out = []
        for row_names, row_p, row_none, out_of_scope, top, close in zip(
                names, sorted_p, none_p, none_wins, top_p, ambiguous, strict=True):
            ranked = tuple(zip(row_names, row_p, strict=True))
            best, best_p = ranked[0] if ranked else (None, 0.0)
            if out_of_scope:
                out.append(Prediction(None, best_p, ranked, False, "out_of_scope", row_none))
            elif top < self.abstain_below:
                out.append(Prediction(None, best_p, ranked, False, "unsure", row_none))
            else:
                out.append(Prediction(best, best_p, ranked, close, None, row_none))
        return out
