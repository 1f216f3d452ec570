"""Rank entries within a topic by cosine similarity to the question."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.preprocessing import normalize


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
        self._groups = {
            g: (tuple(keys), normalize(sparse.vstack(rows)).tocsr().astype(np.float32))
            for g, (keys, rows) in by_group.items()
        }
        return self

    def rank(self, group: str, x: sparse.csr_matrix, *, top: int = 3) -> list[list[RankedItem]]:
        """For each row of `x`, the `top` items of `group`, best first."""
        keys, matrix = self._groups[group]
        scores = (x @ matrix.T).toarray()
        out = []
        k = min(top, len(keys))
        for row in scores:
            idx = np.argpartition(-row, k - 1)[:k] if k < len(keys) else np.arange(len(keys))
            idx = idx[np.lexsort((idx, -row[idx]))]
            out.append([RankedItem(keys[i], float(max(0.0, min(1.0, row[i])))) for i in idx])
        return out
