"""The entry ranker: entries ordered across topics with their nearest situation, weighed by
the topic probabilities, and a large base's shortlist scoring like the full scan."""

from __future__ import annotations

import numpy as np

from classifiers.features import Featurizer
from classifiers.ranker import EntryRanker, RankerParams
from tests.classifiers.samples import ITEMS, TEXTS


def test_ranker_orders_entries_across_topics_and_finds_the_nearest_situation():
    featurizer = Featurizer().fit(TEXTS)
    ranker = EntryRanker(RankerParams(topic_weight=0.0)).fit(ITEMS, featurizer.transform)
    [ranked] = ranker.rank(featurizer.transform(["fear of redundancy from the system"]), top=4)
    assert ranked[0].key == "redundancy" and ranked[0].nearest == 0
    assert {r.group for r in ranked} == {"comms", "privacy"}
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    [only] = ranker.rank(featurizer.transform(["dpia"]), top=3, only_group="privacy")
    assert next(r.key for r in only) == "dpia" and {r.group for r in only} == {"privacy"}


def test_topic_probability_reorders_entries():
    featurizer = Featurizer().fit(TEXTS)
    x = featurizer.transform(["worried about data and jobs"])
    plain = EntryRanker(RankerParams(topic_weight=0.0)).fit(ITEMS, featurizer.transform)
    weighed = EntryRanker(RankerParams(topic_weight=2.0)).fit(ITEMS, featurizer.transform)
    favour_privacy = np.array([[0.05, 0.95]]) if weighed.groups == ("comms", "privacy") \
        else np.array([[0.95, 0.05]])
    [a] = plain.rank(x, favour_privacy, top=4)
    [b] = weighed.rank(x, favour_privacy, top=4)
    assert b[0].group == "privacy"
    assert [r.key for r in a] != [r.key for r in b] or a[0].group == "privacy"


def test_a_large_base_scores_shortlisted_situations_like_the_full_scan(monkeypatch):
    import classifiers.ranker as ranker_module

    featurizer = Featurizer().fit(TEXTS)
    questions = featurizer.transform(["fear of redundancy", "the dpo blocks storing addresses",
                                      "gdpr and citizen data", "zzz"])
    full = EntryRanker().fit(ITEMS, featurizer.transform)
    monkeypatch.setattr(ranker_module, "FULL_SCAN", 0)
    monkeypatch.setattr(ranker_module, "SHORTLIST", 3)
    large = EntryRanker().fit(ITEMS, featurizer.transform)
    assert large._situations is not None and full._situations is None
    full_match, full_near = full.match(questions)
    large_match, large_near = large.match(questions)
    # the entry the shortlist leaves out is scored on its centroid alone: never higher
    assert np.all(large_match <= full_match + 1e-6)
    for row in range(3):
        best = int(np.argmax(full_match[row]))
        assert int(np.argmax(large_match[row])) == best
        assert large_near[row, best] == full_near[row, best]


def test_heaviest_per_row_keeps_each_rows_largest_values_and_their_ties():
    from scipy import sparse

    from classifiers.ranker import _heaviest_per_row

    x = sparse.csr_matrix(np.array([[0.1, 0.5, 0.0, 0.3, 0.3, 0.2],
                                    [0.0, 0.0, 0.9, 0.0, 0.0, 0.0],
                                    [0.4, 0.1, 0.2, 0.3, 0.0, 0.6]], dtype=np.float32))
    kept = _heaviest_per_row(x, 2).toarray()
    assert kept.tolist() == np.array([[0, 0.5, 0, 0.3, 0.3, 0],   # a tie for second: both kept
                                      [0, 0, 0.9, 0, 0, 0],
                                      [0.4, 0, 0, 0, 0, 0.6]], dtype=np.float32).tolist()
    # a row comes out the same alone as in a batch, and 0 keeps everything
    for r in range(3):
        assert (_heaviest_per_row(x[r], 2).toarray() == kept[r]).all()
    assert (_heaviest_per_row(x, 0).toarray() == x.toarray()).all()


def test_the_nearest_scan_reads_a_long_questions_heaviest_features_only():
    featurizer = Featurizer().fit(TEXTS)
    short = featurizer.transform(["dpia"])
    long = featurizer.transform(["staff fear redundancy and the dpo blocks storing citizen "
                                 "addresses because gdpr says the data must stay in the country"])
    terms = 20
    assert short.nnz <= terms < long.nnz
    pruned, every = (EntryRanker(RankerParams(nearest_query_terms=n, nearest_max_df=1.0))
                     .fit(ITEMS, featurizer.transform) for n in (terms, 0))
    # a question with no more features than that is scored exactly as before
    assert (pruned.match(short)[0] == every.match(short)[0]).all()
    # a longer one: the centroid part is the same, the nearest situation counts fewer features
    p, e = pruned.match(long)[0], every.match(long)[0]
    assert (p <= e + 1e-6).all() and (p < e - 1e-6).any()


def test_dense_centroids_score_like_the_sparse_ones_and_are_not_saved(monkeypatch):
    import pickle

    import classifiers.ranker as ranker_module

    featurizer = Featurizer().fit(TEXTS)
    questions = featurizer.transform(["fear of redundancy", "the dpo blocks storing addresses",
                                      "gdpr and citizen data", "zzz"])
    ranker = EntryRanker().fit(ITEMS, featurizer.transform)
    dense_match, dense_near = ranker.match(questions)
    assert ranker._centroids_dense is not None
    assert ranker.__getstate__()["_centroids_dense"] is None  # not stored in a model file
    loaded = pickle.loads(pickle.dumps(ranker))
    assert loaded._centroids_dense is not None  # rebuilt on load
    assert (loaded.match(questions)[0] == dense_match).all()
    monkeypatch.setattr(ranker_module, "DENSE_CENTROIDS_BYTES", 0)
    sparse_only = EntryRanker().fit(ITEMS, featurizer.transform)
    sparse_match, sparse_near = sparse_only.match(questions)
    assert sparse_only._centroids_dense is None
    assert np.allclose(dense_match, sparse_match, atol=1e-6)
    assert (dense_near == sparse_near).all()
    # a question scores the same alone as in a block
    for r in range(questions.shape[0]):
        assert (ranker.match(questions[r])[0] == dense_match[r]).all()
