"""The topic classifier: feature rows in, class probabilities out (multinomial logistic regression).

The estimator is the only part that knows how topics are learnt: swapping it for another
model that gives probabilities means changing this module alone. Featurizing lives in
`classifiers.features`, the abstain/ambiguous decision in `classifiers.policy`.
Serving computes the softmax from the learnt weights, without scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Self

import numpy as np
from scipy import sparse

from classifiers.features import NotFittedError
from classifiers.vectorize import row_sums


@dataclass(frozen=True)
class ClassifierParams:
    """The estimator's hyper-parameters (`python bench/model_selection.py` shows the choice)."""

    C: float = 30.0
    class_weight: str | None = "balanced"
    solver: str = "newton-cg"
    max_iter: int = 1000
    tol: float = 1e-4
    random_state: int = 0
    max_rows: int = 12_000
    """Train on at most this many rows, sampled evenly per label: eleven classes need no more,
    and it keeps training a 10,000-entry base within seconds (the shipped base has fewer)."""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class TopicClassifier:
    """Fit on feature rows and labels; give each row a probability per class."""

    def __init__(self, params: ClassifierParams | None = None):
        self.params = params or ClassifierParams()
        self._coef: np.ndarray | None = None
        self._intercept: np.ndarray | None = None
        self.classes_: tuple[str, ...] = ()

    def fit(self, x: sparse.csr_matrix, labels: Sequence[str],
            sample_weight: np.ndarray | None = None) -> Self:
        """Learn from rows of `x` and their labels (at least three: two topics and "none")."""
        if x.shape[0] != len(labels) or not len(labels):
            raise ValueError("fit needs as many labels as rows, and at least one of each")
        if len(set(labels)) < 3:
            raise ValueError("fit needs at least three labels (two topics and out-of-scope)")
        from sklearn.linear_model import LogisticRegression  # slow import: training only

        p = self.params
        rows = _sample_per_label(labels, p.max_rows, p.random_state)
        if rows is not None:
            x = x[rows]
            labels = [labels[i] for i in rows]
            sample_weight = None if sample_weight is None else np.asarray(sample_weight)[rows]
        model = LogisticRegression(C=p.C, solver=p.solver, class_weight=p.class_weight,
                                   max_iter=p.max_iter, tol=p.tol, random_state=p.random_state)
        # Features that no training row uses get zero weight at the optimum of an L2-penalised
        # model: fit on the used columns only (the same solution, found faster), then widen.
        used = np.unique(x.indices)
        model.fit(x[:, used], list(labels), sample_weight=sample_weight)
        coef = np.zeros((x.shape[1], len(model.classes_)), dtype=np.float32)
        coef[used] = model.coef_.T
        self._coef = np.ascontiguousarray(coef)
        self._intercept = model.intercept_.astype(np.float32)
        self.classes_ = tuple(str(c) for c in model.classes_)
        return self

    @property
    def is_fitted(self) -> bool:
        return self._coef is not None

    def proba(self, x: sparse.csr_matrix) -> np.ndarray:
        """Class probabilities, one row per feature row, columns in `classes_` order."""
        if self._coef is None or self._intercept is None:
            raise NotFittedError("the topic classifier has not been fitted")
        scores = np.asarray(x @ self._coef, dtype=np.float64) + self._intercept
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= row_sums(scores)
        return scores


def _sample_per_label(labels: Sequence[str], limit: int, seed: int) -> np.ndarray | None:
    """Row indices of at most `limit` rows, as even across labels as their sizes allow;
    None when there are no more rows than `limit`."""
    if len(labels) <= limit:
        return None
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, label in enumerate(labels):
        by_label.setdefault(label, []).append(i)
    quota = limit // len(by_label)
    small = {k: v for k, v in by_label.items() if len(v) <= quota}
    spare = limit - sum(len(v) for v in small.values())
    large = {k: v for k, v in by_label.items() if k not in small}
    picked = [i for v in small.values() for i in v]
    for v in large.values():
        picked += rng.choice(v, size=min(len(v), spare // len(large)), replace=False).tolist()
    return np.sort(np.array(picked, dtype=np.intp))
