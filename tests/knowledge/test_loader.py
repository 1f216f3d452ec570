"""Loading and validating the knowledge base: every problem named with file:line."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from knowledge import REQUIRED_TOPICS, KnowledgeBaseError, load_knowledge_base


def _line_of(path: Path, needle: str) -> int:
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


def _errors(root: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(root)
    return [str(p) for p in info.value.problems if p.severity == "error"]


def test_shipped_base_loads_with_all_required_topics():
    kb = load_knowledge_base()
    assert [t.id for t in kb.topics][: len(REQUIRED_TOPICS)] == list(REQUIRED_TOPICS)
    assert all(len(t.entries) >= 4 for t in kb.topics)
    assert len(kb.entries) >= 40
    assert len(kb.out_of_scope) >= 60
    for e in kb.entries:
        assert len(e.situations) >= 8 and len(e.actions) >= 3 and e.sources


def test_version_is_a_content_hash(kb_copy: Path):
    first = load_knowledge_base(kb_copy).version
    assert load_knowledge_base(kb_copy).version == first
    f = kb_copy / "measurement.yaml"
    f.write_text(f.read_text().replace("Synthetic topic", "A synthetic topic"))
    assert load_knowledge_base(kb_copy).version != first


def test_too_few_actions_names_file_line_entry_and_field(kb_copy: Path, monkeypatch):
    monkeypatch.chdir(kb_copy.parent)
    f = kb_copy / "pilots-rollout.yaml"
    text = f.read_text()
    start = text.index("- id: pilots-rollout-entry-2")
    actions = text.index("  actions:", start)
    step3 = text.index("Step 3 of 2", actions)
    cut = text.rindex("\n", 0, step3)
    end = text.index("  sources:", step3)
    f.write_text(text[:cut] + "\n" + text[end:])
    line = _line_of(f, "- id: pilots-rollout-entry-2") + (
        text[start:actions].count("\n"))
    assert _errors(kb_copy) == [
        f"kb{os.sep}pilots-rollout.yaml:{line}: entry 'pilots-rollout-entry-2': "
        "actions: at least 3 required"
    ]


def test_unknown_key_is_an_error(kb_copy: Path):
    f = kb_copy / "measurement.yaml"
    f.write_text(f.read_text().replace("  owner: Synthetic team", "  ownr: Synthetic team", 1))
    errors = _errors(kb_copy)
    line = _line_of(f, "ownr:")
    assert any(e.endswith(f"measurement.yaml:{line}: entry 'measurement-entry-0': ownr: unknown key")
               for e in errors), errors
    assert any("owner: required field missing" in e for e in errors)


def test_duplicate_entry_id_across_files_is_an_error(kb_copy: Path):
    f = kb_copy / "communication.yaml"
    f.write_text(f.read_text().replace("id: communication-entry-0", "id: measurement-entry-0"))
    errors = _errors(kb_copy)
    assert any("entry 'measurement-entry-0': id: duplicate entry id" in e for e in errors), errors


def test_missing_required_topic_is_an_error(kb_copy: Path):
    (kb_copy / "citizen-design.yaml").unlink()
    assert any("required topic 'citizen-design' is missing" in e for e in _errors(kb_copy))


def test_malformed_yaml_reports_its_line_and_keeps_other_errors(kb_copy: Path):
    f = kb_copy / "measurement.yaml"
    lines = f.read_text().splitlines()
    lines[9] = "\tbroken: line"
    f.write_text("\n".join(lines) + "\n")
    errors = _errors(kb_copy)
    assert len(errors) == 1
    assert errors[0].startswith(f"{f}:10: invalid YAML"), errors


def test_binary_and_non_utf8_files_are_reported_not_crashing(kb_copy: Path):
    (kb_copy / "measurement.yaml").write_bytes(b"\x00\x01binary")
    (kb_copy / "communication.yaml").write_bytes(b"id: communication\ntitle: caf\xe9\n")
    errors = _errors(kb_copy)
    assert any("measurement.yaml:1: binary file" in e for e in errors)
    assert any("communication.yaml:2: not valid UTF-8" in e for e in errors)


def test_duplicate_yaml_key_is_an_error(kb_copy: Path):
    f = kb_copy / "measurement.yaml"
    f.write_text(f.read_text().replace("id: measurement\n", "id: measurement\nid: twice\n", 1))
    assert f"{f}:2: duplicate key 'id'" in _errors(kb_copy)


def test_summary_must_have_two_to_four_sentences(kb_copy: Path):
    f = kb_copy / "measurement.yaml"
    text = f.read_text()
    f.write_text(text.replace("summary: Do the thing number 0. It helps with",
                              "summary: Do the thing number 0 and it helps with", 1))
    assert any("entry 'measurement-entry-0': summary: must be 2 to 4 sentences, found 1" in e
               for e in _errors(kb_copy))


def test_same_situation_under_two_topics_and_overdue_review_are_warnings(kb_copy: Path):
    kb = load_knowledge_base(kb_copy)
    situation = kb.topic("measurement").entries[0].situations[0]
    f = kb_copy / "communication.yaml"
    text = f.read_text()
    first = kb.topic("communication").entries[0].situations[0]
    f.write_text(text.replace(first, situation, 1))
    kb = load_knowledge_base(kb_copy, today=dt.date(2030, 1, 1))
    line = _line_of(kb_copy / "measurement.yaml", situation[:40])
    assert any(w.startswith(f"{kb_copy / 'measurement.yaml'}:{line}: entry 'measurement-entry-0': "
                            "situation also under topic 'communication'") for w in kb.warnings)
    assert any("review overdue since 2027-11-01 (owner: Synthetic team)" in w for w in kb.warnings)
    assert not load_knowledge_base(kb_copy, today=dt.date(2026, 11, 2)).warnings[1:]


def test_missing_folder_is_a_clear_error(tmp_path: Path):
    with pytest.raises(KnowledgeBaseError, match="not a knowledge-base folder"):
        load_knowledge_base(tmp_path / "nope")


def test_practice_sources_and_vocabulary_load_and_bad_ones_name_file_and_line(kb_copy: Path,
                                                                               monkeypatch):
    monkeypatch.chdir(kb_copy.parent)
    f = kb_copy / "measurement.yaml"
    text = f.read_text()
    text = text.replace("entries:\n", "vocabulary:\n- KPI\n- OKRs\nentries:\n", 1)
    first_sources = text.index("  sources:\n")
    text = text[:first_sources] + "  sources:\n  - practice: baseline sampling\n" + \
        text[text.index("  owner:", first_sources):]
    f.write_text(text)
    kb = load_knowledge_base(kb_copy)
    topic = kb.topic("measurement")
    assert topic.vocabulary == ("KPI", "OKRs")
    [source] = topic.entries[0].sources
    assert source.is_practice and source.label == "Practice guidance: baseline sampling"

    both = text.replace("  - practice: baseline sampling\n",
                        "  - practice: baseline sampling\n    file: 000_23b929e102732082.txt\n", 1)
    f.write_text(both)
    [error] = _errors(kb_copy)
    assert error.startswith(f"kb{os.sep}measurement.yaml:{_line_of(f, '- practice: baseline')}: ")
    assert "either a seed (title and file) or practice guidance" in error

    f.write_text(text.replace("- OKRs\n", "- okrs\n- KPI \n", 1).replace("- KPI\n", "- OKRs\n", 1))
    [error] = _errors(kb_copy)
    assert "vocabulary" in error and "listed twice" in error


def test_a_term_under_two_topics_is_a_warning(kb_copy: Path):
    for name in ("measurement", "communication"):
        f = kb_copy / f"{name}.yaml"
        f.write_text(f.read_text().replace("entries:\n", "vocabulary:\n- dashboard\nentries:\n", 1))
    kb = load_knowledge_base(kb_copy)
    assert any("term 'dashboard' is also a term of topic" in w for w in kb.warnings)


def test_problems_are_listed_file_by_file_and_in_line_order(kb_copy: Path):
    # Given a term (line 5) and a situation (further down) of measurement also under communication
    kb = load_knowledge_base(kb_copy)
    situation = kb.topic("measurement").entries[0].situations[0]
    for name in ("measurement", "communication"):
        f = kb_copy / f"{name}.yaml"
        f.write_text(f.read_text().replace("entries:\n", "vocabulary:\n- dashboard\nentries:\n", 1))
    f = kb_copy / "communication.yaml"
    f.write_text(f.read_text().replace(kb.topic("communication").entries[0].situations[0],
                                       situation, 1))
    # When the base is loaded, Then measurement's warnings come in the order of their lines
    warnings = load_knowledge_base(kb_copy).warnings
    assert [w.split(": ")[1] for w in warnings] == ["vocabulary", "entry 'measurement-entry-0'"]
    assert [int(w.split(": ")[0].rsplit(":", 1)[1]) for w in warnings] == [
        _line_of(kb_copy / "measurement.yaml", "- dashboard"),
        _line_of(kb_copy / "measurement.yaml", situation[:40])]


def test_a_topic_declared_in_two_files_keeps_the_first(kb_copy: Path):
    (kb_copy / "zz-extra.yaml").write_text((kb_copy / "measurement.yaml").read_text())
    errors = _errors(kb_copy)
    assert errors == [
        f"{kb_copy / 'zz-extra.yaml'}:1: id: topic id 'measurement' must match the file name "
        "'zz-extra'",
        f"{kb_copy / 'zz-extra.yaml'}:1: id: duplicate topic id 'measurement' (also in "
        f"{kb_copy / 'measurement.yaml'})",
    ]  # and nothing about its entries, which the first file already has


def test_thin_out_of_scope_data_is_a_warning_and_no_file_an_error(kb_copy: Path):
    f = kb_copy / "_out_of_scope.yaml"
    f.write_text("examples:\n- where is the printer\n- good morning\n")
    kb = load_knowledge_base(kb_copy)
    assert kb.out_of_scope == ("where is the printer", "good morning")
    assert kb.warnings == (f"{f}:1: only 2 out-of-scope examples; 60+ keep the classifier from "
                           "guessing",)
    f.unlink()
    assert _errors(kb_copy) == [f"{f}: out-of-scope examples are missing"]


def test_one_file_is_read_into_validated_values_with_lines_or_problems(kb_copy: Path):
    from knowledge.reading import read_kb_file

    f = kb_copy / "measurement.yaml"
    read = read_kb_file(f)
    assert read.problems == () and read.topic is not None and read.examples is None
    assert read.topic.entries[1].id == "measurement-entry-1"
    assert read.line(("entries", 1, "id")) == _line_of(f, "- id: measurement-entry-1")
    f.write_text(f.read_text().replace("  owner: Synthetic team", "  ownr: Synthetic team", 1))
    broken = read_kb_file(f)
    assert broken.topic is None and broken.content == f.read_bytes()
    assert [p.line for p in broken.problems] == [_line_of(f, "- id: measurement-entry-0"),
                                                _line_of(f, "ownr:")]


def test_close_matches_are_found_and_suggested():
    kb = load_knowledge_base()
    assert kb.find_close("hypercare-after-golive").id == "hypercare-after-go-live"
    assert kb.find_close("hypercare").id == "hypercare-after-go-live"
    assert kb.find_close("security") is None  # two topics and entries start so: ask
    assert "security-privacy" in kb.suggest("secrity")
    assert kb.suggest("zzzz-qqqq") == []


ALIAS_BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_a_yaml_alias_bomb_is_refused_at_its_line_without_expanding(kb_copy: Path):
    # Given a topic file of a few hundred bytes that would expand to 387 million strings
    f = kb_copy / "measurement.yaml"
    f.write_text(f.read_text() + ALIAS_BOMB)
    # When the base is loaded, Then the first alias is refused with its file:line
    line = len(f.read_text().splitlines()) - 8
    errors = _errors(kb_copy)
    assert f"{f}:{line}: YAML aliases (&anchor / *alias) are not allowed in the knowledge base: " \
           "write the text out" in errors


def test_entry_fields_are_the_schema_fields_plus_where_it_was_found():
    import dataclasses

    from knowledge.models import Entry
    from knowledge.schema import EntrySchema

    schema = [f.name for f in dataclasses.fields(EntrySchema)]
    assert [f.name for f in dataclasses.fields(Entry)] == [*schema, "topic", "file", "line"]
    entry = load_knowledge_base().entries[0]
    assert isinstance(entry, EntrySchema) and isinstance(entry.situations, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.title = "changed"  # type: ignore[misc]


def test_knowledge_imports_nothing_of_the_bot_slack_or_scikit_learn():
    import subprocess
    import sys

    code = ("import sys, knowledge, knowledge.editor, knowledge.synthetic; "
            "knowledge.load_knowledge_base(); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'bot', 'sklearn', 'slack_bolt'}))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
