"""Choose the matching design by measurement: ranker blend, topic weight, training weights.

Run: python bench/ranking.py [--dev tests/data/dev_set.yaml]
Trains the matching model on the shipped base once per training setting, then sweeps the
ranker's parameters on the development set (never the held-out sets): topic top-1, entry
hit@1, hit@3 and MRR for each. The defaults are chosen by cross-validation on the base
(`bench/model_selection.py`); this is the development set's view of the same choices.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", type=Path, default=ROOT / "tests" / "data" / "dev_set.yaml")
    parser.add_argument("--nearest", action="store_true",
                        help="Only compare which features the nearest-situation scan leaves out "
                             "(development set and 5-fold cross-validation).")
    args = parser.parse_args()
    if args.nearest:
        nearest_scan(args.dev)
        return

    import bot.advisor as advisor_module
    from bot.advisor import Advisor, training_set
    from bot.evaluation import evaluate_advisor, read_labelled
    from classifiers.matcher import Matcher, ModelParams
    from classifiers.ranker import RankerParams
    from classifiers.topic import ClassifierParams
    from knowledge import load_knowledge_base

    kb = load_knowledge_base()
    data = read_labelled(args.dev)
    print(f"knowledge base {kb.version}: {len(kb.entries)} entries · development set {args.dev.name}: "
          f"{sum(1 for t in data.topics if t)} in scope")
    print(f"{'C':>5} {'curated':>7} {'evid':>4} {'nearest':>7} {'topic^':>6} | {'top-1':>6} {'top-3':>6} "
          f"{'hit@1':>6} {'hit@3':>6} {'MRR':>6} {'abst-in':>7} {'abst-oos':>8}")
    for c, curated in ((10.0, 0.5), (30.0, 0.5), (30.0, 1.0)):
        advisor_module.CURATED_TEXT_WEIGHT = curated
        base = ModelParams(classifier=ClassifierParams(C=c))
        matcher = Matcher(base).fit(training_set(kb))
        for evidence in (0.0, 3.0, 8.0):
            for nearest in (0.0, 0.3, 0.5):
                for topic_weight in (0.0, 0.2, 0.5):
                    ranker = RankerParams(nearest_weight=nearest, topic_weight=topic_weight)
                    matcher.ranker.params = ranker
                    matcher.params = dataclasses.replace(base, ranker=ranker,
                                                         entry_evidence=evidence)
                    e = evaluate_advisor(Advisor(kb, matcher), data)
                    t, r = e.topics, e.ranking
                    print(f"{c:5.0f} {curated:7.2f} {evidence:4.1f} {nearest:7.1f} {topic_weight:6.1f} | "
                          f"{t.accuracy_in_scope:6.3f} {e.topic_top3:6.3f} {r.hit_at_1:6.3f} "
                          f"{r.hit_at_3:6.3f} {r.mrr:6.3f} {t.abstained_in_scope:7.3f} "
                          f"{t.abstained_out_of_scope:8.3f}", flush=True)


def nearest_scan(dev: Path) -> None:
    """Development-set and cross-validated figures, and the scan's work, per share of
    situations above which a feature is left out of the nearest-situation scan (`max_df`)
    and per number of a question's heaviest features the scan reads (`terms`, 0: all);
    `touched`: stored values one dev question reads, centroids and situations."""
    import numpy as np

    from bot.advisor import Advisor, training_set
    from bot.evaluation import cross_validate_kb, evaluate_advisor, read_labelled
    from classifiers.matcher import Matcher, ModelParams
    from classifiers.ranker import RankerParams, _heaviest_per_row
    from knowledge import load_knowledge_base

    kb = load_knowledge_base()
    data = read_labelled(dev)
    print(f"{'max_df':>6} {'terms':>5} {'scan nnz':>9} {'touched':>8} | dev: {'top-1':>6} "
          f"{'hit@1':>6} {'hit@3':>6} {'MRR':>6} | 5-fold: {'top-1':>6} {'hit@1':>6} "
          f"{'hit@3':>6} {'MRR':>6}")
    for max_df, terms in ((1.0, 0), (0.08, 0), (1.0, 60), (0.2, 60), (0.08, 120), (0.08, 60),
                          (0.08, 40)):
        params = ModelParams(ranker=dataclasses.replace(
            RankerParams(), nearest_max_df=max_df, nearest_query_terms=terms))
        matcher = Matcher(params).fit(training_set(kb))
        d = evaluate_advisor(Advisor(kb, matcher), data)
        cv = cross_validate_kb(kb, folds=5, params=params)
        x = matcher.transform(data.texts)
        r = matcher.ranker
        touched = (np.diff(r._centroids_t.indptr)[x.indices].sum() + np.diff(
            r._situations_t.indptr)[_heaviest_per_row(x, terms).indices].sum()) / x.shape[0]
        print(f"{max_df:6.2f} {terms:5d} {r.nearest_scan_size:9,d} {touched:8,.0f} | "
              f"{d.topics.accuracy_in_scope:11.3f} {d.ranking.hit_at_1:6.3f} {d.ranking.hit_at_3:6.3f} "
              f"{d.ranking.mrr:6.3f} | {cv.topics.accuracy_in_scope:14.3f} {cv.ranking.hit_at_1:6.3f} "
              f"{cv.ranking.hit_at_3:6.3f} {cv.ranking.mrr:6.3f}", flush=True)


if __name__ == "__main__":
    main()
