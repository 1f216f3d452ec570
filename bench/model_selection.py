"""Why word + character TF-IDF into logistic regression: cross-validation of the alternatives.

Run: python bench/model_selection.py [--folds 5]
Prints, for each candidate, 5-fold stratified cross-validation on the shipped knowledge base
(situations labelled by topic, plus the out-of-scope examples as an 11th class): top-1
accuracy over all 11 classes, macro F1, and fit time. Then, for the chosen model, the
abstention threshold sweep on cross-validated probabilities.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC

from bot.advisor import training_data
from classifiers.evaluation import evaluate
from classifiers.topic import NONE_LABEL, Params, TopicClassifier
from knowledge import load_knowledge_base


def word() -> TfidfVectorizer:
    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, strip_accents="unicode",
                           token_pattern=r"(?u)\b\w+\b")


def char() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                           strip_accents="unicode", min_df=2)


def candidates() -> dict[str, object]:
    lr = {"C": Params().C, "class_weight": "balanced", "max_iter": 3000, "solver": Params().solver}
    return {
        "word 1-2 → logistic regression": lambda: make_pipeline(word(), LogisticRegression(**lr)),
        "char 2-5 → logistic regression": lambda: make_pipeline(char(), LogisticRegression(**lr)),
        "word + char → complement NB": lambda: make_pipeline(make_union(word(), char()),
                                                             ComplementNB(alpha=0.3)),
        "word + char → linear SVM": lambda: make_pipeline(make_union(word(), char()),
                                                          LinearSVC(C=1.0, class_weight="balanced")),
        "word + char → logistic regression (chosen)": lambda: _Chosen(),
    }


class _Chosen:
    """The advisor's own TopicClassifier, predicting the arg-max class (no abstention)."""

    def fit(self, x, y):
        self.model = TopicClassifier().fit(x, y)
        return self

    def predict(self, x):
        p = self.model.proba(self.model.transform(x))
        return [self.model.classes_[i] for i in p.argmax(axis=1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    kb = load_knowledge_base()
    texts, labels = training_data(kb)
    y = np.array(labels)
    folds = list(StratifiedKFold(args.folds, shuffle=True, random_state=0).split(np.zeros(len(y)), y))
    print(f"{len(texts)} training texts ({len(kb.out_of_scope)} out of scope), "
          f"{len(set(labels))} classes, {args.folds}-fold stratified CV\n")
    print(f"{'model':46} {'accuracy':>9} {'macro F1':>9} {'fit s':>7}")
    for name, make in candidates().items():
        predicted = np.empty(len(y), dtype=object)
        fit_s = 0.0
        for train, test in folds:
            t0 = time.perf_counter()
            model = make().fit([texts[i] for i in train], y[train])
            fit_s += time.perf_counter() - t0
            predicted[test] = model.predict([texts[i] for i in test])
        acc = accuracy_score(y, predicted.astype(str))
        f1 = f1_score(y, predicted.astype(str), average="macro")
        print(f"{name:46} {acc:9.3f} {f1:9.3f} {fit_s / len(folds):7.2f}")

    print("\nabstention threshold on cross-validated probabilities (chosen model):")
    probabilities: list[np.ndarray | None] = [None] * len(y)
    classes: tuple[str, ...] = ()
    for train, test in folds:
        model = TopicClassifier().fit([texts[i] for i in train], list(y[train]))
        classes = model.classes_
        for i, row in zip(test, model.proba(model.transform([texts[i] for i in test])), strict=True):
            probabilities[i] = row
    gold = [None if lbl == NONE_LABEL else lbl for lbl in labels]
    print(f"{'threshold':>9} {'in-scope acc':>13} {'in-scope abstained':>19} {'out-of-scope abstained':>23}")
    for threshold in (0.0, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4):
        predicted_topics = []
        for row in probabilities:
            best = int(np.argmax(row))
            label = classes[best]
            predicted_topics.append(None if label == NONE_LABEL or row[best] < threshold else label)
        r = evaluate(gold, predicted_topics)
        mark = "  ← Params.abstain_below" if abs(threshold - Params().abstain_below) < 1e-9 else ""
        print(f"{threshold:9.2f} {r.accuracy_in_scope:13.3f} {r.abstained_in_scope:19.1%} "
              f"{r.abstained_out_of_scope:23.1%}{mark}")


if __name__ == "__main__":
    main()
