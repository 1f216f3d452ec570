"""The App Home tab of one user: their recent questions and open checklists, and for
admins this week's figures and the curation status; built and published."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from bot.checklist import build_checklist
from bot.curation.gaps import DEFAULT_DAYS as GAP_DAYS
from bot.slack.home_blocks import Curation, OpenChecklist, WeekFigures, home_view
from bot.slack.services import Services
from bot.slack.web import slack_call

RECENT = 5


def publish_home(client: WebClient, user: str, services: Services, logger: logging.Logger, *,
                 team: str | None = None) -> None:
    """(Re)draw the user's Home tab in `team`, e.g. after an admin acted on a gap from it."""
    slack_call(logger, "views.publish", client.views_publish, user_id=user,
               view=build_home(user, services, logger, team=team))


def build_home(user: str, services: Services, logger: logging.Logger, *,
               team: str | None = None) -> dict[str, Any]:
    """The user's Home view; this week's figures, the gaps and the expert requests only for
    admins, of their workspace with OAuth distribution (of every workspace for an
    organisation admin)."""
    kb, log = services.advisor.kb, services.log
    recent = log.queries.recent_questions(user_id=user, limit=RECENT)
    open_lists = []
    for checklist_id, done in log.checklists.in_progress(user_id=user):
        checklist = build_checklist(kb, checklist_id)
        if checklist is not None and done < len(checklist.items):
            open_lists.append(OpenChecklist(checklist.id, checklist.title, done,
                                            len(checklist.items)))
    figures = curation = requests = None
    actor = services.settings.actor(user, team)
    if services.settings.is_admin(actor):
        scope = services.settings.team_scope(actor)
        figures = week_figures(services, logger, team_id=scope)
        curation = curation_status(services, logger, team_id=scope)
        requests = request_counts(services, logger, team_id=scope)
    return home_view(kb, recent=recent, open_checklists=open_lists, figures=figures,
                     curation=curation, requests=requests)


def request_counts(services: Services, logger: logging.Logger, *,
                   team_id: str | None = None) -> dict[str, int] | None:
    """How many expert requests (asked in `team_id`, when given) wait and how many were
    answered (None: unreadable)."""
    from bot.log import LogError

    try:
        return services.log.requests.counts(team_id=team_id)
    except LogError as exc:
        logger.warning("no expert-request figures for the App Home: %s", exc)
        return None


def curation_status(services: Services, logger: logging.Logger, *,
                    team_id: str | None = None) -> Curation | None:
    """The live version, last reload and top gaps (of `team_id`'s questions, when given), for
    the admin section (None without a curator in this process)."""
    if services.live is None or services.curator is None:
        return None
    advisor = services.live.current
    try:
        clusters = services.curator.gaps(advisor, days=GAP_DAYS, team_id=team_id)
    except Exception:
        logger.exception("could not read the gaps inbox for the App Home")
        clusters = None
    return Curation(services.live.health(), clusters, GAP_DAYS)


def week_figures(services: Services, logger: logging.Logger, *,
                 team_id: str | None = None) -> WeekFigures | None:
    from bot.log import LogError

    try:
        stats = services.log.queries.weekly_stats(days=7, team_id=team_id)
    except LogError as exc:
        logger.warning("no weekly figures for the App Home: %s", exc)
        return None
    titles = services.advisor.kb.topics_by_id
    top = tuple((titles[t].title if t in titles else t, n) for t, n in stats.top_topics)
    return WeekFigures(stats.questions, top, stats.abstention_rate, stats.not_helpful)
