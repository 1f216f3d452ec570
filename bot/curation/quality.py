"""Before and after: how a knowledge-base change moves the model's figures.

Two figures, both "accuracy" in the same sense (in scope: the right topic; out of scope:
abstained): stratified K-fold cross-validation on the base's own situations (deterministic,
`random_state` 0), and the labelled development set when the `ADVISOR_DEV_SET` setting names
one (off otherwise: nothing is read from the source tree, so an installed wheel behaves as a
checkout does). A change that lowers either by more than `MAX_DROP` points asks for
confirmation.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from classifiers.evaluation import Report

log = logging.getLogger(__name__)

MAX_DROP = 2.0  # points
FOLDS = 5
DEV_SET_OFF = ("development-set accuracy: off (set ADVISOR_DEV_SET to a YAML file of labelled "
               "questions to measure it)")
CACHE_FORMAT = 1


@dataclass(frozen=True)
class Quality:
    """The figures for one version of the base (accuracies in 0–1)."""

    kb_version: str
    cv_accuracy: float
    cv_macro_f1: float
    dev_accuracy: float | None
    dev_size: int
    folds: int
    cv_predicted: tuple[str | None, ...] = ()  # per training text, for `advisor kb lint`

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("cv_predicted")
        return data


@dataclass(frozen=True)
class Comparison:
    """Before and after, in percentage points."""

    before: Quality
    after: Quality
    max_drop: float = MAX_DROP

    @property
    def cv_delta(self) -> float:
        return _points(self.after.cv_accuracy - self.before.cv_accuracy)

    @property
    def dev_delta(self) -> float | None:
        if self.before.dev_accuracy is None or self.after.dev_accuracy is None:
            return None
        return _points(self.after.dev_accuracy - self.before.dev_accuracy)

    @property
    def drops(self) -> tuple[str, ...]:
        """The figures that fell by more than `max_drop` points."""
        out = []
        if self.cv_delta < -self.max_drop:
            out.append("cross-validation accuracy")
        if self.dev_delta is not None and self.dev_delta < -self.max_drop:
            out.append("development-set accuracy")
        return tuple(out)

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.drops)

    def lines(self) -> list[str]:
        """Plain lines for a person, e.g. 'cross-validation accuracy 84.1% → 83.0% (-1.1 points)'."""
        out = [_line(f"{self.after.folds}-fold cross-validation accuracy", self.before.cv_accuracy,
                     self.after.cv_accuracy, self.cv_delta)]
        if self.dev_delta is not None:
            assert self.before.dev_accuracy is not None and self.after.dev_accuracy is not None
            out.append(_line(f"development-set accuracy (n={self.after.dev_size})",
                             self.before.dev_accuracy, self.after.dev_accuracy, self.dev_delta))
        else:
            out.append(DEV_SET_OFF)
        if self.drops:
            out.append(f"warning: {' and '.join(self.drops)} fell by more than "
                       f"{self.max_drop:g} points")
        return out

    def to_json(self) -> dict[str, Any]:
        return {"before": self.before.to_json(), "after": self.after.to_json(),
                "cv_delta": self.cv_delta, "dev_delta": self.dev_delta, "drops": list(self.drops)}


def compare(before: Quality, after: Quality, *, max_drop: float = MAX_DROP) -> Comparison:
    """Flag a drop of more than `max_drop` points in either figure."""
    return Comparison(before, after, max_drop)


def measure(
    kb_path: Path,
    *,
    dev_set: Path | None = None,
    folds: int = FOLDS,
    cache_dir: Path | None = None,
) -> Quality:
    """Cross-validate the base at `kb_path` and score `dev_set` if given (cached by version)."""
    from bot.advisor import Advisor
    from bot.evaluation import cross_validate_kb, evaluate_file
    from knowledge import load_knowledge_base

    kb = load_knowledge_base(kb_path)
    key = _cache_key(kb.version, dev_set, folds)
    cached = _read_cache(cache_dir, key)
    if cached is not None:
        return cached
    cv = cross_validate_kb(kb, folds=folds)
    report, predicted = cv.topics, cv.predicted
    dev_accuracy, dev_size = None, 0
    if dev_set is not None:
        models = cache_dir / "models" if cache_dir else None
        advisor = Advisor.load(kb_path, cache_dir=models) if models else Advisor.from_knowledge_base(kb)
        dev = evaluate_file(advisor, dev_set).topics
        dev_accuracy, dev_size = overall_accuracy(dev), dev.n_in_scope + dev.n_out_of_scope
    quality = Quality(kb.version, overall_accuracy(report), report.macro_f1, dev_accuracy,
                      dev_size, folds, tuple(predicted))
    _write_cache(cache_dir, key, quality)
    return quality


def overall_accuracy(report: Report) -> float:
    """Share of items handled right: in scope, the right topic; out of scope, abstained."""
    n = report.n_in_scope + report.n_out_of_scope
    if not n:
        return 0.0
    right = (report.accuracy_in_scope * report.n_in_scope
             + report.abstained_out_of_scope * report.n_out_of_scope)
    return right / n


def _points(delta: float) -> float:
    return round(delta * 100, 1)


def _line(name: str, before: float, after: float, delta: float) -> str:
    return f"{name} {before:.1%} → {after:.1%} ({delta:+.1f} points)"


def _cache_key(kb_version: str, dev_set: Path | None, folds: int) -> str:
    dev = hashlib.sha256(dev_set.read_bytes()).hexdigest()[:12] if dev_set else "none"
    return f"quality-{CACHE_FORMAT}-{kb_version}-{dev}-{folds}"


def _read_cache(cache_dir: Path | None, key: str) -> Quality | None:
    if cache_dir is None:
        return None
    path = cache_dir / f"{key}.json"
    try:
        data = json.loads(path.read_text())
        data["cv_predicted"] = tuple(data["cv_predicted"])
        return Quality(**data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError):
        log.warning("ignoring an unreadable quality cache %s", path)
        return None


def _write_cache(cache_dir: Path | None, key: str, quality: Quality) -> None:
    if cache_dir is None:
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f".{key}.tmp"
        tmp.write_text(json.dumps(asdict(quality)))
        tmp.replace(cache_dir / f"{key}.json")
    except OSError:
        log.warning("could not cache quality figures in %s", cache_dir, exc_info=True)
