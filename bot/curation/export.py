"""`advisor kb gaps --export`: the gaps inbox as a file to review in git.

`*.yaml`: every cluster with its questions and a proposal (add them to the suggested entry,
with the unified diff that would make), for teams that curate by pull request. `*.diff` or
`*.patch`: one patch adding every cluster with a suggested entry, ready for `git apply`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import io
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.curation.gaps import GapCluster
from knowledge import editor


def export_gaps(path: Path, clusters: Sequence[GapCluster], kb_path: Path, *, days: int,
                kb_version: str) -> int:
    """Write the export (format by suffix); returns how many clusters it proposes changes for."""
    if path.suffix in (".diff", ".patch"):
        text, n = gaps_patch(clusters, kb_path)
    else:
        text = gaps_yaml(clusters, kb_path, days=days, kb_version=kb_version)
        n = sum(1 for c in clusters if c.suggested_entry)
    path.write_text(text, encoding="utf-8")
    return n


def gaps_yaml(clusters: Sequence[GapCluster], kb_path: Path, *, days: int, kb_version: str,
              now: dt.datetime | None = None) -> str:
    """The clusters and their proposals as a commented YAML document."""
    when = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M UTC")
    doc = {
        "generated": when,
        "kb_version": kb_version,
        "window_days": days,
        "clusters": [_cluster(c, kb_path) for c in clusters],
    }
    yaml = YAML()
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    out = io.StringIO()
    out.write(
        "# Knowledge-base gaps: questions the advisor abstained on, answered with low confidence,\n"
        "# or that users marked not helpful or re-routed, grouped by similarity (redacted).\n"
        "# Review each proposal; apply one with `advisor kb accept ID --entry ENTRY`, or edit the\n"
        "# YAML files by hand using the diff shown.\n"
    )
    yaml.dump(doc, out)
    return out.getvalue()


def gaps_patch(clusters: Sequence[GapCluster], kb_path: Path) -> tuple[str, int]:
    """One unified diff adding each cluster's questions to its suggested entry."""
    n = 0
    with tempfile.TemporaryDirectory(prefix="kb-gaps-") as tmp:
        copy = Path(tmp) / kb_path.name
        shutil.copytree(kb_path, copy, ignore=shutil.ignore_patterns(".*"))
        for c in clusters:
            if not c.suggested_entry:
                continue
            change = editor.plan_add_situations(copy, c.suggested_entry, c.situations)
            if change.changed:
                change.file.write_text(change.text, encoding="utf-8")
                n += 1
        parts = []
        for original in sorted(kb_path.glob("*.yaml")):
            edited = copy / original.name
            before = original.read_text(encoding="utf-8")
            after = edited.read_text(encoding="utf-8")
            if before != after:
                parts.append(_diff(before, after, original))
    return "".join(parts), n


def _cluster(c: GapCluster, kb_path: Path) -> dict[str, object]:
    data: dict[str, object] = {
        "id": c.id,
        "size": c.size,
        "representative": c.representative.question,
        "likely_topic": c.likely_topic,
        "topic_from": c.topic_from,
        "reasons": c.reasons,
        "questions": list(c.situations),
    }
    if c.suggested_entry:
        change = editor.plan_add_situations(kb_path, c.suggested_entry, c.situations)
        data["proposal"] = {
            "action": "add_situations",
            "entry": c.suggested_entry,
            "file": _label(change.file),
            "diff": LiteralScalarString(_diff(change.original, change.text, change.file))
            if change.changed else "(already there)",
        }
    else:
        data["proposal"] = {"action": "draft_entry", "topic": c.likely_topic}
    return data


def _diff(before: str, after: str, path: Path) -> str:
    label = _label(path)
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        fromfile=f"a/{label}", tofile=f"b/{label}"))


def _label(path: Path) -> str:
    """The path as git would name it from the current directory, else folder/name."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        rel = ".."
    return rel if not rel.startswith("..") else f"{path.parent.name}/{path.name}"
