"""One feature space for every model: word and character TF-IDF, compiled for serving.

The topic classifier, the entry ranker and gap clustering all read the same L2-normalised
rows, so a question is vectorised once. Word n-grams carry topic vocabulary; character
n-grams within word boundaries survive typos, inflections, compounds and acronyms written
differently ("M.F.A.", "mfa"). Fitting (`fit_tfidf`) gives exactly what scikit-learn's
`TfidfVectorizer` would, in one pass; serving uses `CompiledTfidf`, so a loaded model needs
no scikit-learn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Self

import numpy as np
from scipy import sparse

from classifiers.vectorize import (
    Cells,
    CompiledTfidf,
    fit_tfidf,
    l2_normalize,
    normalize_rows,
    to_csr,
)

WORD_TOKENS = r"(?u)\b\w+\b"
CHUNK = 256
"""Texts vectorised together: keeps the sorts that build their rows small."""


@dataclass(frozen=True)
class FeatureParams:
    """The featurizer's hyper-parameters."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (3, 5)
    """Character pairs occur in nearly every text and told topics apart the least: without
    them cross-validated topic top-1 and hit@3 rise a little (`bench/model_selection.py`)."""
    char_min_df: int = 2
    word_weight: float = 1.0
    """How much the word block counts against the character block (both L2-normalised):
    words carry a topic's vocabulary, character n-grams its typos and inflections. 1.5 gained
    0.35 points of cross-validated topic top-1 but split questions that differ only in
    inflections ("double books", "double booking") into different gap clusters. Scaling the
    word columns ×1.5 for the topic classifier alone (the ranker and clustering reading the
    plain rows) gained 0.3 points but answered questions made of unknown names instead of
    declining them ("Zephyrix double-booked the Quellmoor crews": communication, 0.21)."""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


class NotFittedError(RuntimeError):
    """A model was asked to predict or transform before `fit`."""


class Featurizer:
    """Texts in, L2-normalised sparse rows out: word block then character block."""

    def __init__(self, params: FeatureParams | None = None):
        self.params = params or FeatureParams()
        self._blocks: tuple[CompiledTfidf, ...] = ()
        self.content_words: dict[str, float] = {}
        """Single words other than English stop words, with their IDF: the words that can
        explain a match to a user."""

    def fit(self, texts: Sequence[str]) -> Self:
        """Learn the vocabularies and IDF weights from `texts`."""
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Fit on `texts` and return their rows (one pass: what training needs)."""
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # training only

        p = self.params
        texts = list(texts)
        word, word_x = fit_tfidf(texts, analyzer="word", ngram_range=p.word_ngrams,
                                 token_pattern=WORD_TOKENS)
        char, char_x = fit_tfidf(texts, analyzer="char_wb", ngram_range=p.char_ngrams,
                                 min_df=p.char_min_df)
        self._blocks = (word, char)
        self.content_words = {t: float(word.idf[i]) for t, i in word.vocabulary.items()
                              if " " not in t and t not in ENGLISH_STOP_WORDS}
        return self._combine(word_x, char_x)

    def _combine(self, word: sparse.csr_matrix, char: sparse.csr_matrix) -> sparse.csr_matrix:
        if self.params.word_weight != 1.0:
            word = word * np.float32(self.params.word_weight)
        return l2_normalize(sparse.hstack([word, char], format="csr"))

    @property
    def is_fitted(self) -> bool:
        return bool(self._blocks)

    @property
    def n_features(self) -> int:
        return sum(len(b.vocabulary) for b in self._blocks)

    @property
    def word_block(self) -> CompiledTfidf:
        """The word n-gram block (its columns come first in `transform`)."""
        if not self._blocks:
            raise NotFittedError("the featurizer has not been fitted")
        return self._blocks[0]

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """One L2-normalised row per text, the same alone or in a batch (to the bit)."""
        if not self._blocks:
            raise NotFittedError("the featurizer has not been fitted")
        texts = list(texts)
        starts = range(0, len(texts), CHUNK)
        parts = [self._cells(texts[lo:lo + CHUNK]) for lo in starts]
        empty = Cells(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        rows = (c.rows + lo for lo, c in zip(starts, parts, strict=True))
        cells = Cells(np.concatenate([empty.rows, *rows]),
                      np.concatenate([empty.cols, *(c.cols for c in parts)]),
                      np.concatenate([empty.values, *(c.values for c in parts)]))
        return to_csr(cells, (len(texts), self.n_features))

    def _cells(self, texts: list[str]) -> Cells:
        """The non-zero cells of a few texts' rows: word block, then character block."""
        word, char = (b.weights(texts) for b in self._blocks)
        rows = np.concatenate([word.rows, char.rows])
        order = np.argsort(rows, kind="stable")  # each row: its word cells, then its char cells
        offset = len(self._blocks[0].vocabulary)
        cells = Cells(rows[order], np.concatenate([word.cols, char.cols + offset])[order],
                      np.concatenate([word.values * self.params.word_weight, char.values])[order])
        return normalize_rows(cells, len(texts))
