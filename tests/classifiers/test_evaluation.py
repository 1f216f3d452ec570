"""Evaluation figures computed from gold and predicted labels."""

from classifiers.evaluation import ABSTAIN, cross_validate, evaluate


def test_report_counts_accuracy_and_abstention():
    gold = ["a", "a", "b", "b", None, None]
    pred = ["a", None, "b", "a", None, "b"]
    r = evaluate(gold, pred)
    assert r.accuracy_in_scope == 0.5
    assert r.abstained_in_scope == 0.25
    assert r.abstained_out_of_scope == 0.5
    assert r.labels == ("a", "b", ABSTAIN)
    assert r.confusion == ((1, 0, 1), (1, 1, 0), (0, 1, 1))
    a = next(s for s in r.per_label if s.label == "a")
    assert (a.precision, a.recall, a.support) == (0.5, 0.5, 2)


def test_cross_validation_predicts_every_item_once():
    texts = [f"t{i}" for i in range(12)]
    labels = ["x", "y", None] * 4
    seen: list[str] = []

    def fit_predict(train_x, train_y, test_x):
        assert not set(train_x) & set(test_x)
        seen.extend(test_x)
        return ["x"] * len(test_x)

    report, predicted = cross_validate(texts, labels, fit_predict, folds=4)
    assert sorted(seen) == sorted(texts)
    assert predicted == ["x"] * 12
    assert report.accuracy_in_scope == 0.5
