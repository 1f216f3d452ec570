"""Before and after: cross-validation and development-set figures, and the two-point gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from bot.advisor import training_data
from bot.curation.quality import DEV_SET_OFF, Quality, compare, measure, overall_accuracy
from bot.curation.service import Curator
from bot.log import ConversationLog
from bot.settings import Settings, load_settings
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
    assert compare(_q(0.8, None), _q(0.8, None)).lines()[1] == DEV_SET_OFF


def test_overall_accuracy_counts_topics_right_and_out_of_scope_abstained() -> None:
    report = evaluate(["a", "a", "b", None, None], ["a", "b", "b", None, "a"])
    assert overall_accuracy(report) == pytest.approx(3 / 5)


def test_without_advisor_dev_set_only_cross_validation_is_measured_and_it_says_so(
        settings: Settings, conversation_log: ConversationLog, kb_copy: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Given settings as an installed wheel has them: no ADVISOR_DEV_SET (though this checkout
    # has labelled questions under tests/)
    monkeypatch.delenv("ADVISOR_DEV_SET", raising=False)
    curator = Curator(settings=settings, log=conversation_log, kb_path=kb_copy)
    # When the curation quality check measures the base
    quality = curator.quality()
    # Then only cross-validation is measured, and the comparison says how to turn the other on
    assert curator.dev_set is None
    assert quality.dev_accuracy is None and quality.dev_size == 0 and quality.cv_accuracy > 0
    lines = compare(quality, quality).lines()
    assert lines[0].startswith("5-fold cross-validation accuracy ")
    assert lines[1] == DEV_SET_OFF
    assert DEV_SET_OFF.startswith("development-set accuracy: off") and "ADVISOR_DEV_SET" in DEV_SET_OFF


def test_advisor_dev_set_turns_the_development_set_figure_on(
        settings: Settings, conversation_log: ConversationLog, kb_copy: Path, dev_set: Path,
        data_dir: Path) -> None:
    configured = load_settings({"ADVISOR_DATA_DIR": str(data_dir), "ADVISOR_DEV_SET": str(dev_set),
                                "LOG_HMAC_SECRET": "test-secret"})
    curator = Curator(settings=configured, log=conversation_log, kb_path=kb_copy)
    quality = curator.quality()
    assert curator.dev_set == dev_set
    assert quality.dev_accuracy is not None
    assert quality.dev_size == len(yaml.safe_load(dev_set.read_text()))
