"""Before and after: cross-validation and development-set figures, and the two-point gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.advisor import training_data
from bot.curation.quality import (
    REPO_DEV_SET,
    Quality,
    compare,
    default_dev_set,
    measure,
    overall_accuracy,
)
from bot.settings import load_settings
from classifiers.evaluation import evaluate
from knowledge import editor, load_knowledge_base


@pytest.fixture
def dev_set(tmp_path: Path, kb_copy: Path) -> Path:
    kb = load_knowledge_base(kb_copy)
    items = [{"text": e.situations[0], "topic": e.topic} for e in kb.entries[::4]]
    items += [{"text": "where is the printer", "topic": None},
              {"text": "is it going to rain", "topic": None}]
    path = tmp_path / "dev.yaml"
    path.write_text(yaml.safe_dump(items))
    return path


def _q(cv: float, dev: float | None) -> Quality:
    return Quality("v", cv, 0.5, dev, 10 if dev is not None else 0, 5)


def test_measuring_is_deterministic_and_covers_both_figures(kb_copy: Path, dev_set: Path) -> None:
    first = measure(kb_copy, dev_set=dev_set)
    second = measure(kb_copy, dev_set=dev_set)

    assert first == second
    assert 0 < first.cv_accuracy <= 1 and 0 < first.cv_macro_f1 <= 1
    assert first.dev_accuracy is not None and 0 < first.dev_accuracy <= 1
    assert first.dev_size == len(yaml.safe_load(dev_set.read_text()))
    texts, _ = training_data(load_knowledge_base(kb_copy))
    assert len(first.cv_predicted) == len(texts) and first.folds == 5


def test_figures_are_cached_by_knowledge_base_version(kb_copy: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = measure(kb_copy, cache_dir=cache)
    [cached] = cache.glob("quality-*.json")
    data = json.loads(cached.read_text())
    data["cv_accuracy"] = 0.123
    cached.write_text(json.dumps(data))

    assert measure(kb_copy, cache_dir=cache).cv_accuracy == 0.123  # read back, not recomputed

    entry = load_knowledge_base(kb_copy).entries[0]
    editor.add_situations(kb_copy, entry.id, ["one more situation for the first entry"])
    after = measure(kb_copy, cache_dir=cache)
    assert after.kb_version != first.kb_version and after.cv_accuracy != 0.123
    assert len(list(cache.glob("quality-*.json"))) == 2


def test_a_drop_of_more_than_two_points_needs_confirmation() -> None:
    assert not compare(_q(0.80, 0.90), _q(0.78, 0.88)).needs_confirmation  # exactly 2 points
    cv_drop = compare(_q(0.80, 0.90), _q(0.775, 0.91))
    assert cv_drop.needs_confirmation and cv_drop.drops == ("cross-validation accuracy",)
    dev_drop = compare(_q(0.80, 0.90), _q(0.81, 0.87))
    assert dev_drop.drops == ("development-set accuracy",)
    assert compare(_q(0.80, None), _q(0.80, None)).dev_delta is None


def test_the_comparison_reads_as_before_arrow_after() -> None:
    lines = compare(_q(0.841, 0.90), _q(0.80, 0.905)).lines()
    assert lines[0] == "5-fold cross-validation accuracy 84.1% → 80.0% (-4.1 points)"
    assert lines[1] == "development-set accuracy (n=10) 90.0% → 90.5% (+0.5 points)"
    assert lines[2].startswith("warning: cross-validation accuracy fell by more than 2 points")
    assert compare(_q(0.8, None), _q(0.8, None)).lines()[1].endswith("no development set")


def test_overall_accuracy_counts_topics_right_and_out_of_scope_abstained() -> None:
    report = evaluate(["a", "a", "b", None, None], ["a", "b", "b", None, "a"])
    assert overall_accuracy(report) == pytest.approx(3 / 5)


def test_the_development_set_is_configurable(tmp_path: Path) -> None:
    custom = tmp_path / "dev.yaml"
    assert default_dev_set(load_settings({"ADVISOR_DEV_SET": str(custom)})) == custom
    assert default_dev_set(load_settings({})) == (REPO_DEV_SET if REPO_DEV_SET.exists() else None)
