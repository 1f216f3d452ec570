"""Evaluate the advisor: on a labelled file, or by cross-validation on the knowledge base.

Both give the same figures: the topic report (precision, recall, F1, confusion, abstention),
topic top-3, and entry hit@1, hit@3 and mean reciprocal rank. `cross_validate_kb` is the one
cross-validation routine: `advisor eval --cv`, the curation checks and the benchmarks use it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Group
from rich.table import Table
from rich.text import Text

from bot.advisor import Advisor, training_data, training_set
from classifiers.evaluation import (
    ABSTAIN,
    RankingReport,
    Report,
    cross_validate,
    evaluate,
    ranking_scores,
)
from classifiers.matcher import Matcher, ModelParams
from classifiers.policy import NONE_LABEL
from knowledge import KnowledgeBase
from knowledge.errors import AdvisorError

RANK_DEPTH = 10
"""How deep the ranking is read for the mean reciprocal rank."""


class LabelledSetError(AdvisorError):
    """The labelled evaluation file is unreadable or malformed."""


@dataclass(frozen=True)
class LabelledSet:
    """Texts with their gold topic (None: out of scope) and the entries that would help."""

    texts: tuple[str, ...]
    topics: tuple[str | None, ...]
    entries: tuple[tuple[str, ...], ...]
    styles: tuple[str, ...] = ()
    """Each text's style when the file says it (plain, informal), else empty."""


@dataclass(frozen=True)
class Evaluation:
    """Every figure of one evaluation."""

    topics: Report
    topic_top3: float
    ranking: RankingReport
    predicted: tuple[str | None, ...] = ()
    by_style: tuple[tuple[str, float, int], ...] = ()
    """(style, topic top-1, n) for in-scope texts of each style the set names."""


def read_labelled(path: Path) -> LabelledSet:
    """Read a YAML list of `{text, topic, entries}` (topic null = out of scope; entries
    optional: the ids of the entries that would directly help, best first)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LabelledSetError(f"{path}: cannot read labelled set: {exc}") from None
    if not isinstance(data, list):
        raise LabelledSetError(f"{path}: expected a YAML list of {{text, topic}} items")
    texts, topics, entries, styles = [], [], [], []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise LabelledSetError(f"{path}: item {i}: needs a 'text' string and a 'topic'")
        ids = item.get("entries") or []
        if not isinstance(ids, list) or not all(isinstance(e, str) for e in ids):
            raise LabelledSetError(f"{path}: item {i}: 'entries' must be a list of entry ids")
        texts.append(item["text"])
        topics.append(item.get("topic"))
        entries.append(tuple(ids))
        styles.append(str(item.get("style") or ""))
    return LabelledSet(tuple(texts), tuple(topics), tuple(entries),
                       tuple(styles) if any(styles) else ())


def evaluate_file(advisor: Advisor, path: Path) -> Evaluation:
    """Answer every text of the labelled file; compare topics and rankings."""
    data = read_labelled(path)
    unknown = sorted({t for t in data.topics if t and t not in advisor.kb.topics_by_id})
    if unknown:
        raise LabelledSetError(f"{path}: unknown topic(s): {', '.join(unknown)}")
    missing = sorted({e for ids in data.entries for e in ids} - advisor.kb.entries_by_id.keys())
    if missing:
        raise LabelledSetError(f"{path}: unknown entry id(s): {', '.join(missing)}")
    return evaluate_advisor(advisor, data)


def evaluate_advisor(advisor: Advisor, data: LabelledSet) -> Evaluation:
    """Every figure for `advisor` on a labelled set."""
    outcomes = [_outcome(a, r) for a, r in advisor.answer_ranked(data.texts)]
    return _figures(data.topics, data.entries, outcomes, data.styles)


@dataclass(frozen=True)
class _Outcome:
    """What the evaluation reads of one answer."""

    topic: str | None
    top_topics: tuple[str, ...]
    shown: tuple[str, ...]
    """The recommended entries (none when the advisor abstained): hit@k reads these."""
    ranked: tuple[str, ...]
    """`shown`, then the rest of the ranking: the mean reciprocal rank reads these."""


def _outcome(answer: Any, ranked: Sequence[str]) -> _Outcome:
    shown = tuple(r.entry.id for r in answer.recommendations)
    tops = [*([answer.topic] if answer.topic else []), *(a.topic for a in answer.alternatives)]
    return _Outcome(answer.topic.id if answer.topic else None, tuple(t.id for t in tops[:3]),
                    shown, shown + tuple(e for e in ranked if e not in shown))


def _figures(gold: Sequence[str | None], entries: Sequence[Sequence[str]],
             outcomes: Sequence[_Outcome], styles: Sequence[str] = ()) -> Evaluation:
    """Topic report, topic top-3, entry hit@1/hit@3/MRR and topic top-1 per style."""
    predicted = [o.topic for o in outcomes]
    hits = ranking_scores(entries, [o.shown for o in outcomes])
    depth = ranking_scores(entries, [o.ranked[:RANK_DEPTH] for o in outcomes])
    top3 = [g in o.top_topics for g, o in zip(gold, outcomes, strict=True) if g]
    by_style = []
    for style in sorted(set(styles)):
        pairs = [(g, p) for g, p, st in zip(gold, predicted, styles, strict=True)
                 if g and st == style]
        by_style.append((style, sum(g == p for g, p in pairs) / len(pairs), len(pairs)))
    return Evaluation(
        topics=evaluate(list(gold), predicted),
        topic_top3=sum(top3) / len(top3) if top3 else 0.0,
        ranking=RankingReport(hits.hit_at_1, hits.hit_at_3, depth.mrr, hits.n, depth.depth),
        predicted=tuple(predicted),
        by_style=tuple(by_style),
    )


def cross_validate_kb(kb: KnowledgeBase, *, folds: int = 5,
                      params: ModelParams | None = None) -> Evaluation:
    """K-fold cross-validation of the whole matching model on the base's own situations.

    Each fold trains on the rest of the base (its curated text always included) and answers
    the held-out situations and out-of-scope examples: topic figures, and whether each
    held-out situation's own entry is ranked first or in the top three.
    """
    texts, labels = training_data(kb)
    owner: dict[str, str] = {}
    for e in kb.entries:
        for s in e.situations:
            owner.setdefault(s, e.id)
    gold: list[str | None] = [None if lbl == NONE_LABEL else lbl for lbl in labels]

    def fit_predict(train_x: list[str], train_y: list[str | None], test_x: list[str]):
        advisor = Advisor(kb, Matcher(params).fit(training_set(kb, held_out=frozenset(test_x))))
        return [_outcome(a, r) for a, r in advisor.answer_ranked(test_x)]

    _, outcomes = cross_validate(texts, gold, fit_predict, folds=folds,
                                 label_of=lambda out: out.topic)
    entries = [(owner[t],) if g else () for t, g in zip(texts, gold, strict=True)]
    return _figures(gold, entries, outcomes)


def report_json(evaluation: Evaluation) -> dict[str, Any]:
    report, ranking = evaluation.topics, evaluation.ranking
    return {
        "accuracy_in_scope": round(report.accuracy_in_scope, 4),
        "topic_top3": round(evaluation.topic_top3, 4),
        "abstained_in_scope": round(report.abstained_in_scope, 4),
        "abstained_out_of_scope": round(report.abstained_out_of_scope, 4),
        "macro_f1": round(report.macro_f1, 4),
        "entry_hit_at_1": round(ranking.hit_at_1, 4),
        "entry_hit_at_3": round(ranking.hit_at_3, 4),
        "entry_mrr": round(ranking.mrr, 4),
        "n_with_entries": ranking.n,
        "topic_top1_by_style": {st: round(acc, 4) for st, acc, _ in evaluation.by_style},
        "n_in_scope": report.n_in_scope,
        "n_out_of_scope": report.n_out_of_scope,
        "per_label": {s.label: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                                "f1": round(s.f1, 4), "support": s.support}
                      for s in report.per_label},
        "labels": list(report.labels),
        "confusion": [list(r) for r in report.confusion],
    }


def render_report(title: str, evaluation: Evaluation) -> Group:
    report, ranking = evaluation.topics, evaluation.ranking
    scores = Table(title=title, title_justify="left")
    for col in ("topic", "precision", "recall", "F1", "n"):
        scores.add_column(col, justify="left" if col == "topic" else "right")
    for s in report.per_label:
        scores.add_row(s.label, f"{s.precision:.2f}", f"{s.recall:.2f}", f"{s.f1:.2f}",
                       str(s.support))
    confusion = Table(title="confusion (rows: gold, columns: predicted)", title_justify="left")
    short = [_short(lbl) for lbl in report.labels]
    confusion.add_column("")
    for s in short:
        confusion.add_column(s, justify="right")
    for lbl, row in zip(short, report.confusion, strict=True):
        confusion.add_row(lbl, *[str(v) if v else "·" for v in row])
    summary = Text(
        f"topic top-1 {report.accuracy_in_scope:.3f}, top-3 {evaluation.topic_top3:.3f} "
        f"(n={report.n_in_scope}) · macro F1 {report.macro_f1:.3f} · abstained: in-scope "
        f"{report.abstained_in_scope:.1%}, out-of-scope {report.abstained_out_of_scope:.1%} "
        f"(n={report.n_out_of_scope})\n"
        f"entries: hit@1 {ranking.hit_at_1:.3f} · hit@3 {ranking.hit_at_3:.3f} · "
        f"MRR@{RANK_DEPTH} {ranking.mrr:.3f} (n={ranking.n})"
        + "".join(f"\n{st}: topic top-1 {acc:.3f} (n={n})" for st, acc, n in evaluation.by_style)
    )
    return Group(scores, confusion, summary, Text(""))


def _short(label: str) -> str:
    if label == ABSTAIN:
        return "none"
    return "".join(part[:4] for part in label.split("-")[:2])


__all__ = ["Evaluation", "LabelledSet", "cross_validate_kb", "evaluate_file",
           "read_labelled", "render_report", "report_json"]
