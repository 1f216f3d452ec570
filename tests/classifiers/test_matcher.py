"""The matching model: featurizer, classifier, decision policy and ranker, each on its own
and together: fit/predict contract, abstention and why, ambiguity, ranking across topics,
determinism, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.features import Featurizer, NotFittedError
from classifiers.matcher import Matcher, ModelParams, TrainingSet
from classifiers.persist import ModelMismatchError, load_model, save_model
from classifiers.policy import NONE_LABEL, DecisionPolicy
from classifiers.ranker import EntryRanker, RankerItem, RankerParams
from classifiers.topic import TopicClassifier

TEXTS = [
    "staff are scared about their jobs", "rumours about job losses everywhere",
    "people fear redundancy from the new system", "colleagues worried they will be replaced",
    "privacy officer blocks launch", "gdpr concerns about citizen data",
    "data protection impact assessment needed", "the dpo says no to storing addresses",
    "where is the canteen", "reset my password", "what's the weather", "hello there",
]
LABELS = ["comms"] * 4 + ["privacy"] * 4 + [NONE_LABEL] * 4
ITEMS = [
    RankerItem("jobs", "comms", TEXTS[:2], ["Talk openly about jobs"]),
    RankerItem("redundancy", "comms", TEXTS[2:4], ["Explain redeployment"]),
    RankerItem("dpia", "privacy", TEXTS[6:8], ["Run a DPIA early"]),
    RankerItem("gdpr", "privacy", TEXTS[4:6], ["Explain data use"]),
]


def fitted(params: ModelParams | None = None) -> Matcher:
    return Matcher(params).fit(TrainingSet(TEXTS, LABELS, ITEMS))


def test_predicting_before_fitting_raises():
    with pytest.raises(NotFittedError):
        Matcher().match(["anything"])
    with pytest.raises(NotFittedError):
        Featurizer().transform(["anything"])
    with pytest.raises(NotFittedError):
        TopicClassifier().proba(np.zeros((1, 3)))


def test_fit_returns_self_and_learns_labels():
    model = Matcher()
    assert model.fit(TrainingSet(TEXTS, LABELS, ITEMS)) is model
    assert set(model.classifier.classes_) == {"comms", "privacy", NONE_LABEL}
    [m] = model.match(["the team fears job losses"])
    assert m.prediction.label == "comms" and m.prediction.abstained is None
    assert [lbl for lbl, _ in m.prediction.ranked] == ["comms", "privacy"]


def test_out_of_scope_abstains_and_says_why():
    [m] = fitted().match(["reset the canteen password"])
    assert m.prediction.label is None and m.prediction.abstained == "out_of_scope"
    assert m.prediction.out_of_scope


def test_low_confidence_is_unsure_and_close_call_is_ambiguous():
    unsure = fitted(ModelParams(policy=DecisionPolicy(abstain_below=0.99)))
    [m] = unsure.match(["staff fear job losses"])
    assert m.prediction.label is None and m.prediction.abstained == "unsure"
    close = fitted(ModelParams(policy=DecisionPolicy(abstain_below=0.0, ambiguous_margin=1.0)))
    [m] = close.match(["staff fear job losses"])
    assert m.prediction.label == "comms" and m.prediction.ambiguous


def test_policy_uses_the_margin_between_the_top_two_topics():
    policy = DecisionPolicy(abstain_below=0.3, ambiguous_margin=0.1)
    classes = ("comms", "privacy", NONE_LABEL)
    assert policy.decide(np.array([.5, .45, .05]), classes).ambiguous
    assert not policy.decide(np.array([.7, .25, .05]), classes).ambiguous
    decision = policy.decide(np.array([.25, .2, .55]), classes)
    assert decision.label is None and decision.abstained == "out_of_scope"
    assert decision.none_probability == .55
    four = ("comms", "privacy", "skills", NONE_LABEL)
    assert policy.decide(np.array([.29, .28, .27, .16]), four).abstained == "unsure"


def test_training_is_deterministic():
    a = fitted().match(["privacy of data", "job fears"])
    b = fitted().match(["privacy of data", "job fears"])
    assert a == b


def test_fit_rejects_mismatched_inputs():
    with pytest.raises(ValueError):
        Matcher().fit(TrainingSet(["a", "b"], ["x"], ITEMS))
    with pytest.raises(ValueError, match="three labels"):
        Matcher().fit(TrainingSet(TEXTS[:2], ["x", "y"], ITEMS))


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


def test_persisted_model_round_trips_and_mismatch_is_refused(tmp_path: Path):
    model = fitted()
    path = tmp_path / "model.pkl"
    save_model(path, model, kb_version="abc", extra={})
    loaded, meta = load_model(path, kb_version="abc")
    assert meta["kb_version"] == "abc"
    assert loaded.match(["job fears"]) == model.match(["job fears"])
    with pytest.raises(ModelMismatchError, match="kb_version 'abc' \\(now 'def'\\)"):
        load_model(path, kb_version="def")
    path.write_bytes(b"garbage")
    with pytest.raises(ModelMismatchError, match="not a model file"):
        load_model(path, kb_version="abc")
    with pytest.raises(ModelMismatchError, match="no model file"):
        load_model(tmp_path / "missing.pkl", kb_version="abc")


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
