"""The fast TF-IDF transform gives exactly scikit-learn's output."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from classifiers.vectorize import CompiledTfidf

CORPUS = [
    "Staff fear the new case system will cost them their jobs",
    "the DPO won't sign off the launch without a DPIA",
    "our pilot has run for two years, nobody decides",
    "Café résumé naïve coöperation", "a b c", "x",
]


def _fitted(analyzer: str) -> TfidfVectorizer:
    ngrams = (2, 5) if analyzer == "char_wb" else (1, 2)
    return TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, sublinear_tf=True,
                           strip_accents="unicode", dtype=np.float32).fit(CORPUS)


VECTORIZERS = [_fitted("char_wb"), _fitted("word")]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=120) | st.sampled_from(CORPUS), min_size=1, max_size=6))
def test_fast_transform_equals_scikit_learn(docs):
    for vec in VECTORIZERS:
        expected = vec.transform(docs)
        got = CompiledTfidf.from_sklearn(vec).transform(docs)
        assert got.shape == expected.shape
        assert np.allclose(got.toarray(), expected.toarray(), atol=1e-6)


def test_word_cache_is_reused_and_stays_correct():
    fast = CompiledTfidf.from_sklearn(VECTORIZERS[0])
    first = fast.transform(CORPUS).toarray()
    assert fast._word_ids
    again = fast.transform(CORPUS).toarray()
    assert np.array_equal(first, again)


def test_compiled_vectorizer_pickles_without_scikit_learn_objects():
    import pickle

    fast = CompiledTfidf.from_sklearn(VECTORIZERS[1])
    blob = pickle.dumps(fast)
    assert b"sklearn" not in blob
    assert np.allclose(pickle.loads(blob).transform(CORPUS).toarray(),
                       VECTORIZERS[1].transform(CORPUS).toarray(), atol=1e-6)


def test_l2_normalize_matches_scikit_learn_and_leaves_input_alone():
    from scipy import sparse
    from sklearn.preprocessing import normalize

    from classifiers.vectorize import l2_normalize

    x = sparse.random(30, 50, density=0.2, format="lil", random_state=1, dtype=np.float32)
    x[3] = 0  # an empty row stays empty
    x = x.tocsr()
    before = x.toarray().copy()
    got = l2_normalize(x)
    assert np.allclose(got.toarray(), normalize(x).toarray(), atol=1e-6)
    assert np.array_equal(x.toarray(), before)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=80) | st.sampled_from(CORPUS), min_size=1, max_size=8))
def test_one_pass_fit_equals_scikit_learn(docs):
    from classifiers.vectorize import fit_tfidf

    for analyzer, ngrams, min_df, pattern in (("char_wb", (2, 5), 1, r"(?u)\b\w\w+\b"),
                                              ("char_wb", (2, 5), 2, r"(?u)\b\w\w+\b"),
                                              ("word", (1, 2), 1, r"(?u)\b\w+\b")):
        reference = TfidfVectorizer(analyzer=analyzer, ngram_range=ngrams, min_df=min_df,
                                    sublinear_tf=True, strip_accents="unicode",
                                    token_pattern=pattern, dtype=np.float32)
        try:
            expected = reference.fit_transform(docs)
        except ValueError:  # scikit-learn: empty vocabulary
            with pytest.raises(ValueError):
                fit_tfidf(docs, analyzer=analyzer, ngram_range=ngrams, min_df=min_df,
                          token_pattern=pattern)
            continue
        fitted, rows = fit_tfidf(docs, analyzer=analyzer, ngram_range=ngrams, min_df=min_df,
                                 token_pattern=pattern)
        assert fitted.vocabulary == reference.vocabulary_
        assert np.allclose(fitted.idf, reference.idf_, atol=1e-6)
        assert np.allclose(rows.toarray(), expected.toarray(), atol=1e-6)
        assert np.allclose(fitted.transform(docs).toarray(), expected.toarray(), atol=1e-6)
