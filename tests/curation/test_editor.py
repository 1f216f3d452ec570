"""Round-trip edits of the knowledge base: comments, order and layout kept; invalid edits refused."""

from __future__ import annotations

import datetime as dt
import difflib
import tempfile
from pathlib import Path

import pytest

from knowledge import KnowledgeBaseError, editor, load_knowledge_base
from knowledge.editor import EditError

TODAY = dt.date(2031, 5, 17)


def _diff_ops(before: str, after: str) -> list[str]:
    """The changed lines, each prefixed with + or -."""
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines())
            if line[:1] in "+-"]


def _first_entry(kb_dir: Path, topic: str = "communication"):
    return load_knowledge_base(kb_dir).topic(topic).entries[0]


def test_every_shipped_file_round_trips_unchanged(shipped_kb_copy: Path) -> None:
    for path in sorted(shipped_kb_copy.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        yaml = editor._yaml_for(text)
        assert editor._dump(yaml, yaml.load(text)) == text, path.name


def test_added_situations_land_after_the_last_one_and_nothing_else_changes(
        shipped_kb_copy: Path) -> None:
    entry = _first_entry(shipped_kb_copy)
    path = shipped_kb_copy / "communication.yaml"
    before = path.read_text(encoding="utf-8")
    new = ["the bosses never told us why we are doing this", 'staff say "why bother?"']

    change = editor.add_situations(shipped_kb_copy, entry.id, new)

    after = path.read_text(encoding="utf-8")
    assert after == change.text
    assert _diff_ops(before, after) == [
        '+       - "the bosses never told us why we are doing this"',
        '+       - "staff say \\"why bother?\\""',
    ]
    last_old = f'      - "{entry.situations[-1]}"'
    lines = after.splitlines()
    assert lines[lines.index(last_old) + 1].endswith('why we are doing this"')
    assert after.startswith(before.splitlines()[0])  # the file's head comment is kept
    reloaded = load_knowledge_base(shipped_kb_copy).entries_by_id[entry.id]
    assert reloaded.situations == (*entry.situations, *new)
    assert change.before == {"situations": list(entry.situations)}
    assert change.after == {"situations": [*entry.situations, *new]}


def test_duplicates_and_blanks_are_skipped(shipped_kb_copy: Path) -> None:
    entry = _first_entry(shipped_kb_copy)
    path = shipped_kb_copy / "communication.yaml"
    before = path.read_text(encoding="utf-8")

    change = editor.add_situations(
        shipped_kb_copy, entry.id, [entry.situations[0].upper(), "  ", "a  new\nquestion",
                                    "A new question"])

    assert change.after["situations"][-1] == "a new question"
    assert len(change.after["situations"]) == len(entry.situations) + 1
    assert len(_diff_ops(before, path.read_text(encoding="utf-8"))) == 1


def test_nothing_new_changes_nothing(shipped_kb_copy: Path) -> None:
    entry = _first_entry(shipped_kb_copy)
    path = shipped_kb_copy / "communication.yaml"
    stat = path.stat()

    change = editor.add_situations(shipped_kb_copy, entry.id, list(entry.situations[:2]))

    assert not change.changed
    assert path.stat().st_mtime_ns == stat.st_mtime_ns


def test_comments_after_the_last_situation_stay_below_the_new_ones(shipped_kb_copy: Path) -> None:
    entry = _first_entry(shipped_kb_copy)
    path = shipped_kb_copy / "communication.yaml"
    last = f'      - "{entry.situations[-1]}"'
    text = path.read_text(encoding="utf-8")
    assert last in text
    path.write_text(text.replace(
        last, f"{last}  # the one that started it\n      # more to come after the pilot", 1))

    editor.add_situations(shipped_kb_copy, entry.id, ["a brand new situation"])

    lines = path.read_text(encoding="utf-8").splitlines()
    i = lines.index(f"{last}  # the one that started it")
    assert lines[i + 1:i + 4] == ['      - "a brand new situation"',
                                  "      # more to come after the pilot", "    actions:"]


def test_a_new_entry_is_appended_to_its_topic_in_the_file_style(shipped_kb_copy: Path) -> None:
    path = shipped_kb_copy / "measurement.yaml"
    before = path.read_text(encoding="utf-8")
    situations = [f"how do we count the {w} of the chatbot" for w in
                  ("users", "errors", "savings", "complaints", "handoffs", "repeats", "costs",
                   "visits")]

    change = editor.add_entry(
        shipped_kb_copy, "measurement", title="Measure what the chatbot gets wrong",
        summary="Count wrong answers every week. Fix the content behind the worst ones first.",
        situations=situations, actions=["Sample answers.", "Tag errors.", "Fix the top three."],
        today=TODAY)

    after = path.read_text(encoding="utf-8")
    assert after.startswith(before)  # appended: nothing above it moved or changed
    added = after[len(before):]
    assert added.startswith("\n  - id: measure-what-the-chatbot-gets-wrong\n")
    assert "    summary: >-\n      Count wrong answers every week." in added
    assert '      - "how do we count the users of the chatbot"' in added
    assert "    last_reviewed: 2031-05-17\n    review_every_days: 180\n" in added
    kb = load_knowledge_base(shipped_kb_copy)
    new = kb.entries_by_id["measure-what-the-chatbot-gets-wrong"]
    assert new.topic == "measurement" and new.situations == tuple(situations)
    assert new.sources and new.owner == kb.topic("measurement").entries[0].owner
    assert change.before is None and change.after["id"] == new.id
    assert change.after["last_reviewed"] == "2031-05-17"


def test_a_title_already_used_as_an_id_gets_a_suffix(shipped_kb_copy: Path) -> None:
    entry = _first_entry(shipped_kb_copy)
    change = editor.plan_add_entry(
        shipped_kb_copy, "communication", title=entry.id.replace("-", " "), summary="One. Two.",
        situations=[f"s{i}" for i in range(8)], actions=["a.", "b.", "c."])
    assert change.target == f"{entry.id}-2"


def test_an_invalid_entry_is_refused_with_file_and_line_and_the_file_is_untouched(
        shipped_kb_copy: Path) -> None:
    path = shipped_kb_copy / "measurement.yaml"
    before = path.read_text(encoding="utf-8")
    first_line_after = len(before.splitlines()) + 1

    with pytest.raises(KnowledgeBaseError) as caught:
        editor.add_entry(shipped_kb_copy, "measurement", title="Too thin to keep",
                         summary="One sentence only.", situations=["a", "b"], actions=["x."])

    assert path.read_text(encoding="utf-8") == before
    messages = [str(p) for p in caught.value.problems]
    assert any("measurement.yaml:" in m and "situations: at least 8 required" in m
               for m in messages), messages
    lines = [p.line for p in caught.value.problems]
    assert all(line >= first_line_after for line in lines)
    assert all(str(shipped_kb_copy) in p.file or p.file.endswith("measurement.yaml")
               for p in caught.value.problems)
    assert not list(shipped_kb_copy.glob(".*.tmp"))


def test_marking_reviewed_changes_only_that_date(shipped_kb_copy: Path) -> None:
    entry = load_knowledge_base(shipped_kb_copy).topic("pilots-rollout").entries[1]
    path = shipped_kb_copy / "pilots-rollout.yaml"
    before = path.read_text(encoding="utf-8")

    change = editor.mark_reviewed(shipped_kb_copy, entry.id, today=TODAY)

    assert _diff_ops(before, path.read_text(encoding="utf-8")) == [
        f"-     last_reviewed: {entry.last_reviewed.isoformat()}",
        "+     last_reviewed: 2031-05-17",
    ]
    assert change.before == {"last_reviewed": entry.last_reviewed.isoformat()}
    assert change.after == {"last_reviewed": "2031-05-17"}
    assert load_knowledge_base(shipped_kb_copy).entries_by_id[entry.id].last_reviewed == TODAY


def test_a_quoted_date_stays_quoted(kb_copy: Path) -> None:
    entry = _first_entry(kb_copy)
    path = kb_copy / "communication.yaml"
    assert "last_reviewed: '" in path.read_text(encoding="utf-8")

    editor.mark_reviewed(kb_copy, entry.id, today=TODAY)

    assert "last_reviewed: '2031-05-17'" in path.read_text(encoding="utf-8")


def test_a_file_changed_since_planning_is_not_overwritten(shipped_kb_copy: Path) -> None:
    entry = _first_entry(shipped_kb_copy)
    path = shipped_kb_copy / "communication.yaml"
    change = editor.plan_add_situations(shipped_kb_copy, entry.id, ["something new"])
    path.write_text(path.read_text(encoding="utf-8") + "# a colleague's edit\n", encoding="utf-8")

    with pytest.raises(EditError, match="changed while"):
        editor.apply(change)

    assert path.read_text(encoding="utf-8").endswith("# a colleague's edit\n")


def test_unknown_entry_and_topic_are_reported(shipped_kb_copy: Path) -> None:
    with pytest.raises(EditError, match="no entry 'no-such-entry'"):
        editor.plan_add_situations(shipped_kb_copy, "no-such-entry", ["x"])
    with pytest.raises(EditError, match="no topic 'astrology'"):
        editor.plan_add_entry(shipped_kb_copy, "astrology", title="T", summary="S.",
                              situations=[], actions=[])


def test_the_diff_is_reviewable(shipped_kb_copy: Path) -> None:
    entry = _first_entry(shipped_kb_copy)
    change = editor.plan_add_situations(shipped_kb_copy, entry.id, ["something new"])
    diff = change.diff()
    assert diff.startswith(f"--- a/{shipped_kb_copy.name}/communication.yaml\n")
    assert '+      - "something new"' in diff


@pytest.mark.parametrize(("title", "slug"), [
    ("Pilot the chatbot (phase 2)!", "pilot-the-chatbot-phase-2"),
    ("  Ça va? Déjà vu  ", "a-va-d-j-vu"),
    ("!!!", "entry"),
])
def test_slugify(title: str, slug: str) -> None:
    assert editor.slugify(title) == slug


def test_the_edit_lock_lives_beside_the_knowledge_base_not_in_temp(
        shipped_kb_copy: Path, tmp_path: Path, monkeypatch) -> None:
    # Given an empty temp folder, When an admin edits the base
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    editor.add_situations(shipped_kb_copy, _first_entry(shipped_kb_copy).id, ["a brand new situation"])
    # Then nothing is left in temp, and the one lock file is in the base (and not YAML)
    assert list(temp.iterdir()) == []
    assert (shipped_kb_copy / editor.LOCK_FILE).exists()
    load_knowledge_base(shipped_kb_copy)  # the lock is not read as a topic file
