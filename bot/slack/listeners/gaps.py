"""The gaps inbox's buttons and modals: add a cluster to an entry, draft a new entry, dismiss.

A button checks the admin, then opens a modal (or dismisses). A submitted modal is answered at
once with a "working" view; planning, the before/after measurement, the commit and the reload
follow, and the modal is updated with the outcome, a confirmation, or the errors. Each step
re-plans from the cluster id and the submitted values, so any worker can take any step.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.curation.gaps import DEFAULT_DAYS as GAP_DAYS
from bot.curation.gaps import GapCluster
from bot.curation.service import NeedsConfirmation
from bot.slack import values as v
from bot.slack.admin_blocks import gaps_blocks, gaps_text
from bot.slack.blocks import SORRY
from bot.slack.curation_views import (
    ENTRY,
    add_modal,
    draft_errors,
    draft_modal,
    failure_modal,
    fingerprint,
    metadata,
    notice_modal,
    outcome_modal,
    read_draft,
    read_entry,
    working_modal,
)
from bot.slack.home_tab import publish_home
from bot.slack.limits import fit_blocks
from bot.slack.listeners.shared import (
    Respond,
    actor_of,
    from_home,
    refused,
    team_of,
    teller,
    telling_user,
    user_of,
)
from bot.slack.mrkdwn import truncate
from bot.slack.services import Services
from bot.slack.web import slack_call
from knowledge.errors import AdvisorError, KnowledgeBaseError

if TYPE_CHECKING:
    from bot.curation.quality import Comparison
    from bot.curation.service import Curator, Proposal
    from knowledge.models import KnowledgeBase

INVALID = ("The knowledge base would be invalid, so nothing was changed. Fix these (or what "
           "you submitted) and try again:")


def on_gap_add(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
               client: WebClient, respond: Respond, logger: logging.Logger,
               services: Services) -> None:
    """"Add to entry…": a modal to pick the entry (the likely topic's entries first)."""
    ack()
    _open_modal("add_situations", body, action, client, respond, logger, services)


def on_gap_draft(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                 client: WebClient, respond: Respond, logger: logging.Logger,
                 services: Services) -> None:
    """"Draft entry…": a modal for a new entry in a topic, prefilled from the cluster."""
    ack()
    _open_modal("add_entry", body, action, client, respond, logger, services)


def on_gap_dismiss(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                   client: WebClient, respond: Respond, logger: logging.Logger,
                   services: Services) -> None:
    """"Dismiss" (after Slack's confirm dialog): the cluster leaves the inbox for good."""
    ack()
    user, tell = user_of(body), teller(body, client, respond, logger)
    actor = actor_of(services, body)
    with telling_user(logger, "dismissing a gap cluster", lambda: tell(SORRY)):
        cluster = _admin_cluster("dismiss_gap", body, action, services, tell)
        if cluster is None or services.curator is None or services.live is None:
            return
        services.curator.dismiss(actor, cluster)
        note = (f"Dismissed {cluster.size} question(s) like "
                f"“{truncate(cluster.representative.question, 100)}”.")
        if from_home(body):
            publish_home(client, user, services, logger, team=team_of(body))
        elif respond is not None:
            advisor = services.live.current
            clusters = services.curator.gaps(advisor, days=GAP_DAYS,
                                             team_id=services.settings.team_scope(actor))
            slack_call(logger, "response_url", respond, replace_original=True,
                       text=gaps_text(clusters, days=GAP_DAYS),
                       blocks=gaps_blocks(clusters, advisor.kb, days=GAP_DAYS, note=note))


def on_add_submitted(ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any],
                     client: WebClient, logger: logging.Logger, services: Services) -> None:
    """The add modal (or its confirmation) was submitted."""
    entry_id = read_entry(view)
    if not entry_id:
        ack(response_action="errors", errors={ENTRY: "Choose an entry."})
        return
    ack(response_action="update", view=working_modal())

    def plan(curator: Curator, cluster: GapCluster) -> Proposal:
        return curator.propose_accept(cluster, entry_id)

    def confirm(cluster: GapCluster, kb: KnowledgeBase, comparison: Comparison,
                meta: str) -> dict[str, Any]:
        return add_modal(cluster, kb, meta=meta, selected=entry_id, comparison=comparison)

    _apply("add_situations", fingerprint(entry_id), body, view, client, logger, services, plan,
           confirm)


def on_draft_submitted(ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any],
                       client: WebClient, logger: logging.Logger, services: Services) -> None:
    """The draft modal (or its confirmation) was submitted; field errors come back at once."""
    form = read_draft(view)
    size = v.unpack(view.get("private_metadata")).get("n")
    errors = draft_errors(form, cluster_situations=size if isinstance(size, int) else 0)
    if errors:
        ack(response_action="errors", errors=errors)
        return
    ack(response_action="update", view=working_modal())

    def plan(curator: Curator, cluster: GapCluster) -> Proposal:
        return curator.propose_draft(cluster, topic=form.topic, title=form.title,
                                     summary=form.summary, actions=form.actions,
                                     situations=form.situations)

    def confirm(cluster: GapCluster, kb: KnowledgeBase, comparison: Comparison,
                meta: str) -> dict[str, Any]:
        return draft_modal(cluster, kb, meta=meta, form=form, comparison=comparison)

    _apply("add_entry", fingerprint(form), body, view, client, logger, services, plan, confirm)


def register(app: App) -> None:
    app.action(re.compile(rf"^{v.GAP_ADD}_\d+$"))(on_gap_add)
    app.action(re.compile(rf"^{v.GAP_DRAFT}_\d+$"))(on_gap_draft)
    app.action(re.compile(rf"^{v.GAP_DISMISS}_\d+$"))(on_gap_dismiss)
    app.view(v.ADD_VIEW)(on_add_submitted)
    app.view(v.DRAFT_VIEW)(on_draft_submitted)


# -- internals ------------------------------------------------------------------------------


def _admin_cluster(action_name: str, body: dict[str, Any], action: dict[str, Any],
                   services: Services, tell: Callable[[str], Any]) -> GapCluster | None:
    """The clicked cluster for an admin; None (having told the user why) otherwise."""
    if services.curator is None or services.live is None:
        return None
    actor = actor_of(services, body)
    refusal = refused(services, actor, action_name)
    if refusal:
        tell(refusal)
        return None
    try:
        return services.curator.cluster(services.live.current,
                                        str(v.unpack(action.get("value")).get("g", "")),
                                        days=GAP_DAYS, team_id=services.settings.team_scope(actor))
    except AdvisorError as exc:  # GapNotFound: list the gaps again
        tell(str(exc))
        return None


def _open_modal(action_name: str, body: dict[str, Any], action: dict[str, Any],
                client: WebClient, respond: Respond, logger: logging.Logger,
                services: Services) -> None:
    tell = teller(body, client, respond, logger)
    with telling_user(logger, f"opening the {action_name} modal", lambda: tell(SORRY)):
        cluster = _admin_cluster(action_name, body, action, services, tell)
        if cluster is None or services.live is None:
            return
        kb = services.live.current.kb
        meta = metadata(cluster, home=from_home(body))
        view = (add_modal(cluster, kb, meta=meta) if action_name == "add_situations"
                else draft_modal(cluster, kb, meta=meta))
        slack_call(logger, "views.open", client.views_open, trigger_id=body.get("trigger_id"),
                   view=view)


def _apply(action_name: str, submitted: str, body: dict[str, Any], view: dict[str, Any],
           client: WebClient, logger: logging.Logger, services: Services,
           plan: Callable[[Curator, GapCluster], Proposal],
           confirm: Callable[[GapCluster, KnowledgeBase, Comparison, str], dict[str, Any]]) -> None:
    """Plan, measure, commit (or ask to confirm a drop), and show what happened in the modal.

    `submitted` fingerprints the submission: a confirmation applies only what it showed.
    """
    user, meta = user_of(body), v.unpack(view.get("private_metadata"))
    actor = actor_of(services, body)
    curator, live = services.curator, services.live

    def show(new_view: dict[str, Any], *, dm: bool = True) -> None:
        if slack_call(logger, "views.update", client.views_update, view_id=view.get("id"),
                      view=new_view) is None and dm:  # the modal was closed: tell them in a DM
            slack_call(logger, "chat.postMessage", client.chat_postMessage, channel=user,
                       text=new_view["title"]["text"], blocks=fit_blocks(new_view["blocks"]))

    with telling_user(logger, f"applying {action_name}", lambda: show(failure_modal())):
        refusal = refused(services, actor, action_name)
        if refusal or curator is None or live is None:
            show(notice_modal("Not allowed", refusal or SORRY))
            return
        advisor = live.current
        try:
            cluster = curator.cluster(advisor, str(meta.get("g", "")), days=GAP_DAYS,
                                      team_id=services.settings.team_scope(actor))
        except AdvisorError as exc:  # GapNotFound
            show(failure_modal(str(exc)))
            return
        try:
            outcome = curator.commit(actor, plan(curator, cluster),
                                     confirmed=meta.get("c") == submitted)
        except NeedsConfirmation as exc:
            again = metadata(cluster, home=bool(meta.get("h")), confirm=submitted)
            show(confirm(cluster, advisor.kb, exc.comparison, again), dm=False)
            return
        except KnowledgeBaseError as exc:
            show(failure_modal(INVALID, [str(p) for p in exc.problems if p.severity == "error"]))
            return
        except AdvisorError as exc:  # EditError (unknown entry, file changed meanwhile)
            show(failure_modal(str(exc)))
            return
        show(outcome_modal(outcome))
        if meta.get("h"):
            publish_home(client, user, services, logger, team=team_of(body))
