"""The `advisor` CLI, driven with Typer's CliRunner and, for exit paths, the real script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """CLI conversations are logged: keep them in a throwaway data directory."""
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)


def _situation(kb_dir: Path, topic: str, n: int = 0) -> str:
    doc = yaml.safe_load((kb_dir / f"{topic}.yaml").read_text())
    return doc["entries"][n]["situations"][0]


def test_ask_json_has_the_documented_shape(synthetic_kb_dir: Path):
    question = _situation(synthetic_kb_dir, "measurement", 1)
    result = runner.invoke(app, ["ask", "--json", "--kb", str(synthetic_kb_dir), question])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"question", "topic", "confidence", "ambiguous", "abstained", "shortened",
                         "alternatives", "options", "recommendations"}
    assert data["abstained"] is None and data["shortened"] is False
    assert data["topic"] == "measurement" and 0 < data["confidence"] <= 1
    assert len(data["alternatives"]) == 2
    assert all(set(a) == {"topic", "confidence"} for a in data["alternatives"])
    assert data["alternatives"][0]["confidence"] <= data["confidence"]
    recs = data["recommendations"]
    assert 1 <= len(recs) <= 3 and recs[0]["id"] == "measurement-entry-1"
    assert set(recs[0]) == {"id", "title", "topic", "score", "why", "summary", "actions", "pitfall",
                            "sources"}
    assert recs[0]["why"].startswith("Closest to") and recs[0]["sources"][0]["file"]
    assert [r["score"] for r in recs] == sorted((r["score"] for r in recs), reverse=True)


def test_out_of_scope_question_gets_no_recommendations(synthetic_kb_dir: Path):
    result = runner.invoke(app, ["ask", "--json", "--kb", str(synthetic_kb_dir),
                                 "where is the printer"])
    data = json.loads(result.output)
    assert data["topic"] is None and data["recommendations"] == []


def test_ask_prints_a_readable_answer(synthetic_kb_dir: Path):
    question = _situation(synthetic_kb_dir, "security-privacy", 2)
    result = runner.invoke(app, ["ask", "--kb", str(synthetic_kb_dir), question])
    assert result.exit_code == 0
    assert "security-privacy" in result.output and "confidence" in result.output
    assert "First steps" in result.output and "Sources: Overcoming resistance" in result.output


def test_empty_question_gets_help_not_a_recommendation(synthetic_kb_dir: Path):
    result = runner.invoke(app, ["ask", "--kb", str(synthetic_kb_dir), "   "])
    assert result.exit_code == 0
    assert "Describe a situation" in result.output and "First steps" not in result.output


def test_batch_reads_stdin_and_answers_in_order(synthetic_kb_dir: Path):
    questions = [_situation(synthetic_kb_dir, t) for t in ("communication", "measurement")]
    stdin = "\n".join([questions[0], "", "where is the printer", questions[1]]) + "\n"
    result = runner.invoke(app, ["ask", "--json", "--kb", str(synthetic_kb_dir)], input=stdin)
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["topic"] for r in rows] == ["communication", None, None, "measurement"]
    assert rows[0]["question"] == questions[0]


def test_topics_and_checklist(synthetic_kb_dir: Path):
    result = runner.invoke(app, ["topics", "--kb", str(synthetic_kb_dir)])
    assert result.output.count("strategies)") == 10
    result = runner.invoke(app, ["checklist", "--kb", str(synthetic_kb_dir), "measurement-entry-2"])
    lines = result.output.splitlines()
    assert lines[0] == "# Checklist: Strategy 2 for measurement"
    assert sum(line.startswith("- [ ] ") for line in lines) == 4
    result = runner.invoke(app, ["checklist", "--kb", str(synthetic_kb_dir), "measurement"])
    assert sum(line.startswith("## ") for line in result.output.splitlines()) == 4


def test_kb_validate_exit_codes(kb_copy: Path):
    ok = runner.invoke(app, ["kb", "validate", str(kb_copy)])
    assert ok.exit_code == 0 and ok.output.startswith("ok: 10 topics, 40 entries")
    (kb_copy / "measurement.yaml").write_text("id: measurement\n")
    bad = runner.invoke(app, ["kb", "validate", str(kb_copy)])
    assert bad.exit_code == 1
    assert "measurement.yaml:1: title: required field missing" in bad.output


def test_kb_validate_takes_kb_like_its_siblings_and_still_a_path(kb_copy: Path):
    for args in (["--kb", str(kb_copy)], [str(kb_copy)], [str(kb_copy), "--kb", str(kb_copy)]):
        ok = runner.invoke(app, ["kb", "validate", *args])
        assert ok.exit_code == 0 and ok.output.startswith("ok: 10 topics, 40 entries"), args
    (kb_copy / "measurement.yaml").write_text("id: measurement\n")
    bad = runner.invoke(app, ["kb", "validate", "--kb", str(kb_copy)])
    assert bad.exit_code == 1 and "measurement.yaml:1: title: required field missing" in bad.output
    twice = runner.invoke(app, ["kb", "validate", str(kb_copy), "--kb", str(kb_copy.parent)])
    assert twice.exit_code == 2 and twice.stderr.strip().splitlines() == [
        "error: give the knowledge-base folder once: as PATH or as --kb"]


def test_usage_errors_are_one_line_without_pydantic_wording():
    bad_choice = runner.invoke(app, ["log", "export", "--format", "xml"], prog_name="advisor")
    assert bad_choice.exit_code == 2
    assert bad_choice.stderr.strip().splitlines() == [
        "error: invalid value for '--format': 'xml' is not one of 'csv', 'jsonl'; "
        "see 'advisor log export --help'"]
    unknown = runner.invoke(app, ["kb", "audit", "--nope"], prog_name="advisor")
    assert unknown.exit_code == 2
    assert unknown.stderr.strip().splitlines() == [
        "error: no such option: --nope; see 'advisor kb audit --help'"]
    assert runner.invoke(app, []).output.lstrip().startswith("Usage: ")  # still the help page


def test_help_pages_show_no_type_beside_flags():
    for command in (["kb", "validate"], ["ask"], ["log", "export"], ["kb", "gaps"], []):
        page = runner.invoke(app, [*command, "--help"], terminal_width=100).output
        assert "<bool>" not in page, command
        assert "--help" in page
    assert "<path>" in runner.invoke(app, ["kb", "validate", "--help"]).output  # other types stay


def test_kb_validate_strict_fails_on_warnings(kb_copy: Path):
    f = kb_copy / "measurement.yaml"
    f.write_text(f.read_text().replace("last_reviewed: '2026-11-01'", "last_reviewed: 2020-01-01", 1))
    assert runner.invoke(app, ["kb", "validate", str(kb_copy)]).exit_code == 0
    strict = runner.invoke(app, ["kb", "validate", "--strict", str(kb_copy)])
    assert strict.exit_code == 1 and "review overdue" in strict.output


def test_eval_reports_figures_on_a_labelled_file(synthetic_kb_dir: Path, tmp_path: Path):
    labelled = tmp_path / "set.yaml"
    items = [{"text": _situation(synthetic_kb_dir, t, 3), "topic": t}
             for t in ("communication", "measurement", "pilots-rollout")]
    items.append({"text": "where is the printer", "topic": None})
    labelled.write_text(yaml.safe_dump(items))
    result = runner.invoke(app, ["eval", "--json", "--kb", str(synthetic_kb_dir), str(labelled)])
    assert result.exit_code == 0, result.output
    [report] = json.loads(result.output).values()
    assert report["n_in_scope"] == 3 and report["n_out_of_scope"] == 1
    assert report["accuracy_in_scope"] == 1.0 and report["abstained_out_of_scope"] == 1.0
    text = runner.invoke(app, ["eval", "--kb", str(synthetic_kb_dir), str(labelled)]).output
    assert "precision" in text and "confusion" in text and "topic top-1 1.000" in text
    assert "hit@1" in text and "MRR@10" in text


def test_eval_cross_validation(synthetic_kb_dir: Path):
    result = runner.invoke(app, ["eval", "--json", "--cv", "3", "--kb", str(synthetic_kb_dir)])
    [report] = json.loads(result.output).values()
    assert report["n_in_scope"] == 400 and report["accuracy_in_scope"] > 0.9


def test_model_train_writes_a_model_that_loads(synthetic_kb_dir: Path, tmp_path: Path):
    from bot.advisor import Advisor

    path = tmp_path / "m.pkl"
    result = runner.invoke(app, ["model", "train", "--kb", str(synthetic_kb_dir), "--out", str(path)])
    assert result.exit_code == 0, result.output
    loaded = Advisor.load(synthetic_kb_dir, model_path=path)
    fresh = Advisor.load(synthetic_kb_dir)
    q = _situation(synthetic_kb_dir, "measurement", 1)
    assert loaded.answer(q).to_json() == fresh.answer(q).to_json()


def _script(*args: str, stdin: str = "", env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-c", "from bot.cli import main; main()", *args],
        input=stdin, capture_output=True, text=True, timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_errors_are_one_clear_line_and_non_zero(tmp_path: Path):
    env = {"ADVISOR_DATA_DIR": str(tmp_path)}
    missing = _script("ask", "--kb", str(tmp_path / "nope"), "hello", env=env)
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == ["error: 1 error(s) in the knowledge base:",
                                                   f"{tmp_path / 'nope'}: not a knowledge-base folder"]
    bad_setting = _script("topics", env={**env, "PORT": "abc"})
    assert bad_setting.returncode == 1
    assert bad_setting.stderr.strip() == (
        "error: PORT: Input should be a valid integer, unable to parse string as an integer")
    no_text = _script("ask", env=env)
    assert no_text.returncode == 1 and no_text.stderr.count("\n") == 1


def test_chat_answers_until_quit(synthetic_kb_dir: Path, tmp_path: Path):
    q = _situation(synthetic_kb_dir, "pilots-rollout", 1)
    run = _script("chat", "--kb", str(synthetic_kb_dir),
                  stdin=f"\n{q}\ntopics\nchecklist pilots-rollout-entry-1\nquit\n",
                  env={"ADVISOR_DATA_DIR": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    assert "pilots-rollout-entry-1" in run.stdout
    assert "# Checklist: Strategy 1 for pilots-rollout" in run.stdout
    assert run.stdout.rstrip().endswith("Goodbye.")
    banner, *_ = run.stdout.splitlines()
    assert banner.startswith("Transformation Advisor") and len(banner) <= 80


def test_chat_opens_strategies_by_number_lists_entries_and_suggests_ids(shipped_data_dir: Path):
    run = _script("chat", stdin="staff at the benefits office fear the chatbot will take their jobs\n"
                  "2\nentries\nchecklist hypercare-after-golive\nchecklist zzzz-nothing\nquit\n",
                  env={"ADVISOR_DATA_DIR": str(shipped_data_dir)})
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "Also worth a look" in out and "Type 2 or 3 to open one." in out
    assert "2. " in out.split("Type 2 or 3 to open one.", 1)[1]  # the second strategy, opened
    assert "   Steps" in out  # opened in full
    assert "hypercare-after-go-live" in out  # entries list
    assert "# Checklist: Plan hypercare" in out  # a close match is accepted
    assert "no topic or entry 'zzzz-nothing'" in out


def test_chat_choice_answers_within_the_topic_and_is_logged(shipped_data_dir: Path):
    env = {"ADVISOR_DATA_DIR": str(shipped_data_dir)}
    run = _script("chat", stdin="new system\na\nquit\n", env=env)
    assert run.returncode == 0, run.stderr
    assert "Type a/b" in run.stdout, run.stdout  # a vague question gets a clarifying choice
    chosen = run.stdout.split("Type a/b", 1)[1]
    assert "confidence" in chosen and "1. " in chosen  # answered again, within the topic
    export = _script("log", "export", "--format", "jsonl", env=env)
    assert export.returncode == 0, export.stderr
    assert "chose_topic" in export.stdout


def test_ask_topic_answers_within_it_and_show_prints_a_strategy(shipped_data_dir: Path):
    env = {"ADVISOR_DATA_DIR": str(shipped_data_dir)}
    run = _script("ask", "--json", "--topic", "training-skills", "people are worried about the system",
                  env=env)
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert data["topic"] == "training-skills"
    assert all(r["topic"] == "training-skills" for r in data["recommendations"])
    shown = _script("show", "plan-rollback", env=env)
    assert shown.returncode == 0 and "Have a rollback plan" in shown.stdout and "Steps" in shown.stdout
    bad = _script("ask", "--topic", "nope", "x", env=env)
    assert bad.returncode == 1 and "no topic 'nope'" in bad.stderr


def test_a_bug_is_one_line_and_a_crash_report(tmp_path: Path, monkeypatch, capsys):
    import bot.cli as cli

    def broken() -> None:
        raise IndexError("index (26311) out of range")

    monkeypatch.setattr(cli, "app", broken)
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unexpected IndexError: index (26311)")
    assert str(tmp_path / "crash.log") in lines[0]
    assert "Traceback" in (tmp_path / "crash.log").read_text()


READ_ONLY = (["kb", "audit"], ["eval", "no-such-set.yaml"], ["topics"], ["show", "plan-rollback"],
             ["checklist", "measurement"], ["kb", "validate"], ["kb", "stale"],
             ["log", "export"], ["--help"])


@pytest.mark.parametrize("command", READ_ONLY, ids=" ".join)
def test_commands_that_only_read_do_not_load_scikit_learn(command: list[str], tmp_path: Path):
    code = ("import sys\nfrom bot.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('sklearn' in sys.modules, file=sys.stderr)")
    run = subprocess.run([sys.executable, "-c", code, *command], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "ADVISOR_DATA_DIR": str(tmp_path)},
                         cwd=tmp_path)
    assert run.stderr.strip().splitlines()[-1] == "False", run.stderr


def test_ask_with_an_empty_question_prints_one_shot_help(synthetic_kb_dir: Path):
    result = runner.invoke(app, ["ask", "--kb", str(synthetic_kb_dir), ""])
    assert result.exit_code == 0
    assert 'advisor ask "' in result.output and "'quit' ends the chat" not in result.output


def test_chat_hints_name_chat_commands_not_shell_commands(synthetic_kb_dir: Path):
    q = _situation(synthetic_kb_dir, "pilots-rollout", 1)
    result = runner.invoke(app, ["chat", "--kb", str(synthetic_kb_dir)],
                           input=f"{q}\n1\nchecklist zzzz-nothing\nwhere is the printer\nquit\n")
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "checklist pilots-rollout-entry-1" in text and "'entries' lists them" in text
    assert "Type 'topics' to see them." in text
    assert not any(c in text for c in ("advisor checklist", "advisor show", "advisor topics"))


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_chat_edits_lines_and_recalls_history_at_a_terminal(synthetic_kb_dir: Path, tmp_path: Path):
    import pty
    import select
    import time

    main, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-c", "from bot.cli import main; main()", "chat", "--kb",
         str(synthetic_kb_dir)], stdin=secondary, stdout=secondary, stderr=secondary,
        env={**os.environ, "ADVISOR_DATA_DIR": str(tmp_path), "TERM": "xterm"}, close_fds=True)
    os.close(secondary)
    seen = b""

    def read_until(marker: bytes, times: int = 1, timeout: float = 60) -> None:
        nonlocal seen
        deadline = time.monotonic() + timeout
        while seen.count(marker) < times and time.monotonic() < deadline:
            if select.select([main], [], [], 0.2)[0]:
                try:
                    seen += os.read(main, 65536)
                except OSError:
                    return

    try:
        read_until(b"you> ")
        os.write(main, b"topics\r")
        read_until(b"you> ", times=2)  # the topics, then the prompt again
        start = len(seen)
        os.write(main, b"\x1b[A\r")  # arrow up, enter: the previous line again
        read_until(b"you> ", times=3)
        os.write(main, b"quit\r")
        read_until(b"Goodbye.", timeout=30)
        proc.wait(timeout=60)
    finally:
        proc.kill()
        os.close(main)
    again = seen[start:]
    assert b"^[[A" not in again
    assert b"strategies)" in again  # the recalled 'topics' ran again


def test_chat_saves_a_question_for_a_person_only_when_confirmed_and_kb_requests_lists_it(
        shipped_data_dir: Path):
    env = {"ADVISOR_DATA_DIR": str(shipped_data_dir)}
    question = "where is the printer on floor 3? mail jo.bloggs@example.org"
    # Given an abstained question, the user declines once, then confirms
    run = _script("chat", stdin=f"{question}\nask a person\nn\nask a person\ny\nquit\n", env=env)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "'ask a person' saves it" in out  # offered after the abstention
    assert out.count("[email]") >= 2 and "jo.bloggs" not in out.split("ask a person", 1)[1]
    assert "Not saved; nothing was shared." in out and "Saved as request " in out
    # Then exactly one request is stored, redacted, and the admins' listing shows it
    listed = _script("kb", "requests", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    [request] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert request["status"] == "saved" and request["surface"] == "terminal"
    assert request["named"] is False and "[email]" in request["question"]
    assert "jo.bloggs" not in listed.stdout
    readable = _script("kb", "requests", env=env)
    assert "saved" in readable.stdout and "anonymous" in readable.stdout
    bad = _script("kb", "requests", "--status", "lost", env=env)
    assert bad.returncode == 1 and "'lost' is not one of" in bad.stderr


def test_kb_requests_lists_one_workspaces_requests_with_team_and_says_where_each_was_asked(
        tmp_path: Path):
    from tests.factories import make_log

    log = make_log(tmp_path)
    log.start()
    try:
        log.requests.save(surface="slack", user_id="U1AAAAAAA", question="Who decides here?",
                          team_id="T0000OURS")
        log.requests.save(surface="slack", user_id="U2BBBBBBB", question="Who pays there?",
                          team_id="T0000THEM", enterprise_id="E0000ORG")
        log.requests.save(surface="terminal", user_id=None, question="Who knows?")
    finally:
        log.close()
    env = {"ADVISOR_DATA_DIR": str(tmp_path)}
    # Without --team, every request (the terminal's too), each with its workspace
    listed = _script("kb", "requests", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert {(r["team"], r["enterprise"]) for r in map(json.loads, listed.stdout.splitlines())
            } == {("T0000OURS", None), ("T0000THEM", "E0000ORG"), (None, None)}
    # With --team, that workspace's only
    mine = _script("kb", "requests", "--team", "T0000OURS", env=env)
    assert mine.returncode == 0, mine.stderr
    assert "Who decides here?" in mine.stdout and "in T0000OURS" in mine.stdout
    assert "Who pays there?" not in mine.stdout and "Who knows?" not in mine.stdout
    none = _script("kb", "requests", "--team", "T0000NONE", env=env)
    assert none.stdout.strip() == "no expert requests in workspace T0000NONE"
