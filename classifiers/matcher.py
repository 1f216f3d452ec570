"""The matching model as one object: featurizer → topic classifier → decision policy, and the
entry ranker, all reading the same feature rows.

`Matcher.fit` trains every part on a `TrainingSet`; `Matcher.match` vectorises questions
once and returns, per question, the topic decision and the entries ranked across topics.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Self

import numpy as np
from scipy import sparse

from classifiers.features import FeatureParams, Featurizer, NotFittedError
from classifiers.policy import NONE_LABEL, DecisionPolicy, Prediction
from classifiers.ranker import EntryRanker, RankedItem, RankerItem, RankerParams
from classifiers.topic import ClassifierParams, TopicClassifier
from classifiers.vectorize import l2_normalize, row_sums


@dataclass(frozen=True)
class ModelParams:
    """Every hyper-parameter of the matching model, in one place."""

    features: FeatureParams = field(default_factory=FeatureParams)
    classifier: ClassifierParams = field(default_factory=ClassifierParams)
    policy: DecisionPolicy = field(default_factory=DecisionPolicy)
    ranker: RankerParams = field(default_factory=RankerParams)
    entry_evidence: float = 8.0
    """How much the best entry match of each topic reshapes the classifier's in-scope topic
    probabilities (0: the classifier alone). Cross-validated on the shipped base's situations,
    3 lifted topic top-1 from 0.79 to 0.83 on the first base, and 8 is best on today's
    (`python bench/model_selection.py`)."""

    def as_dict(self) -> dict[str, object]:
        return {"features": self.features.as_dict(), "classifier": self.classifier.as_dict(),
                "policy": self.policy.as_dict(), "ranker": self.ranker.as_dict(),
                "entry_evidence": self.entry_evidence}


@dataclass(frozen=True)
class TrainingSet:
    """Labelled texts for the topic classifier (label `NONE_LABEL`: out of scope), with a
    weight each, and the entries the ranker learns."""

    texts: Sequence[str]
    labels: Sequence[str]
    items: Sequence[RankerItem]
    weights: Sequence[float] | None = None


@dataclass(frozen=True)
class Match:
    """One question's topic decision and its entries, best first, across topics."""

    prediction: Prediction
    entries: tuple[RankedItem, ...]


class Matcher:
    """Fit once on a training set; match questions to topics and entries."""

    def __init__(self, params: ModelParams | None = None):
        self.params = params or ModelParams()
        self.featurizer = Featurizer(self.params.features)
        self.classifier = TopicClassifier(self.params.classifier)
        self.ranker = EntryRanker(self.params.ranker)

    def fit(self, data: TrainingSet) -> Self:
        if len(data.texts) != len(data.labels) or not data.texts:
            raise ValueError("fit needs as many labels as texts, and at least one of each")
        x = self.featurizer.fit_transform(data.texts)
        weights = None if data.weights is None else np.asarray(data.weights, dtype=np.float64)
        self.classifier.fit(x, data.labels, sample_weight=weights)
        row = {}
        for i, text in enumerate(data.texts):
            row.setdefault(text, i)

        def rows(texts: Sequence[str]) -> sparse.csr_matrix:
            """The training rows of texts already vectorised; the rest transformed."""
            if all(t in row for t in texts):
                return x[[row[t] for t in texts]]
            return self.featurizer.transform(texts)

        self.ranker.fit(data.items, rows)
        return self

    @property
    def is_fitted(self) -> bool:
        return self.featurizer.is_fitted and self.classifier.is_fitted and self.ranker.is_fitted

    @property
    def policy(self) -> DecisionPolicy:
        return self.params.policy

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The feature rows of `texts` (shared with gap clustering)."""
        return self.featurizer.transform(texts)

    def out_of_scope_probability(self, texts: Sequence[str]) -> np.ndarray:
        """The topic classifier's probability that each text is out of scope."""
        return self.out_of_scope_of(self.transform(texts))

    def out_of_scope_of(self, x: sparse.csr_matrix) -> np.ndarray:
        """`out_of_scope_probability` of texts already vectorised (`transform`)."""
        if not self.is_fitted:
            raise NotFittedError("the matcher has not been fitted")
        classes = list(self.classifier.classes_)
        if NONE_LABEL not in classes:
            return np.zeros(x.shape[0])
        return self.classifier.proba(x)[:, classes.index(NONE_LABEL)]

    def meaning(self, texts: Sequence[str], *, top: int = 3, power: float = 4.0,
                lexical: float = 0.5, sure_match: float = 0.3) -> sparse.csr_matrix:
        """Rows that put texts about the same problem close together, whatever their words.

        Each row is the text's `top` best-matching entries (match ** `power`, L2-normalised,
        weighed by its best match over `sure_match`, at most 1), then its feature row weighed
        by `lexical`. Two questions that share few words but land on the same strategies are
        near; a question the base barely matches (new vocabulary, out of scope) leans on its
        words instead. Gap clustering groups on these rows (`bench/clustering.py`)."""
        return self.meaning_of(self.transform(texts), top=top, power=power, lexical=lexical,
                               sure_match=sure_match)

    def meaning_of(self, x: sparse.csr_matrix, *, top: int = 3, power: float = 4.0,
                   lexical: float = 0.5, sure_match: float = 0.3) -> sparse.csr_matrix:
        """`meaning` of texts already vectorised (`transform`)."""
        if not self.is_fitted:
            raise NotFittedError("the matcher has not been fitted")
        match = self.ranker.match(x)[0].astype(np.float64)
        k = min(top, match.shape[1])
        idx = np.argpartition(-match, k - 1, axis=1)[:, :k]
        rows = np.repeat(np.arange(match.shape[0]), k)
        values = np.power(np.take_along_axis(match, idx, axis=1), power).ravel()
        profile = l2_normalize(sparse.csr_matrix((values, (rows, idx.ravel())), shape=match.shape))
        sureness = np.clip(match.max(axis=1) / sure_match, 0.0, 1.0)
        return sparse.hstack([sparse.diags(sureness) @ profile, x * lexical], format="csr")

    def match(self, texts: Sequence[str], *, top: int = 3,
              only_group: str | None = None) -> list[Match]:
        """Decide and rank for each text; `only_group` ranks within one topic only."""
        if not self.is_fitted:
            raise NotFittedError("the matcher has not been fitted")
        if not texts:
            return []
        x = self.featurizer.transform(texts)
        matched = self.ranker.match(x)
        raw = self.classifier.proba(x)
        proba = self.reshape(raw, self.ranker.best_per_group(matched[0]))
        predictions = self.policy.decide_many(raw, self.classifier.classes_, proba)
        col = {c: i for i, c in enumerate(self.classifier.classes_)}
        ranked = self.ranker.rank(x, _aligned(proba, col, self.ranker.groups), top=top,
                                  only_group=only_group, matched=matched)
        return [Match(p, tuple(r)) for p, r in zip(predictions, ranked, strict=True)]

    def reshape(self, proba: np.ndarray, best: np.ndarray) -> np.ndarray:
        """The classifier's probabilities, its in-scope share redistributed by each topic's
        best entry match (`best`: questions × `ranker.groups`); out of scope is unchanged."""
        proba = proba.copy()
        b = self.params.entry_evidence
        if not b:
            return proba
        classes = self.classifier.classes_
        index = {g: j for j, g in enumerate(self.ranker.groups)}
        cols = [i for i, c in enumerate(classes) if c in index]
        topics = proba[:, cols]
        share = row_sums(topics)
        evidence = np.power(np.clip(best[:, [index[classes[i]] for i in cols]], 1e-6, 1.0), b)
        reshaped = topics * evidence
        total = row_sums(reshaped)
        total[total == 0] = 1.0
        proba[:, cols] = reshaped / total * share
        return proba


def _aligned(proba: np.ndarray, col: dict[str, int], groups: Sequence[str]) -> np.ndarray:
    """Probability columns in `groups` order (0 for a group the classifier never saw)."""
    out = np.zeros((proba.shape[0], len(groups)), dtype=np.float64)
    for j, g in enumerate(groups):
        if g in col:
            out[:, j] = proba[:, col[g]]
    return out


__all__ = ["NONE_LABEL", "Match", "Matcher", "ModelParams", "TrainingSet"]
