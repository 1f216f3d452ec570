"""The topic model: fit/predict contract, abstention, ambiguity, determinism, persistence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from classifiers.persist import ModelMismatchError, load_model, save_model
from classifiers.ranker import EntryRanker
from classifiers.topic import NONE_LABEL, NotFittedError, Params, TopicClassifier

TEXTS = [
    "staff are scared about their jobs", "rumours about job losses everywhere",
    "people fear redundancy from the new system", "colleagues worried they will be replaced",
    "privacy officer blocks launch", "gdpr concerns about citizen data",
    "data protection impact assessment needed", "the dpo says no to storing addresses",
    "where is the canteen", "reset my password", "what's the weather", "hello there",
]
LABELS = ["comms"] * 4 + ["privacy"] * 4 + [NONE_LABEL] * 4


def test_predicting_before_fitting_raises():
    with pytest.raises(NotFittedError):
        TopicClassifier().predict(["anything"])


def test_fit_returns_self_and_learns_labels():
    model = TopicClassifier()
    assert model.fit(TEXTS, LABELS) is model
    assert set(model.classes_) == {"comms", "privacy", NONE_LABEL}
    [p] = model.predict(["the team fears job losses"])
    assert p.label == "comms" and not p.out_of_scope
    assert [lbl for lbl, _ in p.ranked] == ["comms", "privacy"]


def test_out_of_scope_abstains():
    [p] = TopicClassifier().fit(TEXTS, LABELS).predict(["reset the canteen password"])
    assert p.label is None and p.out_of_scope


def test_low_confidence_abstains_and_close_call_is_ambiguous():
    model = TopicClassifier(Params(abstain_below=0.99)).fit(TEXTS, LABELS)
    [p] = model.predict(["staff fear job losses"])
    assert p.label is None and not p.out_of_scope
    model = TopicClassifier(Params(abstain_below=0.0, ambiguous_margin=1.0)).fit(TEXTS, LABELS)
    [p] = model.predict(["staff fear job losses"])
    assert p.label == "comms" and p.ambiguous


def test_decide_uses_the_margin_between_the_top_two_topics():
    model = TopicClassifier(Params(abstain_below=0.3, ambiguous_margin=0.1)).fit(TEXTS, LABELS)
    order = list(model.classes_)
    row = np.zeros(len(order))
    row[order.index("comms")], row[order.index("privacy")], row[order.index(NONE_LABEL)] = .5, .45, .05
    assert model.decide(row).ambiguous
    row[order.index("comms")], row[order.index("privacy")] = .7, .25
    assert not model.decide(row).ambiguous
    row[order.index("comms")], row[order.index("privacy")], row[order.index(NONE_LABEL)] = .25, .2, .55
    decision = model.decide(row)
    assert decision.label is None and decision.out_of_scope and decision.none_probability == .55


def test_training_is_deterministic():
    a = TopicClassifier().fit(TEXTS, LABELS).predict(["privacy of data", "job fears"])
    b = TopicClassifier().fit(TEXTS, LABELS).predict(["privacy of data", "job fears"])
    assert a == b


def test_fit_rejects_mismatched_inputs():
    with pytest.raises(ValueError):
        TopicClassifier().fit(["a", "b"], ["x"])


def test_ranker_orders_items_by_similarity():
    model = TopicClassifier().fit(TEXTS, LABELS)
    ranker = EntryRanker().fit(
        [("jobs", "comms", TEXTS[:2]), ("redundancy", "comms", TEXTS[2:4]),
         ("dpia", "privacy", TEXTS[6:8])],
        model.transform,
    )
    [ranked] = ranker.rank("comms", model.transform(["fear of redundancy from the system"]))
    assert [r.key for r in ranked] == ["redundancy", "jobs"]
    assert 1 >= ranked[0].score > ranked[1].score >= 0
    [only] = ranker.rank("privacy", model.transform(["dpia"]), top=3)
    assert [r.key for r in only] == ["dpia"]


def test_persisted_model_round_trips_and_mismatch_is_refused(tmp_path: Path):
    model = TopicClassifier().fit(TEXTS, LABELS)
    path = tmp_path / "model.pkl"
    save_model(path, model, kb_version="abc", extra={})
    loaded, meta = load_model(path, kb_version="abc")
    assert meta["kb_version"] == "abc"
    assert loaded.predict(["job fears"]) == model.predict(["job fears"])
    with pytest.raises(ModelMismatchError, match="kb_version 'abc' \\(now 'def'\\)"):
        load_model(path, kb_version="def")
    path.write_bytes(b"garbage")
    with pytest.raises(ModelMismatchError, match="not a model file"):
        load_model(path, kb_version="abc")
    with pytest.raises(ModelMismatchError, match="no model file"):
        load_model(tmp_path / "missing.pkl", kb_version="abc")
