"""TF-IDF (word + character n-grams) into a multinomial logistic regression, with abstention.

Why this model: the training data is a few hundred short, informal chat messages. Word
n-grams carry topic vocabulary; character n-grams (within word boundaries) survive typos,
inflections and compound words. Logistic regression gives calibrated-enough probabilities
to abstain on, trains in a fraction of a second, and predicts in about a millisecond.
`advisor eval --cv 5` prints the cross-validation figures behind this choice (README).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Self

import numpy as np
from scipy import sparse

from classifiers.vectorize import CompiledTfidf, l2_normalize

NONE_LABEL = "__none__"
"""The label of out-of-scope training examples: predicting it means abstaining."""


@dataclass(frozen=True)
class Params:
    """Every hyper-parameter of the topic model, in one place."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (2, 5)
    C: float = 30.0
    class_weight: str | None = "balanced"
    abstain_below: float = 0.20
    ambiguous_margin: float = 0.10
    solver: str = "newton-cg"
    max_iter: int = 3000
    random_state: int = 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class Prediction:
    """The decision for one text.

    `label` is None on abstention; `ranked` lists every real label with its probability,
    best first (the out-of-scope label is left out).
    """

    label: str | None
    confidence: float
    ranked: tuple[tuple[str, float], ...]
    ambiguous: bool
    out_of_scope: bool
    none_probability: float = 0.0
    extra: dict[str, float] = field(default_factory=dict, compare=False)


class NotFittedError(RuntimeError):
    """The model was asked to predict before `fit`."""


class TopicClassifier:
    """Fit on labelled texts; predict a topic or abstain."""

    def __init__(self, params: Params | None = None):
        self.params = params or Params()
        self._features: tuple[CompiledTfidf, ...] = ()
        self._coef: np.ndarray | None = None
        self._intercept: np.ndarray | None = None
        self.classes_: tuple[str, ...] = ()

    def _build_features(self) -> tuple[Any, ...]:
        from sklearn.feature_extraction.text import TfidfVectorizer

        p = self.params
        return (
            TfidfVectorizer(
                ngram_range=p.word_ngrams,
                sublinear_tf=True,
                lowercase=True,
                strip_accents="unicode",
                token_pattern=r"(?u)\b\w+\b",
                dtype=np.float32,
            ),
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=p.char_ngrams,
                sublinear_tf=True,
                lowercase=True,
                strip_accents="unicode",
                min_df=2,
                dtype=np.float32,
            ),
        )

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> Self:
        """Learn from texts and their labels (use `NONE_LABEL` for out of scope)."""
        if len(texts) != len(labels) or not texts:
            raise ValueError("fit needs as many labels as texts, and at least one of each")
        # Imported here: serving only needs the learnt weights, and these imports are slow.
        from sklearn.linear_model import LogisticRegression

        p = self.params
        vectorizers = self._build_features()
        texts = list(texts)
        x = l2_normalize(sparse.hstack([v.fit_transform(texts) for v in vectorizers]).tocsr())
        model = LogisticRegression(
            C=p.C,
            solver=p.solver,
            class_weight=p.class_weight,
            max_iter=p.max_iter,
            random_state=p.random_state,
        ).fit(x, list(labels))
        if len(model.classes_) < 3:
            raise ValueError("fit needs at least three labels (two topics and out-of-scope)")
        self._coef = np.ascontiguousarray(model.coef_.T, dtype=np.float64)
        self._intercept = model.intercept_.astype(np.float64)
        self.classes_ = tuple(str(c) for c in model.classes_)
        self._features = tuple(CompiledTfidf.from_sklearn(v) for v in vectorizers)
        return self

    @property
    def is_fitted(self) -> bool:
        return self._coef is not None

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The L2-normalised feature vectors of `texts` (shared with the entry ranker)."""
        if not self._features:
            raise NotFittedError("the topic model has not been fitted")
        texts = list(texts)
        return l2_normalize(sparse.hstack([f.transform(texts) for f in self._features]).tocsr())

    def proba(self, x: sparse.csr_matrix) -> np.ndarray:
        """Class probabilities for feature rows, columns in `classes_` order.

        The multinomial logistic model's softmax, computed from its learnt weights.
        """
        if self._coef is None or self._intercept is None:
            raise NotFittedError("the topic model has not been fitted")
        scores = np.asarray(x @ self._coef) + self._intercept
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores

    def decide(self, probabilities: np.ndarray) -> Prediction:
        """Turn one row of probabilities into a decision: a label, or abstain."""
        return self.decide_many(np.atleast_2d(probabilities))[0]

    def decide_many(self, probabilities: np.ndarray) -> list[Prediction]:
        """Decide for each row of probabilities (sorted once for the whole matrix)."""
        p = self.params
        classes = self.classes_
        none_i = classes.index(NONE_LABEL) if NONE_LABEL in classes else -1
        topic_cols = np.array([i for i in range(len(classes)) if i != none_i])
        topics = probabilities[:, topic_cols]
        order = np.argsort(-topics, axis=1, kind="stable")
        names = np.array([classes[i] for i in topic_cols], dtype=object)[order].tolist()
        sorted_p = np.take_along_axis(topics, order, axis=1).tolist()
        none_p = probabilities[:, none_i].tolist() if none_i >= 0 else [0.0] * len(topics)
        none_wins = (probabilities.argmax(axis=1) == none_i).tolist()
        out = []
        for row_names, row_p, row_none, out_of_scope in zip(names, sorted_p, none_p, none_wins,
                                                             strict=True):
            ranked = tuple(zip(row_names, row_p, strict=True))
            best, best_p = ranked[0] if ranked else (None, 0.0)
            if out_of_scope:
                out.append(Prediction(None, best_p, ranked, False, True, row_none))
            elif best_p < p.abstain_below:
                out.append(Prediction(None, best_p, ranked, False, False, row_none))
            else:
                second_p = ranked[1][1] if len(ranked) > 1 else 0.0
                ambiguous = best_p - second_p < p.ambiguous_margin
                out.append(Prediction(best, best_p, ranked, ambiguous, False, row_none))
        return out

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Decide for each text."""
        if not texts:
            return []
        return self.decide_many(self.proba(self.transform(texts)))
