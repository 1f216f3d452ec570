"""Save and load a trained model with metadata; a mismatched model is refused, never used."""

from __future__ import annotations

import pickle
import platform
from importlib.metadata import version
from pathlib import Path
from typing import Any

from knowledge.errors import AdvisorError

FORMAT = 6
"""The layout of what `save_model` pickles. Bump it whenever a pickled class (the topic model,
its compiled vectorizers, the entry ranker) changes its attributes, so that models saved by
an older version are refused and retrained instead of failing, or worse, answering wrongly."""


class ModelMismatchError(AdvisorError):
    """The persisted model was trained for another knowledge base or library version."""


def library_versions() -> dict[str, str]:
    """The versions a trained model depends on (read without importing scikit-learn)."""
    return {
        "python": platform.python_version(),
        "scikit-learn": version("scikit-learn"),
        "numpy": version("numpy"),
        "scipy": version("scipy"),
    }


def save_model(path: Path, model: Any, *, kb_version: str, extra: dict[str, Any]) -> None:
    """Write `model` with the metadata that decides whether it may be loaded again.

    The file is a pickle: load only models you trained yourself.
    """
    meta = {"format": FORMAT, "kb_version": kb_version, **library_versions(), **extra}
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("wb") as fh:
        pickle.dump({"meta": meta, "model": model}, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def load_model(
    path: Path, *, kb_version: str, expect: dict[str, Any] | None = None
) -> tuple[Any, dict[str, Any]]:
    """Load a model saved by `save_model`, refusing it when its metadata doesn't match.

    `expect` adds metadata that must match too (for example the hyper-parameters).
    """
    try:
        with path.open("rb") as fh:
            payload = pickle.load(fh)
    except FileNotFoundError:
        raise ModelMismatchError(
            f"{path}: no model file; train one with `advisor model train`"
        ) from None
    except Exception as exc:  # unpickling can raise almost anything on a foreign file
        raise ModelMismatchError(f"{path}: not a model file ({type(exc).__name__})") from exc
    if not isinstance(payload, dict) or "meta" not in payload:
        raise ModelMismatchError(f"{path}: not a model file written by the advisor")
    meta = payload["meta"]
    expected = {"format": FORMAT, "kb_version": kb_version, **library_versions(), **(expect or {})}
    diffs = [f"{k} {meta.get(k)!r} (now {v!r})" for k, v in expected.items() if meta.get(k) != v]
    if diffs:
        raise ModelMismatchError(
            f"{path}: refused, trained for " + ", ".join(diffs)
            + "; retrain with `advisor model train`"
        )
    return payload["model"], meta
