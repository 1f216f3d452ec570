"""The `advisor` command line: ask, chat, topics, checklists, knowledge-base and model tools.

Heavy libraries (scikit-learn, SQLAlchemy, Bolt) are imported inside the commands that need
them, so `advisor --help` and light commands start fast.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from bot.cli_support import (
    AdvisorGroup,
    KbOption,
    enable_line_editing,
    err,
    fail,
    kb_path,
    lines,
    out,
    print_problems,
)
from knowledge.errors import AdvisorError

if TYPE_CHECKING:
    from bot.advisor import Advisor
    from bot.answer import Answer

app = typer.Typer(
    help="Transformation Advisor: describe a situation, get curated strategies.",
    cls=AdvisorGroup,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
kb_app = typer.Typer(help="Validate and curate the knowledge base.", no_args_is_help=True)
model_app = typer.Typer(help="Train and persist the topic model.", no_args_is_help=True)
app.add_typer(kb_app, name="kb")
app.add_typer(model_app, name="model")

logger = logging.getLogger("bot.cli")


def _settings():
    from bot.settings import load_settings

    return load_settings()


def _advisor(kb: Path | None) -> Advisor:
    from bot.advisor import Advisor

    settings = _settings()
    return Advisor.load(kb or settings.advisor_kb_path, cache_dir=settings.advisor_data_dir / "models")


def _conversation_log():
    """The conversation log for a CLI conversation, its writer started."""
    from bot.log import ConversationLog

    log = ConversationLog.from_settings(_settings())
    log.start()
    return log


def _not_found(kb, target: str, *, chat: bool = False) -> str:
    close = kb.suggest(target)
    lists = "'entries' lists them" if chat else "`advisor topics --entries` lists them"
    hint = f"did you mean {', '.join(close)}?" if close else lists
    return f"no topic or entry {target!r}; {hint}"


@app.command()
def ask(
    text: Annotated[Optional[str], typer.Argument(help="The situation, in your own words.")] = None,  # noqa: UP045
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one object per line).")] = False,
    jobs: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option("--jobs", min=1, help="Processes for a batch from stdin (default: one per core)."),
    ] = None,
    topic: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--topic", help="Answer within this topic (one the advisor offered)."),
    ] = None,
    kb: KbOption = None,
) -> None:
    """Ask the advisor about a situation. With --json and no TEXT, answer each line of stdin."""
    if text is None and not as_json:
        raise fail('give a situation, e.g. advisor ask "staff fear the new system"; '
                   "or use --json to read questions from standard input")
    advisor = _advisor(kb)
    if topic is not None and topic not in advisor.kb.topics_by_id:
        raise fail(f"no topic {topic!r}; `advisor topics` lists them")
    if text is None:
        _ask_batch(advisor, jobs)
        return
    from functools import partial

    from bot.asking import Asked, answer_and_record
    from bot.log.handoff import hand_off

    answer, exchange_id = answer_and_record(advisor, partial(hand_off, _settings()), text,
                                            Asked("cli"), logger, topic=topic)
    if as_json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
    else:
        from bot.terminal import render_answer

        out.print(render_answer(answer))
        if exchange_id is not None:
            out.print(f"\nDid it miss? advisor feedback {exchange_id} not-helpful "
                      "(or --topic TOPIC, or helpful)", markup=False, highlight=False)


@app.command()
def feedback(
    exchange_id: Annotated[str, typer.Argument(help="The exchange `advisor ask` printed.")],
    verdict: Annotated[Optional[str], typer.Argument(  # noqa: UP045
        help="helpful or not-helpful (not needed with --topic).")] = None,
    topic: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--topic", help="The topic the question belonged to (the advisor picked another).")] = None,
    kb: KbOption = None,
) -> None:
    """Say how a one-shot answer did, like Slack's buttons: misses reach the gaps inbox."""
    from bot.log.handoff import hand_off_feedback

    if not re.fullmatch(r"[0-9a-f]{32}", exchange_id):
        raise fail(f"{exchange_id!r} is not an exchange id (32 hex digits, as `advisor ask` "
                   "prints it)")
    if topic is not None:
        from knowledge import load_knowledge_base

        if topic not in load_knowledge_base(kb_path(kb)).topics_by_id:
            raise fail(f"no topic {topic!r}; `advisor topics` lists them")
        hand_off_feedback(_settings(), exchange_id, kind="chose_topic", value=topic)
        out.print(f"noted: exchange {exchange_id} belonged to {topic}", markup=False)
        return
    kinds = {"helpful": "helpful", "not-helpful": "not_helpful", "not_helpful": "not_helpful"}
    if verdict not in kinds:
        raise fail("say helpful or not-helpful, or give --topic TOPIC")
    hand_off_feedback(_settings(), exchange_id, kind=kinds[verdict])
    out.print(f"noted: exchange {exchange_id} was {verdict}", markup=False)


def _ask_batch(advisor: Advisor, jobs: int | None) -> None:
    """Stream: one question per stdin line in, one JSON object per line out, same order."""
    from bot.batch import answer_stream, default_jobs

    stdin = sys.stdin
    if hasattr(stdin, "reconfigure"):
        stdin.reconfigure(errors="replace")
    lines = (line.rstrip("\r\n") for line in stdin)
    sys.stdout.flush()
    out_bytes = getattr(sys.stdout, "buffer", None)
    write = out_bytes.write if out_bytes is not None else lambda b: sys.stdout.write(b.decode())
    answer_stream(advisor, lines, write, jobs=jobs or default_jobs())
    sys.stdout.flush()


@app.command()
def chat(kb: KbOption = None) -> None:
    """Talk to the advisor in the terminal. Type 'help', 'topics', 'entries', 'checklist ID',
    a number to open a strategy, a letter to pick a topic offered, or 'quit'."""
    from bot.asking import Asked, answer_and_record
    from bot.experts import offers_person
    from bot.terminal import ASK_PERSON_HINT, HELP_TEXT, render_answer

    advisor = _advisor(kb)
    log = _conversation_log()
    out.print(f"[bold]Transformation Advisor[/bold] · {len(advisor.kb.entries)} strategies in "
              f"{len(advisor.kb.topics)} topics · base version {advisor.kb.version}")
    out.print(HELP_TEXT, markup=False)
    enable_line_editing()
    last: tuple[Answer, str | None] | None = None
    try:
        while True:
            try:
                text = input("\nyou> ")
            except (EOFError, KeyboardInterrupt):
                out.print()
                break
            command = text.strip().lower()
            if command in {"quit", "exit", "bye", ":q"}:
                break
            if _chat_command(advisor, command, text, last, log):
                continue
            last = answer_and_record(advisor, log.record, text, Asked("cli"), logger)
            out.print(render_answer(last[0], chat=True))
            if offers_person(last[0]):
                out.print(ASK_PERSON_HINT, markup=False, style="dim")
    finally:
        log.close()
    out.print("Goodbye.")


def _chat_feedback(advisor: Advisor, command: str, last: tuple[Answer, str | None] | None,
                   log) -> None:  # type: ignore[no-untyped-def]
    """'wrong' / 'not helpful', 'wrong TOPIC' and 'helpful' on the last answer, recorded like
    Slack's buttons: what was missed reaches the admins' gaps inbox."""
    from bot.terminal import ASK_PERSON_HINT, render_answer

    if last is None or last[1] is None:
        out.print("Ask something first; then 'wrong', 'wrong TOPIC' or 'helpful' tells the "
                  "admins how the answer did.", markup=False)
        return
    answer, exchange_id = last
    words = command.split()
    if words == ["helpful"]:
        log.record_feedback(exchange_id, user_id=None, kind="helpful")
        out.print("Thanks: noted as helpful.", markup=False)
    elif len(words) == 2 and words[0] == "wrong":
        topic = words[1]
        if topic not in advisor.kb.topics_by_id:
            out.print(_not_found(advisor.kb, topic, chat=True), markup=False)
            return
        log.record_feedback(exchange_id, user_id=None, kind="chose_topic", value=topic)
        out.print(render_answer(advisor.answer_in_topic(answer.question, topic), chat=True))
    else:
        log.record_feedback(exchange_id, user_id=None, kind="not_helpful")
        out.print("Noted as not helpful: the admins see it in their gaps inbox. If it was the "
                  "wrong topic, 'wrong TOPIC' (a topic from 'topics') shows that topic's "
                  "strategies.", markup=False)
        out.print(ASK_PERSON_HINT, markup=False, style="dim")


def _chat_ask_person(last: tuple[Answer, str | None] | None, log) -> None:  # type: ignore[no-untyped-def]
    """'ask a person': show the last question as it would be saved (redacted), and save it as
    an expert request only when the user confirms. Saved anonymously: the terminal has no
    Slack user to relay an answer to; the running Slack server hands it to the experts."""
    from bot.experts import closest_entry
    from bot.log import LogError
    from bot.log.redaction import redact

    if last is None or not last[0].question.strip():
        out.print("Ask something first; then 'ask a person' saves it for the people who can "
                  "help.", markup=False)
        return
    answer, exchange_id = last
    question = redact(answer.question)
    out.print("This is what would be saved for the transformation office (personal details "
              f"taken out), anonymously:\n  {question}", markup=False)
    try:
        confirmed = input("Save it? [y/N] ").strip().lower() in {"y", "yes"}
    except (EOFError, KeyboardInterrupt):
        confirmed = False
    if not confirmed:
        out.print("Not saved; nothing was shared.", markup=False)
        return
    entry = closest_entry(answer)
    try:
        request = log.requests.save(surface="terminal", question=question, user_id=None,
                                    exchange_id=exchange_id, entry_id=entry.id if entry else None)
    except LogError as exc:
        out.print(f"Not saved: {exc}", markup=False)
        return
    out.print(f"Saved as request {request.id[:12]}. The Slack advisor passes it to the experts; "
              "admins see it, and the answer, with 'advisor kb requests'.", markup=False)


def _chat_command(advisor: Advisor, command: str, text: str,
                  last: tuple[Answer, str | None] | None, log) -> bool:
    """Handle a chat command; False when the text is a question to answer."""
    from bot.checklist import build_checklist, to_markdown
    from bot.terminal import HELP_TEXT, OPTION_KEYS, render_answer, render_entry, render_topics

    if command in {"help", "?"}:
        out.print(HELP_TEXT, markup=False)
    elif command in {"topics", "entries"}:
        out.print(render_topics(advisor.kb, entries=command == "entries"))
    elif command.startswith("checklist"):
        target = text.strip()[len("checklist"):].strip()
        found = build_checklist(advisor.kb, target) if target else None
        if found is None:
            out.print(_not_found(advisor.kb, target, chat=True) if target else
                      "Which one? Give a topic or entry id, e.g. 'checklist "
                      f"{advisor.kb.topics[0].id}'; 'entries' lists them.", markup=False)
        else:
            out.print(to_markdown(found), markup=False)
    elif command.isdigit() and last is not None:
        recs = last[0].recommendations
        n = int(command)
        if 1 <= n <= len(recs):
            out.print(render_entry(recs[n - 1].entry, recs[n - 1], n=n, all_actions=True,
                                   chat=True))
        else:
            out.print(f"The last answer has strategies 1 to {len(recs)}." if recs else
                      "The last answer has no strategies to open.", markup=False)
    elif command.split()[:1] in (["wrong"], ["helpful"]) or command == "not helpful":
        _chat_feedback(advisor, command, last, log)
    elif command in {"ask a person", "person"}:
        _chat_ask_person(last, log)
    elif len(command) == 1 and command in OPTION_KEYS and last is not None:
        answer, exchange_id = last
        options = answer.options
        index = OPTION_KEYS.index(command)
        if index >= len(options):
            out.print("That choice wasn't offered; describe your situation instead.", markup=False)
            return True
        topic = options[index].topic.id
        if exchange_id is not None:
            log.record_feedback(exchange_id, user_id=None, kind="chose_topic", value=topic)
        out.print(render_answer(advisor.answer_in_topic(answer.question, topic), chat=True))
    else:
        return False
    return True


@app.command()
def show(
    entry_id: Annotated[str, typer.Argument(help="An entry id (a close match will do).")],
    kb: KbOption = None,
) -> None:
    """Show one strategy in full: why it exists, every step, the pitfall, sources."""
    from bot.terminal import render_entry
    from knowledge import Entry, load_knowledge_base

    base = load_knowledge_base(kb_path(kb))
    found = base.find_close(entry_id)
    if not isinstance(found, Entry):
        raise fail(_not_found(base, entry_id))
    out.print(render_entry(found, all_actions=True))


@app.command()
def topics(
    entries: Annotated[bool, typer.Option("--entries", help="List each topic's strategies too.")] = False,
    kb: KbOption = None,
) -> None:
    """List the topics the advisor knows (with --entries, their strategy ids and titles)."""
    from bot.terminal import render_topics
    from knowledge import load_knowledge_base

    out.print(render_topics(load_knowledge_base(kb_path(kb)), entries=entries))


@app.command()
def checklist(
    target: Annotated[str, typer.Argument(help="A topic id or an entry id.")],
    kb: KbOption = None,
) -> None:
    """Print a Markdown checklist of an entry's or a topic's actions, ready to paste."""
    from bot.checklist import build_checklist, to_markdown
    from knowledge import load_knowledge_base

    base = load_knowledge_base(kb_path(kb))
    found = build_checklist(base, target)
    if found is None:
        raise fail(_not_found(base, target))
    sys.stdout.write(to_markdown(found))


@kb_app.command("validate")
def kb_validate(
    path: Annotated[Optional[Path], typer.Argument(  # noqa: UP045
        help="Knowledge-base folder (the same as --kb).")] = None,
    strict: Annotated[bool, typer.Option(help="Fail on warnings too.")] = False,
    kb: KbOption = None,
) -> None:
    """Validate the knowledge base: exit 1 on errors (or on warnings with --strict)."""
    from knowledge import KnowledgeBaseError, load_knowledge_base

    if path is not None and kb is not None and path != kb:
        raise fail("give the knowledge-base folder once: as PATH or as --kb", code=2)
    try:
        base = load_knowledge_base(kb_path(path or kb))
    except KnowledgeBaseError as exc:
        print_problems(exc.problems, warnings=lines)
        raise typer.Exit(1) from None
    for w in base.warnings:
        lines.print(f"warning: {w}", markup=False)
    lines.print(f"ok: {len(base.topics)} topics, {len(base.entries)} entries, "
                f"{len(base.out_of_scope)} out-of-scope examples, version {base.version}"
                + (f", {len(base.warnings)} warning(s)" if base.warnings else ""), markup=False)
    if strict and base.warnings:
        raise typer.Exit(1)


@model_app.command("train")
def model_train(
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the model file.")],
    kb: KbOption = None,
) -> None:
    """Train the topic model and save it with its metadata (knowledge-base hash, versions)."""
    from bot.advisor import Advisor
    from knowledge import load_knowledge_base

    started = time.perf_counter()
    advisor = Advisor.from_knowledge_base(load_knowledge_base(kb_path(kb)))
    advisor.save(out_path)
    out.print(f"trained in {time.perf_counter() - started:.2f}s on knowledge base "
              f"{advisor.kb.version}; wrote {out_path}", markup=False)


@app.command("eval")
def evaluate(
    file: Annotated[Optional[Path], typer.Argument(help="YAML list of {text, topic}.")] = None,  # noqa: UP045
    cv: Annotated[int, typer.Option("--cv", help="K-fold cross-validation on the knowledge base.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
    kb: KbOption = None,
) -> None:
    """Per-topic precision/recall/F1, confusion matrix and abstention on a labelled set."""
    if file is None and cv < 2:
        raise fail("give a labelled YAML file, or --cv K (K ≥ 2) to cross-validate the base")
    if file is not None:
        try:  # before loading scikit-learn, and before a long cross-validation
            file.open("rb").close()
        except OSError as exc:
            raise fail(f"{file}: cannot read labelled set: {exc}") from None
    from bot.evaluation import cross_validate_kb, evaluate_file, render_report, report_json

    reports = []
    if cv:
        from knowledge import load_knowledge_base

        reports.append((f"{cv}-fold cross-validation on the knowledge base",
                        cross_validate_kb(load_knowledge_base(kb_path(kb)), folds=cv)))
    if file is not None:
        reports.append((f"evaluation on {file}", evaluate_file(_advisor(kb), file)))
    if as_json:
        print(json.dumps({title: report_json(r) for title, r in reports}, indent=2))
        return
    for title, report in reports:
        out.print(render_report(title, report))


# Sub-apps of other areas register here.
from bot.log import cli as log_cli  # noqa: E402 (Typer only; SQLAlchemy loads lazily)

app.add_typer(log_cli.log_app, name="log")
app.add_typer(log_cli.db_app, name="db")
app.command("report")(log_cli.report)

from bot.slack import cli as slack_cli  # noqa: E402 (Typer only; Bolt loads inside serve)

app.command("serve")(slack_cli.serve)

from bot.doctor import doctor  # noqa: E402 (Typer only; each check loads what it needs)

app.command("doctor")(doctor)

from bot.curation import cli as curation_cli  # noqa: E402 (Typer only; the rest loads lazily)

curation_cli.register(kb_app)


def main() -> None:
    """Entry point of the `advisor` script: one clear line and exit 1 on a known error."""
    try:
        app()
    except AdvisorError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(1)
    except BrokenPipeError:
        sys.exit(0)
    except Exception as exc:  # a bug: one line for the user, the trace for the report
        where = _write_crash_report()
        err.print(f"error: unexpected {type(exc).__name__}: {exc}. This is a bug; "
                  f"please report it with {where}", markup=False, highlight=False)
        sys.exit(2)


def _write_crash_report() -> str:
    """Write the current exception's trace to the data directory; return where it went."""
    import tempfile
    import traceback

    try:
        directory = _settings().advisor_data_dir
        directory.mkdir(parents=True, exist_ok=True)
    except Exception:
        directory = Path(tempfile.gettempdir())
    path = directory / "crash.log"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} advisor {' '.join(sys.argv[1:2])}\n")
        fh.write(traceback.format_exc())
    return str(path)
