"""Evaluation: per-label precision/recall/F1, confusion matrix, abstention, cross-validation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

ABSTAIN = "(abstain)"


@dataclass(frozen=True)
class LabelScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    """How predictions compare with gold labels; `None` in either means out of scope."""

    labels: tuple[str, ...]
    per_label: tuple[LabelScore, ...]
    confusion: tuple[tuple[int, ...], ...]
    accuracy_in_scope: float
    abstained_in_scope: float
    abstained_out_of_scope: float
    n_in_scope: int
    n_out_of_scope: int

    @property
    def macro_f1(self) -> float:
        scores = [s.f1 for s in self.per_label if s.support]
        return float(np.mean(scores)) if scores else 0.0


def evaluate(gold: Sequence[str | None], predicted: Sequence[str | None]) -> Report:
    """Compare predicted topics with gold topics (None = out of scope / abstained)."""
    g = [x or ABSTAIN for x in gold]
    p = [x or ABSTAIN for x in predicted]
    topics = sorted({x for x in g if x != ABSTAIN} | {x for x in p if x != ABSTAIN})
    labels = (*topics, ABSTAIN)
    prec, rec, f1, sup = precision_recall_fscore_support(
        g, p, labels=list(labels), zero_division=0
    )
    in_scope = [(a, b) for a, b in zip(g, p, strict=True) if a != ABSTAIN]
    out_scope = [b for a, b in zip(g, p, strict=True) if a == ABSTAIN]
    return Report(
        labels=labels,
        per_label=tuple(
            LabelScore(lbl, float(a), float(b), float(c), int(d))
            for lbl, a, b, c, d in zip(labels, prec, rec, f1, sup, strict=True)
        ),
        confusion=tuple(tuple(int(v) for v in row)
                        for row in confusion_matrix(g, p, labels=list(labels))),
        accuracy_in_scope=_rate(sum(a == b for a, b in in_scope), len(in_scope)),
        abstained_in_scope=_rate(sum(b == ABSTAIN for _, b in in_scope), len(in_scope)),
        abstained_out_of_scope=_rate(sum(b == ABSTAIN for b in out_scope), len(out_scope)),
        n_in_scope=len(in_scope),
        n_out_of_scope=len(out_scope),
    )


@dataclass(frozen=True)
class RankingReport:
    """How often a right entry comes first, or within the first three, and the mean
    reciprocal rank of the first right entry within the ranked list (0 when absent)."""

    hit_at_1: float
    hit_at_3: float
    mrr: float
    n: int
    depth: int


def ranking_scores(gold: Sequence[Sequence[str]], ranked: Sequence[Sequence[str]]
                   ) -> RankingReport:
    """Score ranked entry lists against the entries that would directly help.

    Items whose gold list is empty (nothing in the base fits) are left out.
    """
    pairs = [(set(g), list(r)) for g, r in zip(gold, ranked, strict=True) if g]
    depth = max((len(r) for _, r in pairs), default=0)
    ranks = [next((k for k, e in enumerate(r, 1) if e in g), 0) for g, r in pairs]
    n = len(ranks)
    return RankingReport(
        hit_at_1=_rate(sum(k == 1 for k in ranks), n),
        hit_at_3=_rate(sum(1 <= k <= 3 for k in ranks), n),
        mrr=sum(1 / k for k in ranks if k) / n if n else 0.0,
        n=n,
        depth=depth,
    )


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[str | None],
    fit_predict: Callable[[list[str], list[str | None], list[str]], list[Any]],
    *,
    folds: int = 5,
    random_state: int = 0,
    label_of: Callable[[Any], str | None] = lambda out: out,
) -> tuple[Report, list[Any]]:
    """Stratified K-fold: train on K-1 folds, predict the held-out one, pool the predictions.

    `fit_predict` may return richer outputs than a label (a label and a ranking, say);
    `label_of` gives the predicted label of one output for the topic report.
    """
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    y = np.array([x or ABSTAIN for x in labels])
    predicted: list[Any] = [None] * len(texts)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=random_state)
    for train, test in splitter.split(np.zeros(len(y)), y):
        out = fit_predict(
            [texts[i] for i in train], [labels[i] for i in train], [texts[i] for i in test]
        )
        for i, value in zip(test, out, strict=True):
            predicted[i] = value
    return evaluate(labels, [label_of(p) for p in predicted]), predicted


def _rate(n: int, d: int) -> float:
    return n / d if d else 0.0
