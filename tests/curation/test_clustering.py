"""Clustering short texts: paraphrases together, deterministic, a central representative."""

from __future__ import annotations

import pytest

from classifiers.clustering import Cluster, cluster_texts

TEXTS = [
    "our robots keep jamming in the sorting office",
    "the chatbot gave a resident the wrong bin day",
    "the robots in the sorting office keep jamming",
    "where is the printer",
    "our chatbot told a resident the wrong bin collection day",
    "sorting office robots jam every morning",
    "chatbot answered wrong about bin day",
]


def _groups(clusters: list[Cluster]) -> list[set[int]]:
    return [set(c.members) for c in clusters]


def test_paraphrases_are_grouped_and_strangers_left_alone() -> None:
    clusters = cluster_texts(TEXTS)
    assert sorted(map(sorted, _groups(clusters))) == [[0, 2, 5], [1, 4, 6], [3]]
    assert [c.size for c in clusters] == [3, 3, 1]  # largest first


def test_the_representative_is_a_member_most_like_the_others() -> None:
    for c in cluster_texts(TEXTS):
        assert c.representative in c.members
    robots = next(c for c in cluster_texts(TEXTS) if 0 in c.members)
    assert robots.representative in (0, 2)  # the two near-identical phrasings are the centre


def test_same_input_same_clusters() -> None:
    assert cluster_texts(TEXTS) == cluster_texts(list(TEXTS))


def test_a_stricter_threshold_splits_more() -> None:
    assert len(cluster_texts(TEXTS, min_similarity=0.95)) > len(cluster_texts(TEXTS))


def test_a_caller_feature_space_can_be_used() -> None:
    from classifiers.clustering import tfidf_vectors

    calls = []

    def vectorize(texts):
        calls.append(len(texts))
        return tfidf_vectors(texts)

    assert _groups(cluster_texts(TEXTS, vectorize=vectorize)) == _groups(cluster_texts(TEXTS))
    assert calls == [len(TEXTS)]


def test_edge_cases() -> None:
    assert cluster_texts([]) == []
    assert cluster_texts(["alone"]) == [Cluster((0,), 0)]
    assert [c.size for c in cluster_texts(["???", "!!!"])] == [1, 1]
    assert _groups(cluster_texts(["same words here", "same words here"])) == [{0, 1}]
    with pytest.raises(ValueError):
        cluster_texts(TEXTS, min_similarity=0)
