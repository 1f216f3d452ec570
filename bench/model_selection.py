"""Why this matching design: cross-validation of its parts, and the abstention threshold.

Run: python bench/model_selection.py [--folds 5]
For each design, K-fold cross-validation of the whole matching model on the shipped
knowledge base with the advisor's one routine (`bot.evaluation.cross_validate_kb`): each
fold trains on the rest of the base and answers the held-out situations and out-of-scope
examples. Prints topic top-1 and top-3, macro F1, whether the held-out situation's own entry
comes first or in the top three, and the fold time. Then the abstention threshold swept on
the development set (never the held-out set).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.advisor import Advisor, training_set  # noqa: E402
from bot.evaluation import cross_validate_kb, evaluate_advisor, read_labelled  # noqa: E402
from classifiers.features import FeatureParams  # noqa: E402
from classifiers.matcher import Matcher, ModelParams  # noqa: E402
from classifiers.policy import DecisionPolicy  # noqa: E402
from classifiers.ranker import RankerParams  # noqa: E402
from classifiers.topic import ClassifierParams  # noqa: E402
from knowledge import load_knowledge_base  # noqa: E402

FIRST = {"features": FeatureParams(char_ngrams=(2, 5)),
         "classifier": ClassifierParams(C=10.0)}
"""The first design's featurizer and classifier (character 2–5-grams, C=10)."""
FIRST_RANKER = {"topic_weight": 0.5, "nearest_query_terms": 0}
DESIGNS = {
    "topic first, centroid within the topic (v1)": ModelParams(
        **FIRST, ranker=RankerParams(nearest_weight=0.0, topic_weight=8.0), entry_evidence=0.0),
    "across topics, centroid": ModelParams(
        **FIRST, ranker=RankerParams(nearest_weight=0.0, **FIRST_RANKER), entry_evidence=0.0),
    "across topics, centroid + nearest situation": ModelParams(
        **FIRST, ranker=RankerParams(**FIRST_RANKER), entry_evidence=0.0),
    "… + entry evidence (3) in the topic decision": ModelParams(
        **FIRST, ranker=RankerParams(**FIRST_RANKER), entry_evidence=3.0),
    "… + evidence 8, character 3–5-grams, C=30": ModelParams(
        ranker=RankerParams(**FIRST_RANKER)),
    "… + topic weight 0.2 in the ranking": ModelParams(
        ranker=RankerParams(nearest_query_terms=0)),
    "… + nearest scan on a question's 60 heaviest features (chosen)": ModelParams(),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--dev", type=Path, default=ROOT / "tests" / "data" / "dev_set.yaml")
    args = parser.parse_args()
    kb = load_knowledge_base()
    print(f"knowledge base {kb.version}: {len(kb.entries)} entries, "
          f"{sum(len(e.situations) for e in kb.entries)} situations, "
          f"{len(kb.out_of_scope)} out-of-scope examples · {args.folds}-fold CV\n")
    print(f"{'design':52} {'top-1':>6} {'top-3':>6} {'F1':>6} {'hit@1':>6} {'hit@3':>6} {'fold s':>7}")
    for name, params in DESIGNS.items():
        t0 = time.perf_counter()
        e = cross_validate_kb(kb, folds=args.folds, params=params)
        seconds = (time.perf_counter() - t0) / args.folds
        print(f"{name:52} {e.topics.accuracy_in_scope:6.3f} {e.topic_top3:6.3f} "
              f"{e.topics.macro_f1:6.3f} {e.ranking.hit_at_1:6.3f} {e.ranking.hit_at_3:6.3f} "
              f"{seconds:7.1f}", flush=True)

    data = read_labelled(args.dev)
    chosen = ModelParams().policy.abstain_below
    print(f"\nabstention threshold on {args.dev.name} (chosen model):")
    print(f"{'threshold':>9} {'topic top-1':>12} {'in-scope abstained':>19} {'out-of-scope abstained':>23}")
    matcher = Matcher().fit(training_set(kb))
    for threshold in (0.1, 0.15, 0.2, 0.25, 0.3):
        matcher.params = dataclasses.replace(matcher.params,
                                             policy=DecisionPolicy(abstain_below=threshold))
        r = evaluate_advisor(Advisor(kb, matcher), data).topics
        mark = "  ← DecisionPolicy.abstain_below" if abs(threshold - chosen) < 1e-9 else ""
        print(f"{threshold:9.2f} {r.accuracy_in_scope:12.3f} {r.abstained_in_scope:19.1%} "
              f"{r.abstained_out_of_scope:23.1%}{mark}")


if __name__ == "__main__":
    main()
