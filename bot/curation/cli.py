"""`advisor kb gaps | accept | draft | dismiss | stale | lint | reload | reviewed | audit |
requests`.

The command-line twins of the Slack admin actions. They act as `cli:<os user>` in the
audit. Heavy libraries load inside the commands.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from bot.answer import LOW_CONFIDENCE
from bot.cli_support import KbOption, fail, kb_path, print_problems
from bot.cli_support import lines as out
from knowledge.errors import AdvisorError

if TYPE_CHECKING:
    from bot.advisor import Advisor
    from bot.curation.service import Curator, Outcome, Proposal
    from bot.log import ConversationLog
    from bot.settings import Settings

DaysOption = Annotated[int, typer.Option("--days", min=1, help="How many days of questions to look at.")]
LowConfidenceOption = Annotated[float, typer.Option(
    "--low-confidence", min=0, max=1, help="Answers below this confidence count as gaps.")]
RefDaysOption = Annotated[Optional[int], typer.Option(  # noqa: UP045
    "--days", min=1, help="The window the cluster was listed with (default: the one in the "
    "reference, else 30).")]
RefLowOption = Annotated[Optional[float], typer.Option(  # noqa: UP045
    "--low-confidence", min=0, max=1, help="The confidence line the cluster was listed with "
    "(default: the one in the reference, else the advisor's).")]
ClusterArgument = Annotated[str, typer.Argument(
    help="The cluster reference from `advisor kb gaps` (an id, with the options it was "
    "listed with after @ when they were not the defaults).")]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Apply even if a figure drops by more "
                                         "than 2 points, without asking.")]
NoCheckOption = Annotated[bool, typer.Option("--no-check", help="Skip the before/after "
                                             "cross-validation and development-set figures.")]


def register(kb_app: typer.Typer) -> None:
    """Add the curation commands to `advisor kb`."""
    for name, command in (("gaps", gaps), ("accept", accept), ("draft", draft),
                          ("dismiss", dismiss), ("stale", stale), ("lint", lint),
                          ("reload", reload), ("reviewed", reviewed), ("audit", audit),
                          ("requests", requests)):
        kb_app.command(name)(command)


@contextmanager
def _curator(kb: Path | None, *, measure: bool = True) -> Iterator[Curator]:
    """A curator on the configured database; every known error becomes one clear line."""
    from bot.curation.service import Curator

    with _database() as (settings, log):
        yield Curator(settings=settings, log=log, kb_path=kb, measure_quality=measure)


@contextmanager
def _database() -> Iterator[tuple[Settings, ConversationLog]]:
    """The settings and the conversation log on the configured database, its schema ready and
    spooled exchanges stored; every known error becomes one clear line. Loads no scikit-learn."""
    from bot.log import ConversationLog
    from bot.settings import load_settings
    from knowledge import KnowledgeBaseError

    log = None
    try:
        settings = load_settings()
        log = ConversationLog.from_settings(settings)
        log.prepare()
        log.replay()  # exchanges one-shot commands (`advisor ask`) handed to the spool
        yield settings, log
    except KnowledgeBaseError as exc:
        print_problems(exc.problems)
        raise fail("the knowledge base would be invalid: nothing was changed") from None
    except AdvisorError as exc:
        raise fail(str(exc)) from None
    finally:
        if log is not None:
            log.close()


def _advisor(curator: Curator) -> Advisor:
    from bot.advisor import Advisor

    return Advisor.load(curator.kb_path, cache_dir=curator.data_dir / "models")


def _find(curator: Curator, reference: str, days: int | None,
          low_confidence: float | None):  # type: ignore[no-untyped-def]
    """The open cluster a reference names, under the options it was listed with (options
    given on this command win)."""
    from bot.curation.gaps import DEFAULT_DAYS, ClusterRef

    ref = ClusterRef.parse(reference)
    days = days if days is not None else ref.days or DEFAULT_DAYS
    low = low_confidence if low_confidence is not None else ref.low_confidence
    options = {} if low is None else {"low_confidence": low}
    return curator.cluster(_advisor(curator), ref.id, days=days, **options)


def _actor() -> str:
    from bot.curation.audit import cli_actor

    return cli_actor()


def gaps(
    days: DaysOption = 30,
    export: Annotated[Optional[Path], typer.Option(  # noqa: UP045
        "--export", help="Write the clusters and proposals to a file: .yaml to review, "
        ".diff/.patch for git apply.")] = None,
    low_confidence: LowConfidenceOption = LOW_CONFIDENCE,
    noise: Annotated[bool, typer.Option(
        "--noise", help="Also list the out-of-scope clusters (small talk, helpdesk…).")] = False,
    as_json: Annotated[bool, typer.Option(
        "--json", help="One JSON object per cluster (noise included, marked), for scripts.")] = False,
    kb: KbOption = None,
) -> None:
    """Questions the advisor could not answer well, grouped by meaning (the gaps inbox).
    Plainly out-of-scope clusters are counted after the real gaps (listed with --noise)."""
    from bot.curation.export import export_gaps
    from bot.curation.gaps import ClusterRef

    with _curator(kb) as curator:
        advisor = _advisor(curator)
        clusters = curator.gaps(advisor, days=days, low_confidence=low_confidence)
        if export is not None:
            n = export_gaps(export, clusters, curator.kb_path, days=days,
                            kb_version=advisor.kb.version)
            out.print(f"wrote {export}: {len(clusters)} clusters, {n} with a proposed change",
                      markup=False)
            return
    if as_json:
        for c in clusters:
            ref = str(ClusterRef.listed(c, days=days, low_confidence=low_confidence))
            print(json.dumps({"ref": ref, **c.to_json()}, ensure_ascii=False))
        return
    if not clusters:
        out.print(f"no open gaps in the last {days} days", markup=False)
        return
    real = [c for c in clusters if not c.noise]
    apart = [c for c in clusters if c.noise]
    total = sum(c.size for c in real)
    out.print(f"{len(real)} gap clusters, {total} questions, last {days} days", markup=False)
    for c in real + (apart if noise else []):
        if c is (apart[0] if apart else None):
            out.print(f"\nOut of scope ({len(apart)} clusters):", markup=False)
        topic = c.likely_topic or "?"
        source = "users re-routed" if c.topic_from == "rerouted" else "model"
        why = ", ".join(f"{k} {v}" for k, v in c.reasons.items())
        ref = ClusterRef.listed(c, days=days, low_confidence=low_confidence)
        out.print(f"\n{ref}  {c.size} question(s)  likely topic: {topic} ({source})  "
                  f"closest entry: {c.suggested_entry or '-'}  [{why}]", markup=False)
        out.print(f"    {c.representative.question!r}", markup=False)
        if c.expert_reply:
            out.print(f"    a person answered: {c.expert_reply!r}", markup=False)
    if apart and not noise:
        out.print(f"\n{len(apart)} out-of-scope cluster(s), {sum(c.size for c in apart)} "
                  "question(s) (small talk, helpdesk and the like) kept apart: "
                  "advisor kb gaps --noise lists them.", markup=False)
    out.print("\nAct on one: advisor kb accept ID --entry ENTRY · advisor kb draft ID --topic T "
              "--title … · advisor kb dismiss ID", markup=False)


def accept(
    cluster_id: ClusterArgument,
    entry: Annotated[str, typer.Option("--entry", help="The entry to add the questions to.")],
    days: RefDaysOption = None,
    low_confidence: RefLowOption = None,
    yes: YesOption = False,
    no_check: NoCheckOption = False,
    kb: KbOption = None,
) -> None:
    """Add a cluster's questions (redacted) as situations of an entry, then reload."""
    with _curator(kb, measure=not no_check) as curator:
        cluster = _find(curator, cluster_id, days, low_confidence)
        out.print(f"adding {len(cluster.situations)} question(s) of cluster {cluster.id} to "
                  f"{entry}", markup=False)
        _apply(curator, curator.propose_accept(cluster, entry), yes=yes)


def draft(
    cluster_id: ClusterArgument,
    topic: Annotated[str, typer.Option("--topic", help="The topic the new entry belongs to.")],
    title: Annotated[str, typer.Option("--title", help="The entry's title.")],
    summary: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--summary", help="Two to four sentences (default for an answered expert request: "
        "the experts' reply).")] = None,
    action: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--action", help="An action (repeat, in order; 3+; default for an answered expert "
        "request: the reply's lines or sentences).")] = None,
    situation: Annotated[Optional[list[str]], typer.Option(  # noqa: UP045
        "--situation", help="A situation besides the cluster's questions (repeat).")] = None,
    entry_id: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--id", help="The entry id (default: a slug of the title).")] = None,
    owner: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--owner", help="A team, or a Slack user id for review reminders (default: the "
        "topic's usual owner).")] = None,
    days: RefDaysOption = None,
    low_confidence: RefLowOption = None,
    yes: YesOption = False,
    no_check: NoCheckOption = False,
    kb: KbOption = None,
) -> None:
    """Draft a new entry in a topic from a cluster's questions, then reload."""
    from bot.experts import reply_draft

    with _curator(kb, measure=not no_check) as curator:
        cluster = _find(curator, cluster_id, days, low_confidence)
        drafted = reply_draft(cluster.expert_reply) if cluster.expert_reply else ("", ())
        if (summary is None and not drafted[0]) or (not action and not drafted[1]):
            raise fail("--summary and --action are needed (only an answered expert request "
                       "drafts them from the reply)")
        proposal = curator.propose_draft(cluster, topic=topic, title=title,
                                         summary=summary or drafted[0],
                                         actions=action or drafted[1], situations=situation or (),
                                         entry_id=entry_id, owner=owner)
        _apply(curator, proposal, yes=yes)


def dismiss(
    cluster_id: ClusterArgument,
    days: RefDaysOption = None,
    low_confidence: RefLowOption = None,
    kb: KbOption = None,
) -> None:
    """Take a cluster out of the gaps inbox for good."""
    with _curator(kb, measure=False) as curator:
        cluster = _find(curator, cluster_id, days, low_confidence)
        audit_id = curator.dismiss(_actor(), cluster)
    out.print(f"dismissed cluster {cluster.id} ({cluster.size} questions); audit #{audit_id}",
              markup=False)


def requests(
    status: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--status", help="Only requests with this status: saved, posted or answered.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="How many to show, newest first.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per request.")] = False,
    team: Annotated[Optional[str], typer.Option(  # noqa: UP045
        "--team", help="Only those asked in one workspace (its team id, T…), for the admins "
        "of one agency when the app is installed in many.")] = None,
) -> None:
    """Questions people handed to a person ("Ask a person"): waiting or answered, with the
    experts' replies and the workspace each was asked in. Answered ones are in
    `advisor kb gaps`, ready to accept or draft."""
    from bot.log.expert_requests import STATUSES

    if status is not None and status not in STATUSES:
        raise fail(f"invalid value for '--status': {status!r} is not one of "
                   + ", ".join(repr(s) for s in STATUSES))
    with _database() as (_, log):
        listed = log.requests.listing(statuses=(status,) if status else STATUSES, limit=limit,
                                      team_id=team)
    if as_json:
        for r in listed:
            print(json.dumps({"id": r.id, "created_at": r.created_at.isoformat(),
                              "status": r.status, "surface": r.surface, "team": r.team_id,
                              "enterprise": r.enterprise_id, "named": r.named,
                              "entry": r.entry_id, "route": r.route, "question": r.question,
                              "answer": r.answer}, ensure_ascii=False))
        return
    if not listed:
        out.print("no expert requests" + (f" with status {status}" if status else "")
                  + (f" in workspace {team}" if team else ""), markup=False)
        return
    for r in listed:
        where = f" to {r.route}" if r.route else ""
        asked_in = r.team_id or r.enterprise_id
        out.print(f"{r.id[:12]}  {r.created_at:%Y-%m-%d %H:%M} UTC  {r.status}{where}  "
                  f"({r.surface}{f' in {asked_in}' if asked_in else ''}, "
                  f"{'named' if r.named else 'anonymous'})", markup=False)
        out.print(f"    {r.question!r}", markup=False)
        if r.answer:
            out.print(f"    answer: {r.answer!r}", markup=False)
    out.print("Answered requests are gap clusters: advisor kb gaps, then advisor kb accept ID "
              "--entry ENTRY or advisor kb draft ID --topic T --title …", markup=False)


def reviewed(
    entry_id: Annotated[str, typer.Argument(help="The entry you have reviewed.")],
    kb: KbOption = None,
) -> None:
    """Mark an entry reviewed today (its last_reviewed), then reload."""
    with _curator(kb, measure=False) as curator:
        outcome = curator.mark_reviewed(_actor(), entry_id)
    _print_outcome(outcome)


def stale(kb: KbOption = None) -> None:
    """Entries past last_reviewed + review_every_days, with their owners."""
    from bot.curation.stale import stale_entries
    from knowledge import KnowledgeBaseError, load_knowledge_base

    try:
        base = load_knowledge_base(kb_path(kb))
    except KnowledgeBaseError as exc:
        raise fail(str(exc)) from None
    found = stale_entries(base)
    if not found:
        out.print(f"no entries are past their review date ({len(base.entries)} checked)",
                  markup=False)
        return
    out.print(f"{len(found)} entries past their review date", markup=False)
    for s in found:
        out.print(f"{s.entry_id} ({s.topic})  owner: {s.owner}  last reviewed "
                  f"{s.last_reviewed.isoformat()}, due {s.due.isoformat()}, "
                  f"{s.days_overdue} days overdue  {s.file}:{s.line}", markup=False)
    out.print("After reviewing one: advisor kb reviewed ENTRY_ID", markup=False)


def lint(
    days: DaysOption = 30,
    no_cv: Annotated[bool, typer.Option("--no-cv", help="Skip cross-validation (faster).")] = False,
    threshold: Annotated[float, typer.Option(
        min=0.5, max=1.0, help="Cosine similarity at which situations count as near-duplicates.")] = 0.85,
    kb: KbOption = None,
) -> None:
    """Lint: near-duplicates across topics, thin topics, unused and misclassified entries."""
    from bot.curation.lint import lint as run_lint
    from knowledge import load_knowledge_base

    with _curator(kb, measure=False) as curator:
        base = load_knowledge_base(curator.kb_path)
        predicted = None if no_cv else curator.quality().cv_predicted
        report = run_lint(base, queries=curator.queries, days=days, cv_predicted=predicted,
                          near_threshold=threshold)
    _print_lint(report)


def reload(kb: KbOption = None) -> None:
    """Validate the knowledge base, then ask the running server to reload it (SIGHUP)."""
    from bot.server_process import ServerNotRunning, signal_reload
    from bot.settings import load_settings
    from knowledge import KnowledgeBaseError, load_knowledge_base

    settings = load_settings()
    try:
        base = load_knowledge_base(kb or settings.advisor_kb_path)
    except KnowledgeBaseError as exc:
        print_problems(exc.problems)
        raise fail("the knowledge base is invalid; the server keeps serving its current "
                    "version") from None
    try:
        pid = signal_reload(settings.advisor_data_dir)
    except ServerNotRunning as exc:
        raise fail(str(exc)) from None
    out.print(f"asked the advisor server (pid {pid}) to reload knowledge base {base.version}; "
              "/healthz shows the version it serves", markup=False)


def audit(
    limit: Annotated[int, typer.Option(min=1, help="How many events to show.")] = 20,
    as_json: Annotated[bool, typer.Option(
        "--json", help="One JSON object per event, with its before, after and details.")] = False,
) -> None:
    """The latest admin actions (and refused attempts): who, when, what, and what changed."""
    from bot.curation.audit import AuditLog

    with _database() as (_, log):
        events = AuditLog(log.database.engine).recent(limit=limit)
    if as_json:
        for e in events:
            print(json.dumps({"id": e.id, "at": e.at.isoformat(), "actor": e.actor,
                              "action": e.action, "target": e.target, "before": e.before,
                              "after": e.after, "detail": e.detail}, ensure_ascii=False))
        return
    if not events:
        out.print("no admin actions recorded yet", markup=False)
        return
    for e in events:
        out.print(f"#{e.id}  {e.at:%Y-%m-%d %H:%M} UTC  {e.actor}  {e.action}  {e.target}",
                  markup=False)
        for line in _what_changed(e):
            out.print(f"    {line}", markup=False)


def _what_changed(event) -> list[str]:  # type: ignore[no-untyped-def]
    """An audit event's before/after and details, a line each, for `kb audit`."""
    lines = []
    before, after, detail = event.before or {}, event.after or {}, event.detail or {}
    if "situations" in after:
        added = [s for s in after["situations"] if s not in set(before.get("situations", []))]
        lines += [f"+ {s!r}" for s in added[:5]]
        if len(added) > 5:
            lines.append(f"+ … and {len(added) - 5} more situations")
    elif after.get("title"):
        lines.append(f"new entry {after['title']!r} with {len(after.get('situations', []))} "
                     "situations")
    if "last_reviewed" in after:
        lines.append(f"last reviewed {before.get('last_reviewed')} -> {after['last_reviewed']}")
    if "questions" in before:
        lines.append(f"{len(before['questions'])} question(s) dismissed")
    if detail.get("cluster"):
        lines.append(f"from gap cluster {detail['cluster']['id']} ({detail['cluster']['size']} "
                     "questions)")
    quality = detail.get("quality")
    if quality:
        b, a = quality["before"], quality["after"]
        text = f"cross-validation {b['cv_accuracy']:.1%} -> {a['cv_accuracy']:.1%}"
        if b.get("dev_accuracy") is not None and a.get("dev_accuracy") is not None:
            text += f", development set {b['dev_accuracy']:.1%} -> {a['dev_accuracy']:.1%}"
        lines.append(text + (" (a drop the admin confirmed)" if detail.get("confirmed_drop") else ""))
    if detail.get("refused_personal"):
        lines.append(f"{detail['refused_personal']} question(s) left out as still personal")
    if detail.get("removed"):  # `advisor log forget --team`: how many rows, never what
        lines.append("removed " + ", ".join(f"{n} {table}" for table, n in detail["removed"].items()))
    return lines


# -- shared output --------------------------------------------------------------------------


def _apply(curator: Curator, proposal: Proposal, *, yes: bool) -> None:
    from bot.curation.service import NeedsConfirmation

    change = proposal.change
    for refused in proposal.refused:
        out.print(f"left out, still looks personal: {refused.line()}", markup=False)
    if not change.changed:
        out.print(f"nothing new: {change.target} already has these situations", markup=False)
    else:
        out.print(change.diff(), markup=False, end="")
    if proposal.comparison is not None:
        for line in proposal.comparison.lines():
            out.print(line, markup=False)
    actor = _actor()
    try:
        outcome = curator.commit(actor, proposal, confirmed=yes)
    except NeedsConfirmation as exc:
        if not typer.confirm(f"{exc}. Apply anyway?", default=False):
            raise fail("not applied") from None
        outcome = curator.commit(actor, proposal, confirmed=True)
    _print_outcome(outcome)


def _print_outcome(outcome: Outcome) -> None:
    change = outcome.change
    if outcome.kb_version is None:
        out.print(f"{change.target}: nothing to change; audit #{outcome.audit_id}", markup=False)
    else:
        out.print(f"wrote {change.file} (knowledge base {outcome.kb_version}); "
                  f"audit #{outcome.audit_id}", markup=False)
    if change.action == "mark_reviewed":
        out.print(f"{change.target}: last reviewed {change.before['last_reviewed']} → "
                  f"{change.after['last_reviewed']}", markup=False)
    out.print(outcome.reload, markup=False)


def _print_lint(report) -> None:  # type: ignore[no-untyped-def]
    section = out.print
    section(f"near-duplicate situations across topics: {len(report.near_duplicates)}",
            markup=False)
    for d in report.near_duplicates:
        section(f"  {d.similarity:.2f}  {d.entry} ({d.topic}): {d.text!r}\n"
                f"        {d.other_entry} ({d.other_topic}): {d.other_text!r}", markup=False)
    section(f"thin topics: {len(report.thin_topics)}", markup=False)
    for t in report.thin_topics:
        section(f"  {t.topic}: {t.situations} situations in {t.entries} entries "
                f"(median topic: {t.median:g})", markup=False)
    if report.never_recommended is not None:
        section(f"entries never recommended in the last {report.days} days "
                f"({report.exchanges} exchanges): {len(report.never_recommended)}", markup=False)
        for entry_id in report.never_recommended:
            section(f"  {entry_id}", markup=False)
    if report.misclassified is not None:
        section(f"entries whose situations cross-validation misclassifies: "
                f"{len(report.misclassified)}", markup=False)
        for m in report.misclassified:
            went = ", ".join(f"{label} {n}" for label, n in m.went_to)
            section(f"  {m.entry} ({m.topic}): {m.wrong}/{m.total} elsewhere: {went}",
                    markup=False)
    for note in report.notes:
        section(f"note: {note}", markup=False)
