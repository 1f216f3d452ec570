"""The matching model: featurizer, classifier and decision policy, each on its own and
together: fit/predict contract, abstention and why, ambiguity, determinism, persistence.
The entry ranker has its own tests (test_ranker.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.features import Featurizer, NotFittedError
from classifiers.matcher import Matcher, ModelParams, TrainingSet
from classifiers.persist import ModelMismatchError, load_model, save_model
from classifiers.policy import NONE_LABEL, DecisionPolicy
from classifiers.topic import TopicClassifier
from tests.classifiers.samples import ITEMS, LABELS, TEXTS


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
