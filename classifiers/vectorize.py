"""Fitted TF-IDF vectorizers compiled to plain data, for fast loading and fast transforms.

Training uses scikit-learn's `TfidfVectorizer`. Serving needs only what it learnt (the
vocabulary and IDF weights) and how it cuts text into n-grams, so `CompiledTfidf` keeps
exactly that: loading a saved model then needs neither scikit-learn (about a second to
import) nor its per-n-gram Python loop, which raises and catches a KeyError for every
n-gram outside the vocabulary. Character n-grams never cross words, so their vocabulary
ids are cached per word. Tests check the output against scikit-learn's own `transform`.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from scipy import sparse

WORD_CACHE_SIZE = 200_000
"""Words whose character n-gram ids are remembered; the cache is emptied when full."""


def strip_accents(text: str) -> str:
    """scikit-learn's `strip_accents_unicode`: decompose, then drop combining marks."""
    try:
        text.encode("ascii")
        return text
    except UnicodeEncodeError:
        decomposed = unicodedata.normalize("NFKD", text)
        return "".join(c for c in decomposed if not unicodedata.combining(c))


def char_wb_grams(word: str, min_n: int, max_n: int) -> list[str]:
    """scikit-learn's `char_wb` n-grams of one word, padded with a space on each side."""
    w = f" {word} "
    size = len(w)
    grams: list[str] = []
    for n in range(min_n, max_n + 1):
        if size <= n:  # a short word counts once, whole
            grams.append(w)
            break
        grams.extend([w[i : i + n] for i in range(size - n + 1)])
    return grams


def word_grams(tokens: list[str], min_n: int, max_n: int) -> list[str]:
    """scikit-learn's word n-grams of a token list: the tokens (when `min_n` is 1), then the
    pairs, and so on up to `max_n`."""
    grams = list(tokens) if min_n == 1 else []
    for n in range(max(2, min_n), max_n + 1):
        shifted = (tokens[k:] for k in range(n))  # zip stops at the shortest: the last n-gram
        grams += map(" ".join, zip(*shifted, strict=False))
    return grams


def row_sums(a: np.ndarray) -> np.ndarray:
    """Each row's sum as a column, added column by column in a fixed order: the same for a
    row whether it is summed alone or in a batch, so batch answers equal single answers to
    the bit (NumPy's own reduction may group a row's terms differently with the batch's
    layout). A dozen topics: a dozen vector additions, far cheaper than a sum per row."""
    out = np.zeros(a.shape[0], dtype=np.float64)
    for column in a.T:
        out += column
    return out.reshape(-1, 1)


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """The distinct values of `a`, ascending: `np.unique` by sorting, which for the few
    thousand indices of a block of questions is twenty times faster than NumPy 2's hashing."""
    s = np.sort(a)
    return s[np.concatenate(([True], s[1:] != s[:-1]))] if len(s) else s


def l2_normalize(x: sparse.spmatrix) -> sparse.csr_matrix:
    """A copy of `x` with each row scaled to unit length (empty rows stay empty)."""
    x = sparse.csr_matrix(x, copy=True)
    rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    norms = np.sqrt(np.bincount(rows, weights=np.square(x.data, dtype=np.float64),
                                minlength=x.shape[0]))
    norms[norms == 0] = 1.0
    x.data /= norms[rows].astype(x.data.dtype)
    return x


class CompiledTfidf:
    """The serving half of a fitted `TfidfVectorizer` (word or char_wb, sublinear, L2)."""

    def __init__(self, *, analyzer: str, ngram_range: tuple[int, int], lowercase: bool,
                 accents: bool, token_pattern: str, vocabulary: dict[str, int],
                 idf: np.ndarray, sublinear: bool):
        if analyzer not in {"word", "char_wb"}:
            raise ValueError(f"unsupported analyzer {analyzer!r}")
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.lowercase = lowercase
        self.accents = accents
        self.token_pattern = token_pattern
        self.vocabulary = vocabulary
        self.idf = idf.astype(np.float32)
        self.sublinear = sublinear
        self._setup()

    @classmethod
    def from_sklearn(cls, vec: Any) -> CompiledTfidf:
        """Compile a fitted `TfidfVectorizer`; refuses options this class does not mirror."""
        if vec.strip_accents not in (None, "unicode") or vec.stop_words is not None \
                or vec.tokenizer is not None or vec.preprocessor is not None or vec.norm != "l2" \
                or not vec.use_idf:
            raise ValueError("only plain word/char_wb TF-IDF with L2 norm can be compiled")
        return cls(analyzer=vec.analyzer, ngram_range=tuple(vec.ngram_range),
                   lowercase=vec.lowercase, accents=vec.strip_accents == "unicode",
                   token_pattern=vec.token_pattern, vocabulary=dict(vec.vocabulary_),
                   idf=vec.idf_, sublinear=vec.sublinear_tf)

    def _setup(self) -> None:
        self._token_re = re.compile(self.token_pattern)
        self._word_ids: dict[str, list[int]] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_token_re"], state["_word_ids"]  # rebuilt on load; the cache is not state
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._setup()

    def tokens(self, doc: str) -> list[str]:
        """The word tokens of `doc` as this vectorizer sees them (lower-cased, accents off)."""
        return self._token_re.findall(self._preprocess(doc))

    def _preprocess(self, doc: str) -> str:
        if self.lowercase:
            doc = doc.lower()
        return strip_accents(doc) if self.accents else doc

    def _ids_of_word(self, word: str) -> list[int]:
        ids = self._word_ids.get(word)
        if ids is None:
            get = self.vocabulary.get
            ids = [i for i in map(get, char_wb_grams(word, *self.ngram_range)) if i is not None]
            if len(self._word_ids) >= WORD_CACHE_SIZE:
                self._word_ids = {}
            self._word_ids[word] = ids
        return ids

    def _ids(self, doc: str) -> list[int]:
        doc = self._preprocess(doc)
        if self.analyzer == "char_wb":  # split() also splits where scikit-learn's runs of
            # white space become one space first, so the words are the same
            cached = self._word_ids.get
            ids: list[int] = []
            for word in doc.split():
                found = cached(word)
                ids += found if found is not None else self._ids_of_word(word)
            return ids
        get = self.vocabulary.get
        grams = word_grams(self._token_re.findall(doc), *self.ngram_range)
        return [i for i in map(get, grams) if i is not None]

    def transform(self, docs: Sequence[str]) -> sparse.csr_matrix:
        """TF-IDF rows for `docs`, equal to the fitted vectorizer's `transform`."""
        return to_csr(self.weights(docs), (len(docs), len(self.vocabulary)))

    def weights(self, docs: Sequence[str]) -> Cells:
        """The non-zero cells of `transform(docs)`, row by row, columns ascending in a row.

        Plain NumPy on the cells themselves: for the one or few questions of an answer,
        building and normalising sparse matrices would cost more than the arithmetic.
        """
        ids: list[int] = []
        sizes = []
        for doc in docs:
            found = self._ids(doc)
            ids += found
            sizes.append(len(found))
        width = len(self.vocabulary)
        doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), sizes)
        keys, counts = np.unique(doc_of * width + np.array(ids, dtype=np.int64),
                                 return_counts=True)
        rows, cols = np.divmod(keys, width)
        values = counts.astype(np.float64)
        if self.sublinear:
            values = np.log(values) + 1.0
        values *= self.idf[cols]
        return normalize_rows(Cells(rows, cols, values), len(docs))


class Cells(NamedTuple):
    """The non-zero cells of a sparse matrix: row, column and value arrays, row by row."""

    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray


def normalize_rows(cells: Cells, n_rows: int) -> Cells:
    """`cells` with each row scaled to unit length; summed in order, so a row comes out the
    same alone or in a batch."""
    norms = np.sqrt(np.bincount(cells.rows, weights=np.square(cells.values), minlength=n_rows))
    norms[norms == 0] = 1.0
    return Cells(cells.rows, cells.cols, cells.values / norms[cells.rows])


def to_csr(cells: Cells, shape: tuple[int, int]) -> sparse.csr_matrix:
    """A float32 CSR matrix of `cells` (rows ascending, columns ascending within a row)."""
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(cells.rows, minlength=shape[0]), out=indptr[1:])
    x = sparse.csr_matrix((cells.values.astype(np.float32), cells.cols.astype(np.int32), indptr),
                          shape=shape)
    x.has_sorted_indices = True
    x.has_canonical_format = True
    return x


def fit_tfidf(docs: Sequence[str], *, analyzer: str, ngram_range: tuple[int, int], min_df: int = 1,
              token_pattern: str = r"(?u)\b\w\w+\b", lowercase: bool = True, accents: bool = True,
              ) -> tuple[CompiledTfidf, sparse.csr_matrix]:
    """Fit a sublinear, smoothed, L2-normalised TF-IDF on `docs` and transform them in one pass.

    The same vocabulary, IDF weights and rows as scikit-learn's `TfidfVectorizer` with these
    options (a test checks it), built with sparse products instead of a Python loop per
    n-gram: a character n-gram count is a (documents × words) count matrix times a (words ×
    n-grams) one, so each distinct word is cut into n-grams once. Ten times faster on a large
    base, which is what keeps training a 10,000-entry base within seconds.
    """
    probe = CompiledTfidf(analyzer=analyzer, ngram_range=ngram_range, lowercase=lowercase,
                          accents=accents, token_pattern=token_pattern, vocabulary={},
                          idf=np.zeros(0), sublinear=True)
    grams = _ids_on_sight()
    gram_id = grams.__getitem__
    if analyzer == "char_wb":
        words = _ids_on_sight()
        word_id = words.__getitem__
        cols = array("i")
        ptr = array("q", [0])
        for doc in docs:
            cols.fromlist(list(map(word_id, probe._preprocess(doc).split())))
            ptr.append(len(cols))
        doc_words = _counts(cols, ptr, len(words))
        gcols = array("i")
        gptr = array("q", [0])
        for word in words:  # insertion order is id order
            gcols.fromlist(list(map(gram_id, char_wb_grams(word, *ngram_range))))
            gptr.append(len(gcols))
        counts = (doc_words @ _counts(gcols, gptr, len(grams))).tocsr()
    else:
        cols = array("i")
        ptr = array("q", [0])
        token_re = re.compile(token_pattern)
        for doc in docs:
            tokens = token_re.findall(probe._preprocess(doc))
            cols.fromlist(list(map(gram_id, word_grams(tokens, *ngram_range))))
            ptr.append(len(cols))
        counts = _counts(cols, ptr, len(grams))
    counts.sum_duplicates()
    df = np.bincount(counts.indices, minlength=len(grams))
    names = np.array(list(grams), dtype=object)
    kept = np.flatnonzero(df >= min_df)
    kept = kept[np.argsort(names[kept].astype(str), kind="stable")]  # scikit-learn sorts terms
    if not len(kept):
        raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
    n_docs = len(docs)
    idf = np.log((1 + n_docs) / (1 + df[kept].astype(np.float64))) + 1.0
    vocabulary = {str(t): i for i, t in enumerate(names[kept])}
    fitted = CompiledTfidf(analyzer=analyzer, ngram_range=ngram_range, lowercase=lowercase,
                           accents=accents, token_pattern=token_pattern, vocabulary=vocabulary,
                           idf=idf, sublinear=True)
    x = counts[:, kept].astype(np.float32).tocsr()
    x.sort_indices()
    np.log(x.data, out=x.data)
    x.data += 1
    x.data *= fitted.idf[x.indices]
    return fitted, l2_normalize(x)


def _ids_on_sight() -> defaultdict[str, int]:
    """A dict that gives each unseen key the next id as it is looked up (scikit-learn's
    vocabulary idiom: the miss is handled in C, without a Python call per n-gram)."""
    ids: defaultdict[str, int] = defaultdict()
    ids.default_factory = ids.__len__
    return ids


def _counts(cols: array, ptr: array, width: int) -> sparse.csr_matrix:
    indices = np.frombuffer(cols, dtype=np.int32) if len(cols) else np.zeros(0, np.int32)
    return sparse.csr_matrix((np.ones(len(indices), dtype=np.float32), indices,
                              np.frombuffer(ptr, dtype=np.int64)), shape=(len(ptr) - 1, width))
