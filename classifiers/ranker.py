"""Rank entries within a topic by cosine similarity to the question."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from classifiers.vectorize import l2_normalize


@dataclass(frozen=True)
class RankedItem:
    key: str
    score: float


class EntryRanker:
    """Holds one centroid vector per entry, grouped by topic.

    An entry's centroid is the normalised mean of its situations' and its own text's
    vectors, in the topic model's feature space, so a question is vectorised once.
    """

    def __init__(self) -> None:
        self._groups: dict[str, tuple[tuple[str, ...], sparse.csr_matrix]] = {}

    def fit(
        self,
        items: Sequence[tuple[str, str, Sequence[str]]],
        vectorize: Callable[[Sequence[str]], sparse.csr_matrix],
    ) -> EntryRanker:
        """`items` are (key, group, texts); `vectorize` maps texts to normalised rows."""
        texts: list[str] = []
        spans: list[tuple[str, str, int, int]] = []
        for key, group, item_texts in items:
            start = len(texts)
            texts.extend(item_texts)
            spans.append((key, group, start, len(texts)))
        x = vectorize(texts) if texts else sparse.csr_matrix((0, 0))
        by_group: dict[str, tuple[list[str], list[sparse.csr_matrix]]] = {}
        for key, group, start, end in spans:
            centroid = sparse.csr_matrix(x[start:end].mean(axis=0))
            keys, rows = by_group.setdefault(group, ([], []))
            keys.append(key)
            rows.append(centroid)
        # Stored transposed (features × entries) in CSR, so a question's few features pick
        # out the rows to add up: no transpose or format conversion per question.
        self._groups = {
            g: (tuple(keys), l2_normalize(sparse.vstack(rows)).T.tocsr().astype(np.float32))
            for g, (keys, rows) in by_group.items()
        }
        return self

    def rank(self, group: str, x: sparse.csr_matrix, *, top: int = 3) -> list[list[RankedItem]]:
        """For each row of `x`, the `top` items of `group`, best first."""
        keys, by_feature = self._groups[group]
        # Only the features these questions use matter: a dense block of them times the
        # matching rows of the (sparse) entry matrix beats a sparse-by-sparse product.
        cols = np.unique(x.indices)
        scores = np.asarray(x[:, cols].toarray() @ by_feature[cols])
        n = len(keys)
        k = min(top, n)
        if k < n:
            idx = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        else:
            idx = np.broadcast_to(np.arange(n), scores.shape)
        picked = np.take_along_axis(scores, idx, axis=1)
        order = np.lexsort((idx, -picked), axis=1)
        idx = np.take_along_axis(idx, order, axis=1).tolist()
        picked = np.clip(np.take_along_axis(picked, order, axis=1), 0.0, 1.0).tolist()
        return [
            [RankedItem(keys[i], s) for i, s in zip(row_idx, row_s, strict=True)]
            for row_idx, row_s in zip(idx, picked, strict=True)
        ]
