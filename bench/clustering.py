"""Choose how the gaps inbox groups questions, by measurement on labelled gap questions.

Run: python bench/clustering.py [--data tests/data/gap_groups.yaml]
For each representation and merge threshold: adjusted Rand index against the labelled groups
(out-of-scope noise counts as one group per message), purity, the number of clusters, the
share of questions left alone, and how many of the labelled groups come out whole or in at
most two clusters. The default in bot/curation/gaps.py is the row marked "*".
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "gap_groups.yaml")
    args = parser.parse_args()

    from functools import partial

    import numpy as np
    import yaml
    from sklearn.metrics import adjusted_rand_score

    from bot.advisor import Advisor
    from bot.curation.gaps import MIN_SIMILARITY
    from classifiers.clustering import cluster_texts, tfidf_vectors
    from knowledge import load_knowledge_base

    data = yaml.safe_load(args.data.read_text(encoding="utf-8"))
    texts = [q for g in data["groups"] for q in g["questions"]] + list(data["noise"])
    labels = [g["group"] for g in data["groups"] for _ in g["questions"]] + \
        [f"noise-{i}" for i in range(len(data["noise"]))]
    advisor = Advisor.from_knowledge_base(load_knowledge_base())
    matcher = advisor.matcher
    print(f"{len(data['groups'])} groups, {len(texts) - len(data['noise'])} questions, "
          f"{len(data['noise'])} out-of-scope messages")
    print(f"{'representation':34s} {'min sim':>7s} | {'ARI':>5s} {'purity':>6s} {'clusters':>8s} "
          f"{'alone':>6s} {'whole':>5s} {'<=2':>4s}")
    designs = [("words (TF-IDF on the questions)", tfidf_vectors, (0.1, 0.2, 0.3)),
               ("features (the model's, until now)", matcher.transform, (0.15, 0.2, 0.3)),
               ("meaning: top-3 entries only", partial(matcher.meaning, lexical=0.0,
                                                       sure_match=1e-9), (0.3, 0.5, 0.7)),
               ("meaning: top-3 + features", partial(matcher.meaning, sure_match=1e-9),
                (0.4, 0.5, 0.6)),
               ("meaning: top-5 + features, weighed", partial(matcher.meaning, top=5),
                (0.3, 0.4, 0.5)),
               ("meaning: top-3 + features, weighed", matcher.meaning, (0.3, 0.4, 0.5)),
               ("closer of meaning and features", (matcher.meaning, matcher.transform),
                (0.3, 0.35, 0.4, 0.5))]
    for name, vectorize, thresholds in designs:
        for threshold in thresholds:
            clusters = cluster_texts(texts, min_similarity=threshold, vectorize=vectorize)
            pred = np.zeros(len(texts), dtype=int)
            for i, c in enumerate(clusters):
                pred[list(c.members)] = i
            purity = sum(Counter(labels[i] for i in c.members).most_common(1)[0][1]
                         for c in clusters) / len(texts)
            alone = sum(1 for c in clusters if c.size == 1) / len(texts)
            spread = [len({pred[i] for i, lab in enumerate(labels) if lab == g["group"]})
                      for g in data["groups"]]
            chosen = "*" if name.startswith("closer") and threshold == MIN_SIMILARITY else " "
            print(f"{chosen}{name:33s} {threshold:7.2f} | {adjusted_rand_score(labels, pred):5.3f} "
                  f"{purity:6.3f} {len(clusters):8d} {alone:6.1%} {spread.count(1):5d} "
                  f"{sum(1 for s in spread if s <= 2):4d}", flush=True)
    noise_line(matcher, data)


def noise_line(matcher, data) -> None:  # type: ignore[no-untyped-def]
    """How well the out-of-scope probability keeps inbox noise apart from real gaps."""
    from bot.curation.gaps import NOISE

    real = matcher.out_of_scope_probability([q for g in data["groups"] for q in g["questions"]])
    noise = matcher.out_of_scope_probability(list(data["noise"]))
    print("\nout-of-scope probability from which a question counts as noise:")
    for t in (0.5, 0.6, 0.7, 0.8, 0.9):
        chosen = "*" if t == NOISE else " "
        print(f"{chosen} {t:.1f}: noise caught {(noise >= t).mean():6.1%}, "
              f"real gap questions taken for noise {(real >= t).mean():6.1%}")


if __name__ == "__main__":
    main()
