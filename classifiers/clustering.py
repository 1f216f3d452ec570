"""Group short texts by similarity: TF-IDF cosine and average-linkage agglomerative clustering.

Deterministic: the same texts in the same order give the same clusters, in the same order.
Texts may be vectorised by a caller's fitted feature space (e.g. the topic model's), or by
a TF-IDF fitted on the texts themselves; given several views, two texts are as similar as
they are in the view that finds them closest (e.g. the same strategies, or the same words).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

Vectorize = Callable[[Sequence[str]], sparse.csr_matrix]

MIN_SIMILARITY = 0.35
"""Average cosine similarity two groups need to be merged."""


@dataclass(frozen=True)
class Cluster:
    """Indices of similar texts (ascending) and the most central one, the medoid."""

    members: tuple[int, ...]
    representative: int

    @property
    def size(self) -> int:
        return len(self.members)


def tfidf_vectors(texts: Sequence[str]) -> sparse.csr_matrix:
    """L2-normalised word (1–2) and character (3–5, within words) TF-IDF rows."""
    parts = [
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode",
                        stop_words="english", token_pattern=r"(?u)\b\w\w+\b"),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True,
                        strip_accents="unicode"),
    ]
    blocks = []
    for vectorizer in parts:
        try:
            blocks.append(vectorizer.fit_transform(list(texts)))
        except ValueError:  # nothing but stop words or punctuation
            continue
    if not blocks:
        return sparse.csr_matrix((len(texts), 1))
    return normalize(sparse.hstack(blocks).tocsr())


def similarity_matrix(x: sparse.csr_matrix) -> np.ndarray:
    """Cosine similarities between the (already normalised) rows of `x`."""
    sim = np.asarray((x @ x.T).todense(), dtype=np.float64)
    np.clip(sim, 0.0, 1.0, out=sim)
    return sim


def cluster_texts(
    texts: Sequence[str],
    *,
    min_similarity: float = MIN_SIMILARITY,
    vectorize: Vectorize | Sequence[Vectorize] | None = None,
) -> list[Cluster]:
    """Clusters of `texts`, largest first (ties: earliest representative first)."""
    if not 0.0 < min_similarity <= 1.0:
        raise ValueError("min_similarity must be in (0, 1]")
    n = len(texts)
    if n == 0:
        return []
    if n == 1:
        return [Cluster((0,), 0)]
    views = [vectorize] if callable(vectorize) else list(vectorize or [tfidf_vectors])
    sim = similarity_matrix(normalize(views[0](list(texts))))
    for view in views[1:]:
        np.maximum(sim, similarity_matrix(normalize(view(list(texts)))), out=sim)
    labels = _agglomerate(sim, 1.0 - min_similarity)
    clusters = []
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        clusters.append(Cluster(tuple(int(i) for i in members), _medoid(sim, members)))
    clusters.sort(key=lambda c: (-c.size, c.representative))
    return clusters


def _agglomerate(sim: np.ndarray, max_distance: float) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering

    distance = 1.0 - sim
    np.fill_diagonal(distance, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None,
        metric="precomputed",
        linkage="average",
        distance_threshold=max(max_distance, 1e-9),
    )
    return model.fit_predict(distance)


def _medoid(sim: np.ndarray, members: np.ndarray) -> int:
    """The member most similar, on average, to the others (ties: the earliest)."""
    if len(members) == 1:
        return int(members[0])
    block = sim[np.ix_(members, members)]
    scores = block.sum(axis=1)
    return int(members[int(np.argmax(scores))])
