"""Rank entries across every topic: how well each entry matches, weighed by its topic's probability.

An entry's match blends two views of the same feature space: its nearest curated situation
(a question phrased like one situation should find that entry even when the rest of the
entry talks differently) and its centroid (the entry's texts as a whole: situations, title,
summary, actions). The final score multiplies the match by the topic model's probability for
the entry's topic raised to `topic_weight`, so a situation that spans two topics gets
strategies from both, and a near-miss topic no longer hides the right strategy.
The blend and the weight were chosen by measurement (`python bench/ranking.py`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Self

import numpy as np
from scipy import sparse

from classifiers.features import NotFittedError
from classifiers.vectorize import l2_normalize, sorted_unique

_NO_SITUATION = np.iinfo(np.intp).max
_scratch = threading.local()
"""A zeroed, feature-sized vector per thread for scoring shortlisted situations (left zeroed)."""
ROW_BLOCK = 64
"""Questions scored at once (`python bench/advise.py --row-blocks` times 1 to 256)."""
DENSE_CENTROIDS_BYTES = 64 * 2**20
"""Up to this size (features × entries, float32) the centroids are also held dense, built
after fitting and after loading, never saved: a question's product with them then reads
just its own features' rows, three to four times faster than gathering sparse rows (the
shipped base: 42 MB, built before the fork, so batch and server workers share it). Larger
bases keep only the sparse matrix."""
FULL_SCAN = 20_000
"""Up to this many situations, every situation is scored for every question. Beyond it (a
very large base), only the situations of the `SHORTLIST` entries whose centroids match best,
so one answer stays within milliseconds at 10,000 entries."""
SHORTLIST = 50
CENTROID_TERMS = 400
SITUATION_TERMS = 120
"""Beyond `FULL_SCAN` situations, each centroid (and each situation, `SITUATION_TERMS`) keeps
only its heaviest features: the common character n-grams every vector shares cost the most
and tell entries apart the least."""


@dataclass(frozen=True)
class RankerParams:
    nearest_weight: float = 0.3
    """Weight of the nearest situation against the centroid in an entry's match (0–1).
    Cross-validated, 0.4 scores 0.1 points higher on topic top-1 and hit@3, within the
    noise, but lost four dev questions' hit@3; 0.5 loses 0.7 points of hit@1."""
    topic_weight: float = 0.2
    """Exponent of the topic probability in the final score (0: ignore the topic model).
    Cross-validated, 0.2 keeps hit@1 of 0.5 and puts the right entry in the top three more
    often: a near-miss topic's right entry is less often pushed out (`bench/model_selection.py`)."""
    nearest_max_df: float = 0.08
    """Features in more than this share of the situations are left out of the
    nearest-situation scan (the centroids keep them). A question's common character n-grams
    and words each touch thousands of situations while telling them apart the least: leaving
    them out cuts the scan's work per question by three quarters, for 0.2 points of
    cross-validated topic top-1 and hit@1 (`python bench/ranking.py --nearest`)."""

    nearest_query_terms: int = 60
    """The nearest-situation scan reads only each question's this many heaviest features
    (0: all of them). A question's light features are its common words and n-grams, the ones
    with the longest lists of situations: reading only the heaviest 60 cuts the scan's work
    per question by four fifths with cross-validated topic top-1, hit@1 and hit@3 unchanged
    to within 0.003 (`python bench/ranking.py --nearest`). The centroids read every feature."""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True)
class RankedItem:
    """One entry for one question: final score, its match, and its nearest situation."""

    key: str
    group: str
    score: float
    match: float
    nearest: int
    """Index of the nearest situation within the entry's situations (-1: none)."""


@dataclass(frozen=True)
class RankerItem:
    """What the ranker learns about one entry."""

    key: str
    group: str
    situations: Sequence[str]
    texts: Sequence[str] = ()
    """The entry's other curated text (title, summary, actions, …): counts in the centroid."""


class EntryRanker:
    """Scores every entry for a question; fitted once on the entries' texts."""

    def __init__(self, params: RankerParams | None = None):
        self.params = params or RankerParams()
        self.keys: tuple[str, ...] = ()
        self.groups: tuple[str, ...] = ()
        self._entry_group: np.ndarray | None = None
        self._centroids_t: sparse.csr_matrix | None = None  # features × entries
        self._centroids_dense: np.ndarray | None = None  # the same, dense, if small enough
        self._situations_t: sparse.csr_matrix | None = None  # features × situations (full scan)
        self.nearest_scan_size = 0
        """Stored values the nearest-situation part of a full scan reads."""
        self._starts: np.ndarray | None = None  # first situation row of each entry
        self._has_situations: np.ndarray | None = None
        self._situations: sparse.csr_matrix | None = None  # situations × features, large bases
        self._counts: np.ndarray | None = None

    def fit(self, items: Sequence[RankerItem],
            vectorize: Callable[[Sequence[str]], sparse.csr_matrix]) -> Self:
        """Learn every item's situations and centroid in the featurizer's space."""
        if not items:
            raise ValueError("the ranker needs at least one entry")
        situations = [s for item in items for s in item.situations]
        texts = [t for item in items for t in item.texts]
        counts = np.array([len(i.situations) for i in items], dtype=np.intp)
        text_counts = np.array([len(i.texts) for i in items], dtype=np.intp)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.intp)
        s = vectorize(situations) if situations else None
        t = vectorize(texts) if texts else None
        n_features = (s if s is not None else t).shape[1]
        # each centroid is the mean of the entry's rows: a sparse (entries × rows) product
        parts = []
        for block, sizes in ((s, counts), (t, text_counts)):
            if block is None:
                continue
            total = np.maximum(counts + text_counts, 1).astype(np.float32)
            owner = np.repeat(np.arange(len(items)), sizes)
            weights = sparse.csr_matrix((1.0 / total[owner], (owner, np.arange(len(owner)))),
                                        shape=(len(items), block.shape[0]), dtype=np.float32)
            parts.append(weights @ block)
        centroids = sum(parts[1:], parts[0]).tocsr()
        self.keys = tuple(i.key for i in items)
        self.groups = tuple(dict.fromkeys(i.group for i in items))
        index = {g: n for n, g in enumerate(self.groups)}
        self._entry_group = np.array([index[i.group] for i in items], dtype=np.intp)
        centroids = l2_normalize(centroids)
        if len(situations) > FULL_SCAN:
            centroids = l2_normalize(_keep_heaviest(centroids, CENTROID_TERMS))
        # every situation scored per question (features × situations: the rows of a
        # question's features gathered, one product), or, on a very large base, the
        # shortlisted ones (situations × features, rows gathered per question)
        situations_t = sparse.csr_matrix((n_features, 0), dtype=np.float32)
        self._situations = None
        if s is not None:  # common features cost the scan the most and tell it the least
            skips = np.bincount(s.indices, minlength=n_features) > self.params.nearest_max_df * s.shape[0]
            if skips.any():
                s = (s @ sparse.diags((~skips).astype(s.dtype))).tocsr()
                s.eliminate_zeros()
        if s is not None and len(situations) > FULL_SCAN:
            self._situations = l2_normalize(_keep_heaviest(s.astype(np.float32).tocsr(),
                                                           SITUATION_TERMS))
        elif s is not None:
            situations_t = s.T.tocsr().astype(np.float32)
        self._centroids_t = centroids.T.tocsr().astype(np.float32)
        self._densify()
        self._situations_t = situations_t
        self.nearest_scan_size = situations_t.nnz
        self._counts = counts
        self._starts = starts
        self._has_situations = counts > 0
        return self

    @property
    def is_fitted(self) -> bool:
        return self._centroids_t is not None

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_centroids_dense"] = None  # rebuilt on load: 42 MB a model file needn't hold
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self._densify()

    def _densify(self) -> None:
        c = self._centroids_t
        small = c is not None and c.shape[0] * c.shape[1] * 4 <= DENSE_CENTROIDS_BYTES
        self._centroids_dense = c.toarray() if small else None

    def _centroid_scores(self, block: sparse.csr_matrix) -> np.ndarray:
        """`block @ centroids` as a dense float32 array (questions × entries)."""
        if self._centroids_dense is not None:
            return np.asarray(block @ self._centroids_dense, dtype=np.float32)
        assert self._centroids_t is not None
        return _product(block, self._centroids_t)

    def match(self, x: sparse.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
        """(match scores, nearest-situation indices), each questions × entries."""
        if self._centroids_t is None or self._situations_t is None or self._starts is None:
            raise NotFittedError("the entry ranker has not been fitted")
        n_entries = len(self.keys)
        out = np.zeros((x.shape[0], n_entries), dtype=np.float32)
        nearest = np.full((x.shape[0], n_entries), -1, dtype=np.intp)
        w = self.params.nearest_weight
        has = self._has_situations
        assert has is not None and self._counts is not None
        # the entries with situations: where each one's situations start in the scan, and
        # how many it has (an entry's situations are contiguous columns)
        heads, sizes = self._starts[has], self._counts[has]
        columns = np.arange(self._situations_t.shape[1])
        for lo in range(0, x.shape[0], ROW_BLOCK):
            block = x if x.shape[0] <= ROW_BLOCK else x[lo:lo + ROW_BLOCK]
            centroid = self._centroid_scores(block)
            score = (1.0 - w) * centroid
            if self._situations_t.shape[1]:
                query = _heaviest_per_row(block, self.params.nearest_query_terms)
                sims = (query @ self._situations_t).toarray()
                best = np.maximum.reduceat(sims, heads, axis=1)
                # the first of each entry's situations that reaches its best
                reaches = sims >= np.repeat(best, sizes, axis=1)
                first = np.minimum.reduceat(np.where(reaches, columns, len(columns)), heads, axis=1)
                score[:, has] += w * best
                nearest[lo:lo + ROW_BLOCK, has] = first - heads
            elif self._situations is not None:
                self._shortlisted(_heaviest_per_row(block, self.params.nearest_query_terms),
                                  centroid, score, nearest[lo:lo + ROW_BLOCK])
            else:  # no situations at all: the centroid is the whole match
                score += w * centroid
            out[lo:lo + ROW_BLOCK] = score
        np.clip(out, 0.0, 1.0, out=out)
        return out, nearest

    def _shortlisted(self, block: sparse.csr_matrix, centroid: np.ndarray, score: np.ndarray,
                     nearest: np.ndarray) -> None:
        """Add the nearest-situation part for each row's best-matching entries only.

        Works on the situation matrix's raw arrays: the picked entries' situations are
        contiguous rows, so their non-zeros are gathered without slicing the matrix.
        """
        sit = self._situations
        assert sit is not None and self._counts is not None and self._starts is not None
        w = self.params.nearest_weight
        k = min(SHORTLIST, centroid.shape[1])
        query = getattr(_scratch, "query", None)
        if query is None or query.shape[0] != sit.shape[1]:
            query = _scratch.query = np.zeros(sit.shape[1], dtype=np.float32)
        for r in range(block.shape[0]):
            picked = np.argpartition(-centroid[r], k - 1)[:k]
            picked = picked[self._counts[picked] > 0]
            if not len(picked):
                continue
            sizes = self._counts[picked]
            rows = _ranges(self._starts[picked], sizes)  # the picked entries' situations
            lo, hi = sit.indptr[rows], sit.indptr[rows + 1]
            nnz = _ranges(lo, hi - lo)
            q = block[r]
            query[q.indices] = q.data
            products = sit.data[nnz] * query[sit.indices[nnz]]
            query[q.indices] = 0.0
            ends = np.cumsum(hi - lo)
            heads = np.minimum(np.concatenate([[0], ends[:-1]]), max(len(products) - 1, 0))
            sums = np.add.reduceat(products, heads) if len(products) \
                else np.zeros(len(rows), dtype=np.float32)
            sims = np.where(hi > lo, sums, 0.0)
            first = np.concatenate([[0], np.cumsum(sizes)[:-1]])
            best = np.maximum.reduceat(sims, first)
            position = np.arange(len(rows)) - np.repeat(first, sizes)
            is_best = sims >= np.repeat(best, sizes)
            near = np.minimum.reduceat(np.where(is_best, position, _NO_SITUATION), first)
            score[r, picked] += w * best
            nearest[r, picked] = near

    def best_per_group(self, match: np.ndarray) -> np.ndarray:
        """The best entry match of each group (questions × `groups`)."""
        assert self._entry_group is not None
        by_group = np.argsort(self._entry_group, kind="stable")
        heads = np.searchsorted(self._entry_group[by_group], np.arange(len(self.groups)))
        return np.maximum.reduceat(match[:, by_group], heads, axis=1).astype(np.float64)

    def rank(self, x: sparse.csr_matrix, group_probability: np.ndarray | None = None, *,
             top: int = 3, only_group: str | None = None,
             matched: tuple[np.ndarray, np.ndarray] | None = None) -> list[list[RankedItem]]:
        """For each row of `x`, the `top` entries, best first.

        `group_probability` (questions × `groups`) weighs each entry by its topic's
        probability; `only_group` keeps the entries of one topic (a topic the user chose);
        `matched` is `match(x)` when the caller has it already.
        """
        match, nearest = matched if matched is not None else self.match(x)
        assert self._entry_group is not None
        score = match.copy()
        if group_probability is not None and self.params.topic_weight:
            weight = np.power(np.clip(group_probability, 1e-9, 1.0), self.params.topic_weight)
            score *= weight[:, self._entry_group].astype(np.float32)
        if only_group is not None:
            score[:, self._entry_group != self.groups.index(only_group)] = -1.0
        n = len(self.keys)
        k = min(top, n)
        idx = np.argpartition(-score, k - 1, axis=1)[:, :k] if k < n else \
            np.broadcast_to(np.arange(n), score.shape)
        picked = np.take_along_axis(score, idx, axis=1)
        order = np.lexsort((idx, -picked), axis=1)
        idx = np.take_along_axis(idx, order, axis=1)
        # plain lists: indexing NumPy arrays one cell at a time costs more than the ranking
        scores = np.take_along_axis(score, idx, axis=1).tolist()
        matches = np.take_along_axis(match, idx, axis=1).tolist()
        nearests = np.take_along_axis(nearest, idx, axis=1).tolist()
        groups = [self.groups[g] for g in self._entry_group.tolist()]
        keys = self.keys
        return [[RankedItem(keys[i], groups[i], s, m, n)
                 for i, s, m, n in zip(row_idx, row_s, row_m, row_n, strict=True) if s >= 0.0]
                for row_idx, row_s, row_m, row_n in zip(idx.tolist(), scores, matches, nearests,
                                                        strict=True)]


def _product(x: sparse.csr_matrix, right_t: sparse.csr_matrix) -> np.ndarray:
    """`x @ right_t` as a dense float32 array, for a few rows of `x`.

    Only the features these rows use matter: a dense block of them times the matching rows
    of the (sparse) right-hand matrix beats a sparse product."""
    cols = sorted_unique(x.indices)
    dense = np.zeros((x.shape[0], len(cols)), dtype=np.float32)
    dense[np.repeat(np.arange(x.shape[0]), np.diff(x.indptr)),
          np.searchsorted(cols, x.indices)] = x.data
    return np.asarray(dense @ right_t[cols], dtype=np.float32)


def _heaviest_per_row(x: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """Each row of `x` with only its values at least as large as its `k`-th largest (ties
    kept, so a row comes out the same alone or in a batch); `k` 0 keeps everything."""
    sizes = np.diff(x.indptr)
    if not k or not len(sizes) or sizes.max() <= k:
        return x
    rows = np.repeat(np.arange(x.shape[0]), sizes)
    padded = np.full((x.shape[0], int(sizes.max())), -np.inf, dtype=np.float32)
    padded[rows, np.arange(len(rows)) - x.indptr[rows]] = x.data
    width = padded.shape[1]
    kth = np.partition(padded, width - k, axis=1)[:, width - k]
    keep = x.data >= kth[rows]
    indptr = np.zeros(x.shape[0] + 1, dtype=x.indptr.dtype)
    np.cumsum(np.bincount(rows[keep], minlength=x.shape[0]), out=indptr[1:])
    return sparse.csr_matrix((x.data[keep], x.indices[keep], indptr), shape=x.shape)


def _ranges(starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The concatenation of `range(start, start + size)` for each pair, vectorised."""
    total = int(sizes.sum())
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes)
    return (offsets + np.arange(total)).astype(np.intp)


def _keep_heaviest(x: sparse.csr_matrix, k: int) -> sparse.csr_matrix:
    """Each row of `x` with only its `k` largest values."""
    x = x.tocsr(copy=True)
    for r in range(x.shape[0]):
        lo, hi = x.indptr[r], x.indptr[r + 1]
        if hi - lo > k:
            row = x.data[lo:hi]
            row[np.argpartition(row, hi - lo - k)[: hi - lo - k]] = 0.0
    x.eliminate_zeros()
    return x
