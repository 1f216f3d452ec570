"""The curation actions Slack and the CLI share: check the admin, edit, measure, audit, reload.

Flow for a change: `propose_*` plans the YAML edit and (optionally) measures quality before
and after on a staged copy; `commit` checks the admin, asks for confirmation when a figure
drops by more than two points, writes the file atomically (after validation), records the
audit, closes the gap cluster and reloads the live advisor (or signals the server).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.curation import gaps as gap_inbox
from bot.curation.audit import AuditLog, require_admin
from bot.curation.quality import Comparison, Quality, compare, measure
from bot.log.redaction import personal_traces, redact
from knowledge import DEFAULT_KB_PATH, editor
from knowledge.editor import Change
from knowledge.errors import AdvisorError

if TYPE_CHECKING:
    from bot.advisor import Advisor
    from bot.curation.gaps import GapCluster
    from bot.live import LiveAdvisor
    from bot.log import ConversationLog
    from bot.settings import Settings

log = logging.getLogger(__name__)


class NeedsConfirmation(AdvisorError):
    """The change lowers a quality figure by more than the allowed drop; confirm to go on."""

    def __init__(self, comparison: Comparison):
        self.comparison = comparison
        super().__init__("this change lowers " + " and ".join(comparison.drops)
                         + f" by more than {comparison.max_drop:g} points; confirm to apply it")


@dataclass(frozen=True)
class Refused:
    """A situation left out of a change because it still looks personal."""

    text: str  # as redacted
    reasons: tuple[str, ...]

    def line(self) -> str:
        return f"{self.text!r}: {'; '.join(self.reasons)}"


class PersonalDataError(AdvisorError):
    """Every situation of a change still looks personal: nothing would be left to add."""


def impersonal(situations: Sequence[str]) -> tuple[list[str], tuple[Refused, ...]]:
    """Situations redacted again with today's rules, and those refused as still personal.

    Questions were redacted when they were logged, but with the rules of that day; nothing
    personal may reach the knowledge base, where retention and `advisor log forget` never reach.
    """
    kept: list[str] = []
    refused: list[Refused] = []
    for text in situations:
        clean = redact(text)
        reasons = personal_traces(clean)
        if reasons:
            refused.append(Refused(clean, tuple(reasons)))
        else:
            kept.append(clean)
    return kept, tuple(refused)


@dataclass(frozen=True)
class Proposal:
    """A planned change, where it came from, and its before/after figures (when measured)."""

    change: Change
    cluster: GapCluster | None = None
    comparison: Comparison | None = None
    refused: tuple[Refused, ...] = ()
    """Situations left out because they still look personal (shown to the admin)."""

    @property
    def needs_confirmation(self) -> bool:
        return self.comparison is not None and self.comparison.needs_confirmation


@dataclass(frozen=True)
class Outcome:
    """What a committed change did."""

    change: Change
    comparison: Comparison | None
    kb_version: str | None  # of the base written (None: nothing to write)
    audit_id: int
    reload: str  # what happened to the serving advisor, in one line
    warnings: tuple[str, ...] = ()
    refused: tuple[Refused, ...] = ()


def _checked(situations: Sequence[str]) -> tuple[list[str], tuple[Refused, ...]]:
    kept, refused = impersonal(situations)
    if situations and not kept:
        raise PersonalDataError(
            "nothing added: every question still looks personal ("
            + "; ".join(r.line() for r in refused[:3]) + ("; …" if len(refused) > 3 else "")
            + "); dismiss the cluster, or add the problem in your own words")
    return kept, refused


class Curator:
    """One per process (or per CLI command); every method is safe from listener threads.

    Reads exchanges through `log.queries`; its own tables (audit, gap resolutions) live in the
    log's database, so it writes them through `log.database`'s engine. Changes are measured
    on `dev_set` too, by default the `ADVISOR_DEV_SET` setting (none: cross-validation only).
    """

    def __init__(
        self,
        *,
        settings: Settings,
        log: ConversationLog,
        kb_path: Path | None = None,
        live: LiveAdvisor | None = None,
        dev_set: Path | None = None,
        measure_quality: bool = True,
    ):
        self.settings = settings
        self.queries = log.queries
        self.requests = log.requests
        self.engine = log.database.engine
        self.kb_path = Path(kb_path or settings.advisor_kb_path or DEFAULT_KB_PATH)
        self.live = live
        self.audit = AuditLog(self.engine)
        self.dev_set = dev_set if dev_set is not None else settings.advisor_dev_set
        self.measure_quality = measure_quality
        self.data_dir = settings.advisor_data_dir

    # -- reading ----------------------------------------------------------------------------

    def gaps(self, advisor: Advisor, *, days: int = gap_inbox.DEFAULT_DAYS,
             **options: Any) -> list[GapCluster]:
        """The open gap clusters of the last `days` days, largest first."""
        return gap_inbox.find_gaps(self.queries, advisor, days=days, requests=self.requests,
                                   **options)

    def cluster(self, advisor: Advisor, cluster_id: str, *,
                days: int = gap_inbox.DEFAULT_DAYS, **options: Any) -> GapCluster:
        """One open cluster by id (or unique prefix); `GapNotFound` otherwise."""
        return gap_inbox.find_cluster(self.gaps(advisor, days=days, **options), cluster_id)

    def quality(self, kb_path: Path | None = None) -> Quality:
        """Cross-validation and development-set figures for a base (cached by version)."""
        return measure(kb_path or self.kb_path, dev_set=self.dev_set,
                       cache_dir=self.data_dir / "quality")

    # -- planning ---------------------------------------------------------------------------

    def propose_accept(self, cluster: GapCluster, entry_id: str) -> Proposal:
        """Add the cluster's questions (redacted again) as situations of an entry; those that
        still look personal are left out and listed on the proposal."""
        situations, refused = _checked(cluster.situations)
        change = editor.plan_add_situations(self.kb_path, entry_id, situations)
        return self._measured(Proposal(change, cluster, refused=refused))

    def propose_draft(
        self,
        cluster: GapCluster,
        *,
        topic: str,
        title: str,
        summary: str,
        actions: Sequence[str],
        situations: Sequence[str] = (),
        entry_id: str | None = None,
        owner: str | None = None,
        pitfalls: Sequence[str] = (),
    ) -> Proposal:
        """A new entry in `topic` whose situations are the cluster's questions (plus any given),
        redacted again; those that still look personal are left out and listed."""
        kept, refused = _checked([*cluster.situations, *situations])
        change = editor.plan_add_entry(
            self.kb_path, topic, title=title, summary=summary, actions=actions,
            situations=kept, entry_id=entry_id, owner=owner, pitfalls=pitfalls)
        return self._measured(Proposal(change, cluster, refused=refused))

    def propose_review(self, entry_id: str) -> Proposal:
        """Mark an entry reviewed today (dates do not change the model: not measured)."""
        return Proposal(editor.plan_mark_reviewed(self.kb_path, entry_id))

    # -- acting -----------------------------------------------------------------------------

    def commit(self, actor: str, proposal: Proposal, *, confirmed: bool = False) -> Outcome:
        """Apply a proposal for an admin; raises `NotAdmin`, `NeedsConfirmation`,
        `KnowledgeBaseError` (file untouched, errors with file:line) or `EditError`."""
        change = proposal.change
        require_admin(self.settings, actor, action=change.action, audit=self.audit)
        if proposal.needs_confirmation and not confirmed:
            assert proposal.comparison is not None
            raise NeedsConfirmation(proposal.comparison)
        kb = editor.apply(change)
        cluster = proposal.cluster
        detail: dict[str, Any] = {"file": change.file.name, "kb_version": kb.version if kb else None}
        if cluster is not None:
            detail["cluster"] = {"id": cluster.id, "size": cluster.size}
        if proposal.refused:
            detail["refused_personal"] = len(proposal.refused)
        if proposal.comparison is not None:
            detail["quality"] = proposal.comparison.to_json()
            detail["confirmed_drop"] = proposal.needs_confirmation
        audit_id = self.audit.record(actor=actor, action=change.action, target=change.target,
                                     before=change.before, after=change.after, detail=detail)
        if cluster is not None:
            action = "drafted" if change.action == "add_entry" else "accepted"
            gap_inbox.resolve(self.engine, cluster, action=action, actor=actor,
                              target=change.target)
        reload = self._reload(f"{change.action} {change.target} by {actor}") if kb else \
            "nothing changed; no reload needed"
        return Outcome(change, proposal.comparison, kb.version if kb else None, audit_id, reload,
                       kb.warnings if kb else (), proposal.refused)

    def dismiss(self, actor: str, cluster: GapCluster) -> int:
        """Take a cluster out of the inbox for good; returns the audit id."""
        require_admin(self.settings, actor, action="dismiss_gap", audit=self.audit)
        gap_inbox.resolve(self.engine, cluster, action="dismissed", actor=actor)
        return self.audit.record(actor=actor, action="dismiss_gap", target=cluster.id,
                                 before={"questions": list(cluster.situations)},
                                 detail={"likely_topic": cluster.likely_topic,
                                         "size": cluster.size})

    def mark_reviewed(self, actor: str, entry_id: str) -> Outcome:
        """Set an entry's last_reviewed to today, for an admin or the entry's owner."""
        proposal = self.propose_review(entry_id)
        if actor.rpartition(":")[2] != _owner(self.kb_path, entry_id):  # T…:U… in a workspace
            require_admin(self.settings, actor, action="mark_reviewed", audit=self.audit)
        return self._commit_unchecked(actor, proposal)

    def reload(self, actor: str) -> str:
        """`/advisor admin reload`: reload now, reporting every error with file:line."""
        require_admin(self.settings, actor, action="reload", audit=self.audit)
        return self._reload(f"reload by {actor}")

    # -- internals --------------------------------------------------------------------------

    def _commit_unchecked(self, actor: str, proposal: Proposal) -> Outcome:
        change = proposal.change
        kb = editor.apply(change)
        audit_id = self.audit.record(actor=actor, action=change.action, target=change.target,
                                     before=change.before, after=change.after,
                                     detail={"file": change.file.name,
                                             "kb_version": kb.version if kb else None})
        reload = self._reload(f"{change.action} {change.target} by {actor}") if kb else \
            "nothing changed; no reload needed"
        return Outcome(change, None, kb.version if kb else None, audit_id, reload)

    def _measured(self, proposal: Proposal) -> Proposal:
        if not self.measure_quality or not proposal.change.changed:
            return proposal
        before = self.quality()
        with editor.staged(proposal.change) as copy:
            editor.validate(proposal.change)  # report file:line errors before measuring
            after = self.quality(copy)
        return Proposal(proposal.change, proposal.cluster, compare(before, after))

    def _reload(self, reason: str) -> str:
        from bot.server_process import ServerNotRunning, reload_everywhere, signal_reload

        if self.live is not None:
            result = reload_everywhere(self.live, self.data_dir, reason=reason)
            return "\n".join([result.summary(), *result.errors])
        try:
            pid = signal_reload(self.data_dir)
        except ServerNotRunning as exc:
            return str(exc)
        return f"asked the advisor server (pid {pid}) to reload; /healthz shows the live version"


def _owner(kb_path: Path, entry_id: str) -> str | None:
    from knowledge import load_knowledge_base

    try:
        entry = load_knowledge_base(kb_path).entries_by_id.get(entry_id)
    except AdvisorError:
        return None
    return entry.owner if entry else None
