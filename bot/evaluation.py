"""Evaluate the advisor: on a labelled file, or by cross-validation on the knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from rich.console import Group
from rich.table import Table
from rich.text import Text

from bot.advisor import Advisor, training_data
from classifiers.evaluation import ABSTAIN, Report, cross_validate, evaluate
from classifiers.topic import NONE_LABEL, Params, TopicClassifier
from knowledge import load_knowledge_base
from knowledge.errors import AdvisorError


class LabelledSetError(AdvisorError):
    """The labelled evaluation file is unreadable or malformed."""


def read_labelled(path: Path) -> tuple[list[str], list[str | None]]:
    """Read a YAML list of `{text, topic}` (topic null = out of scope)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise LabelledSetError(f"{path}: cannot read labelled set: {exc}") from None
    if not isinstance(data, list):
        raise LabelledSetError(f"{path}: expected a YAML list of {{text, topic}} items")
    texts, topics = [], []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise LabelledSetError(f"{path}: item {i}: needs a 'text' string and a 'topic'")
        texts.append(item["text"])
        topics.append(item.get("topic"))
    return texts, topics


def evaluate_file(advisor: Advisor, path: Path) -> Report:
    """Answer every text of the labelled file and compare topics."""
    texts, gold = read_labelled(path)
    unknown = sorted({t for t in gold if t and t not in advisor.kb.topics_by_id})
    if unknown:
        raise LabelledSetError(f"{path}: unknown topic(s): {', '.join(unknown)}")
    predicted = [a.topic.id if a.topic else None for a in advisor.answer_many(texts)]
    return evaluate(gold, predicted)


def cross_validate_kb(kb_path: Path | None, *, folds: int = 5,
                      params: Params | None = None) -> Report:
    """K-fold cross-validation of the topic model on the knowledge base's own situations."""
    kb = load_knowledge_base(kb_path)
    texts, labels = training_data(kb)
    gold: list[str | None] = [None if lbl == NONE_LABEL else lbl for lbl in labels]

    def fit_predict(train_x: list[str], train_y: list[str | None], test_x: list[str]):
        model = TopicClassifier(params).fit(train_x, [y or NONE_LABEL for y in train_y])
        return [p.label for p in model.predict(test_x)]

    report, _ = cross_validate(texts, gold, fit_predict, folds=folds)
    return report


def report_json(report: Report) -> dict[str, Any]:
    return {
        "accuracy_in_scope": round(report.accuracy_in_scope, 4),
        "abstained_in_scope": round(report.abstained_in_scope, 4),
        "abstained_out_of_scope": round(report.abstained_out_of_scope, 4),
        "macro_f1": round(report.macro_f1, 4),
        "n_in_scope": report.n_in_scope,
        "n_out_of_scope": report.n_out_of_scope,
        "per_label": {s.label: {"precision": round(s.precision, 4), "recall": round(s.recall, 4),
                                "f1": round(s.f1, 4), "support": s.support}
                      for s in report.per_label},
        "labels": list(report.labels),
        "confusion": [list(r) for r in report.confusion],
    }


def render_report(title: str, report: Report) -> Group:
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
        f"in-scope top-1 accuracy {report.accuracy_in_scope:.3f} (n={report.n_in_scope}) · "
        f"macro F1 {report.macro_f1:.3f} · abstained: in-scope "
        f"{report.abstained_in_scope:.1%}, out-of-scope {report.abstained_out_of_scope:.1%} "
        f"(n={report.n_out_of_scope})"
    )
    return Group(scores, confusion, summary, Text(""))


def _short(label: str) -> str:
    if label == ABSTAIN:
        return "none"
    return "".join(part[:4] for part in label.split("-")[:2])
