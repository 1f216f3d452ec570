"""The gaps inbox: questions the advisor could not answer well, grouped by similarity.

A gap question is an exchange in the window that the advisor abstained on, answered with low
confidence, or that a user marked not helpful or re-routed to another topic; an answered
expert request is a cluster of its own, first, with the experts' reply (its exchange is left
out of the other clusters). Questions are
read (already redacted) from the conversation log; those an admin has dealt with are left
out. Each cluster gets an id anchored on its oldest question (so it survives new questions
joining the cluster between `kb gaps` and `kb accept`), a representative question (the
medoid), the likely topic and the entry it most resembles. A listing made with other than
the default window or confidence line writes them into the reference it shows
(`3f2a9c1b7d4e@60d,0.60`), so the next command finds the same cluster.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from sqlalchemy import Engine, delete, select
from sqlmodel import Session

from bot.answer import LOW_CONFIDENCE
from bot.curation.models import GapResolution
from bot.log.expert_requests import ANSWERED
from bot.log.models import ExpertRequest
from classifiers.clustering import Cluster, cluster_texts
from knowledge.errors import AdvisorError

if TYPE_CHECKING:
    from scipy import sparse

    from bot.advisor import Advisor
    from bot.log.expert_requests import ExpertRequests
    from bot.log.queries import LogQueries

DEFAULT_DAYS = 30
MIN_SIMILARITY = 0.35
"""Average similarity two groups of questions need to be merged, where two questions are as
similar as the closer of the matcher's `meaning` rows and its feature rows (chosen on the
labelled gap questions `python bench/clustering.py` reads: with the model of 1 December 2026,
0.35 gives ARI 0.392, purity 0.74 and 20 % of questions alone; 0.4 left 29 % alone)."""
MAX_QUESTIONS = 2000
NOISE = 0.7
"""Out-of-scope probability from which a question counts as noise. On the labelled gap set,
0.7 catches 85 % of the noise and 2.2 % of real gap questions; 0.6 caught as much noise and
3.5 % of real gap questions (`python bench/clustering.py`)."""
Resolution = Literal["accepted", "drafted", "dismissed"]


class GapNotFound(AdvisorError):
    """No open gap cluster has that id (it may have changed: list the gaps again)."""


@dataclass(frozen=True)
class GapQuestion:
    """One exchange in the inbox, with why it is there."""

    exchange_id: str
    question: str
    created_at: dt.datetime
    topic: str | None
    confidence: float
    reasons: tuple[str, ...]  # out_of_scope, abstained, low_confidence, not_helpful, rerouted,
    # or expert_answer (an answered expert request)
    chosen_topic: str | None = None


@dataclass(frozen=True)
class GapCluster:
    """Similar gap questions an admin can act on as one."""

    id: str
    questions: tuple[GapQuestion, ...]  # oldest first
    representative: GapQuestion
    likely_topic: str | None
    topic_from: Literal["rerouted", "model", "none"]
    suggested_entry: str | None
    noise: bool = False
    """Most of its questions are plainly out of scope (small talk, helpdesk, gibberish): kept
    apart, after the real gaps, so an admin sees those first."""
    expert_reply: str | None = None
    """An answered expert request: its one question and what the experts replied (the
    cluster's one "exchange id" is the request's id)."""

    @property
    def size(self) -> int:
        return len(self.questions)

    @property
    def reasons(self) -> dict[str, int]:
        """How many questions are here for each reason."""
        return dict(Counter(r for q in self.questions for r in q.reasons).most_common())

    @property
    def situations(self) -> tuple[str, ...]:
        """The distinct questions, representative first: what `accept` adds to an entry."""
        seen: set[str] = set()
        out = []
        for q in (self.representative, *self.questions):
            key = " ".join(q.question.lower().split())
            if key and key not in seen:
                seen.add(key)
                out.append(" ".join(q.question.split()))
        return tuple(out)

    @property
    def exchange_ids(self) -> tuple[str, ...]:
        return tuple(q.exchange_id for q in self.questions)

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "size": self.size,
            "representative": self.representative.question,
            "likely_topic": self.likely_topic,
            "topic_from": self.topic_from,
            "suggested_entry": self.suggested_entry,
            "reasons": self.reasons,
            "noise": self.noise,
            "expert_reply": self.expert_reply,
            "questions": list(self.situations),
        }


def cluster_id(anchor_exchange_id: str) -> str:
    """A cluster's id: the first 12 hex digits of a SHA-256 of its oldest exchange's id."""
    return hashlib.sha256(anchor_exchange_id.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class ClusterRef:
    """A cluster id with the listing options it was found under (None: the default)."""

    id: str
    days: int | None = None
    low_confidence: float | None = None

    def __str__(self) -> str:
        if self.days is None and self.low_confidence is None:
            return self.id
        days = self.days if self.days is not None else DEFAULT_DAYS
        low = self.low_confidence if self.low_confidence is not None else LOW_CONFIDENCE
        return f"{self.id}@{days}d,{low:.2f}"

    @classmethod
    def listed(cls, cluster: GapCluster, *, days: int, low_confidence: float) -> ClusterRef:
        """The reference to show for a cluster listed with these options."""
        if days == DEFAULT_DAYS and low_confidence == LOW_CONFIDENCE:
            return cls(cluster.id)
        return cls(cluster.id, days, low_confidence)

    @classmethod
    def parse(cls, text: str) -> ClusterRef:
        """`3f2a9c1b7d4e` or `3f2a9c1b7d4e@60d,0.60`; `GapNotFound` if malformed."""
        ident, _, options = text.strip().lower().partition("@")
        if not options:
            return cls(ident)
        match = re.fullmatch(r"(\d{1,4})d,(0(?:\.\d+)?|1(?:\.0+)?)", options)
        if not match:
            raise GapNotFound(f"{text!r} is not a cluster reference (expected ID or ID@60d,0.45)")
        return cls(ident, int(match.group(1)), float(match.group(2)))


def gap_questions(
    queries: LogQueries,
    *,
    days: int = DEFAULT_DAYS,
    low_confidence: float = LOW_CONFIDENCE,
    now: dt.datetime | None = None,
    limit: int = MAX_QUESTIONS,
    team_id: str | None = None,
) -> list[GapQuestion]:
    """Open gap questions of the last `days` days, newest first (at most `limit`); of one
    workspace's exchanges when `team_id` is given."""
    since = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)
    rq = ExpertRequest.__table__
    with_reply = select(rq.c.exchange_id).where(rq.c.status == ANSWERED, rq.c.exchange_id.is_not(None))
    flagged = queries.flagged_exchanges(since=since, low_confidence=low_confidence, limit=limit,
                                        excluding=select(GapResolution.exchange_id).union(with_reply),
                                        team_id=team_id)
    out = []
    for f in flagged:
        r = f.exchange
        reasons = []
        if r.out_of_scope:
            reasons.append("out_of_scope")
        elif r.abstained:
            reasons.append("abstained")
        elif r.confidence < low_confidence:
            reasons.append("low_confidence")
        if f.not_helpful:
            reasons.append("not_helpful")
        if f.chosen_topic is not None and f.chosen_topic != r.topic:
            reasons.append("rerouted")
        if not reasons:
            continue  # chose the topic it already had: not a gap
        out.append(GapQuestion(r.id, r.question, _aware(r.created_at), r.topic, r.confidence,
                               tuple(reasons), f.chosen_topic))
    return out


def find_gaps(
    queries: LogQueries,
    advisor: Advisor,
    *,
    days: int = DEFAULT_DAYS,
    low_confidence: float = LOW_CONFIDENCE,
    min_similarity: float = MIN_SIMILARITY,
    now: dt.datetime | None = None,
    limit: int = MAX_QUESTIONS,
    requests: ExpertRequests | None = None,
    team_id: str | None = None,
) -> list[GapCluster]:
    """The open gaps as clusters: answered expert requests first (with `requests`), then the
    rest largest first; plainly out-of-scope clusters (`noise`) come after the real gaps.
    `team_id`: only that workspace's questions (and expert requests)."""
    answered = (expert_clusters(requests, advisor, days=days, now=now, team_id=team_id)
                if requests else [])
    questions = gap_questions(queries, days=days, low_confidence=low_confidence, now=now,
                              limit=limit, team_id=team_id)
    questions.sort(key=lambda q: (q.created_at, q.exchange_id))
    texts = [q.question for q in questions]
    x = advisor.matcher.transform(texts) if texts else None  # vectorised once for both uses
    clusters = _group(advisor, texts, x, min_similarity) if texts else []
    noisy = advisor.matcher.out_of_scope_of(x) >= NOISE if x is not None else []
    out = []
    for c in clusters:
        members = tuple(questions[i] for i in c.members)
        rep = questions[c.representative]
        topic, source = _likely_topic(advisor, rep, members)
        out.append(GapCluster(
            id=cluster_id(members[0].exchange_id),
            questions=members,
            representative=rep,
            likely_topic=topic,
            topic_from=source,
            suggested_entry=_suggested_entry(advisor, rep.question, topic),
            noise=2 * sum(bool(noisy[i]) for i in c.members) > len(c.members),
        ))
    out.sort(key=lambda c: c.noise)  # stable: each part keeps its largest-first order
    return answered + out


def expert_clusters(requests: ExpertRequests, advisor: Advisor, *, days: int = DEFAULT_DAYS,
                    now: dt.datetime | None = None,
                    team_id: str | None = None) -> list[GapCluster]:
    """One cluster per answered expert request of the last `days` days not dealt with yet
    (asked in one workspace, with `team_id`): its question (as the asker confirmed it) and
    the experts' reply."""
    since = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)
    out = []
    for r in requests.answered(since=since, excluding=select(GapResolution.exchange_id),
                               team_id=team_id):
        q = GapQuestion(r.id, r.question, _aware(r.created_at), None, 0.0, ("expert_answer",))
        topic, source = _likely_topic(advisor, q, (q,))
        entry = r.entry_id if r.entry_id in advisor.kb.entries_by_id else None
        out.append(GapCluster(
            id=cluster_id(r.id), questions=(q,), representative=q, likely_topic=topic,
            topic_from=source, suggested_entry=entry or _suggested_entry(advisor, r.question, topic),
            expert_reply=r.answer))
    return out


def grouping(advisor: Advisor, *, min_similarity: float = MIN_SIMILARITY
             ) -> Callable[[Sequence[str]], list[Cluster]]:
    """How the inbox groups questions (by meaning and words); `advisor report` groups its
    unanswered questions the same way."""
    return lambda texts: _group(advisor, texts, advisor.matcher.transform(texts), min_similarity)


def _group(advisor: Advisor, texts: Sequence[str], x: sparse.csr_matrix,
           min_similarity: float) -> list[Cluster]:
    """Cluster `texts` (vectorised as `x`) as close as the closer of meaning and words."""
    meaning = advisor.matcher.meaning_of(x)
    return cluster_texts(texts, min_similarity=min_similarity,
                         vectorize=(lambda _: meaning, lambda _: x))


def find_cluster(clusters: Sequence[GapCluster], wanted: str) -> GapCluster:
    """The cluster with this id (or a unique prefix of at least 4 characters)."""
    wanted = wanted.strip().lower()
    exact = [c for c in clusters if c.id == wanted]
    if exact:
        return exact[0]
    matches = [c for c in clusters if len(wanted) >= 4 and c.id.startswith(wanted)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise GapNotFound(f"{wanted!r} matches {len(matches)} gap clusters; give more of the id")
    raise GapNotFound(f"no open gap cluster {wanted!r}: new questions may have changed the "
                      "clusters, or it was already dealt with; list them again")


def resolve(
    engine: Engine,
    cluster: GapCluster,
    *,
    action: Resolution,
    actor: str,
    target: str | None = None,
    at: dt.datetime | None = None,
) -> int:
    """Record that an admin dealt with the cluster; its questions leave the inbox."""
    at = at or dt.datetime.now(dt.UTC)
    ids = list(cluster.exchange_ids)
    with Session(engine) as session:
        session.execute(delete(GapResolution).where(GapResolution.exchange_id.in_(ids)))
        for exchange_id in ids:
            session.add(GapResolution(exchange_id=exchange_id, cluster_id=cluster.id,
                                      action=action, target=target, actor=actor[:64], at=at))
        session.commit()
    return len(ids)


def dismissed_clusters(engine: Engine) -> list[str]:
    """Ids of clusters dismissed so far."""
    with Session(engine) as session:
        rows = session.execute(select(GapResolution.cluster_id)
                               .where(GapResolution.action == "dismissed").distinct())
        return sorted(rows.scalars())


def _likely_topic(advisor: Advisor, rep: GapQuestion,
                  members: Sequence[GapQuestion]) -> tuple[str | None, Literal["rerouted", "model", "none"]]:
    topics = advisor.kb.topics_by_id
    chosen = Counter(q.chosen_topic for q in members if q.chosen_topic in topics)
    if chosen:
        return chosen.most_common(1)[0][0], "rerouted"
    answer = advisor.answer(rep.question)
    if answer.topic is not None:
        return answer.topic.id, "model"
    if answer.alternatives:
        return answer.alternatives[0].topic.id, "model"
    return None, "none"


def _suggested_entry(advisor: Advisor, question: str, topic: str | None) -> str | None:
    if topic is None:
        return None
    recs = advisor.answer_in_topic(question, topic).recommendations
    return recs[0].entry.id if recs else None


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
