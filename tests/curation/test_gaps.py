"""The gaps inbox: which exchanges are gaps, how they cluster, dismissals remembered."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from bot.curation.gaps import (
    MIN_SIMILARITY,
    GapNotFound,
    cluster_id,
    dismissed_clusters,
    find_cluster,
    find_gaps,
    gap_questions,
    grouping,
    resolve,
)
from bot.live import LiveAdvisor
from bot.log import ConversationLog
from classifiers.clustering import cluster_texts
from tests.curation.conftest import ADMIN, ZEPHYRIX, record
from tests.factories import make_answer


def test_each_kind_of_gap_is_selected_with_its_reason(conversation_log: ConversationLog) -> None:
    log = conversation_log
    abstained = record(log, "astrology for the board?", make_answer(None, confidence=0.1))
    low = record(log, "what about the thing", make_answer("communication", confidence=0.3, entries=()))
    fine = record(log, "how do we announce it", make_answer("communication", confidence=0.9, entries=()))
    unhelpful = record(log, "who signs off the DPIA",
                       make_answer("security-privacy", confidence=0.8, entries=()))
    rerouted = record(log, "staff won't use it", make_answer("communication", confidence=0.6, entries=()))
    confirmed = record(log, "plan the comms", make_answer("communication", confidence=0.55, entries=()))
    log.record_feedback(unhelpful, user_id="U1", kind="not_helpful")
    log.record_feedback(rerouted, user_id="U1", kind="chose_topic", value="stakeholder-engagement")
    log.record_feedback(confirmed, user_id="U1", kind="chose_topic", value="communication")
    log.record_feedback(fine, user_id="U1", kind="helpful")
    log.flush()

    found = {q.exchange_id: q for q in gap_questions(log.queries)}

    assert set(found) == {abstained, low, unhelpful, rerouted}
    assert found[abstained].reasons == ("out_of_scope",)
    assert found[low].reasons == ("low_confidence",)
    assert found[unhelpful].reasons == ("not_helpful",)
    assert found[rerouted].reasons == ("rerouted",)
    assert found[rerouted].chosen_topic == "stakeholder-engagement"
    assert found[abstained].question == "astrology for the board?"


def test_only_the_window_counts(conversation_log: ConversationLog) -> None:
    record(conversation_log, "astrology for the board?", make_answer(None, confidence=0.1))
    conversation_log.flush()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=31)
    assert gap_questions(conversation_log.queries, days=30, now=later) == []
    assert len(gap_questions(conversation_log.queries, days=32, now=later)) == 1


def test_similar_abstentions_form_one_cluster_with_a_topic_and_an_entry(
        conversation_log: ConversationLog, shipped_live: LiveAdvisor) -> None:
    advisor = shipped_live.current
    answers = [advisor.answer(q) for q in ZEPHYRIX]
    ids = [record(conversation_log, q, a) for q, a in zip(ZEPHYRIX, answers, strict=True)]
    record(conversation_log, "where is the printer on floor 3", advisor.answer("where is the printer"))
    conversation_log.flush()

    clusters = find_gaps(conversation_log.queries, advisor)

    big = clusters[0]
    assert sorted(big.exchange_ids) == sorted(ids)
    assert big.id == cluster_id(ids[0])  # anchored on the oldest question
    assert big.representative.question in ZEPHYRIX
    assert big.situations[0] == big.representative.question
    assert sorted(big.situations) == sorted(ZEPHYRIX)
    assert big.likely_topic in advisor.kb.topics_by_id and big.topic_from == "model"
    assert advisor.kb.entries_by_id[big.suggested_entry].topic == big.likely_topic
    assert all(a.abstention for a in answers)  # made-up names: the advisor declines each
    # counted as each was logged: declined as out of scope, or abstained as unsure
    reason = {"out_of_scope": "out_of_scope", "unsure": "abstained"}
    assert big.reasons == Counter(reason[a.abstention] for a in answers)
    assert [c.size for c in clusters] == [4, 1]
    assert big.to_json()["questions"] == list(big.situations)


def test_a_cluster_keeps_its_id_when_a_similar_question_arrives(
        conversation_log: ConversationLog, shipped_live: LiveAdvisor) -> None:
    # Given a cluster an admin has listed
    advisor = shipped_live.current
    for q in ZEPHYRIX[:3]:
        record(conversation_log, q, advisor.answer(q))
    conversation_log.flush()
    [listed] = find_gaps(conversation_log.queries, advisor)
    # When another question like them arrives before the admin acts
    record(conversation_log, ZEPHYRIX[3], advisor.answer(ZEPHYRIX[3]))
    conversation_log.flush()
    # Then the id the admin copied still finds the cluster, now with the new question
    [grown] = find_gaps(conversation_log.queries, advisor)
    assert grown.size == listed.size + 1
    assert find_cluster([grown], listed.id) is grown


def test_a_topic_users_rerouted_to_is_the_likely_topic(conversation_log: ConversationLog,
                                                         shipped_live: LiveAdvisor) -> None:
    advisor = shipped_live.current
    for q in ZEPHYRIX[:3]:
        exchange = record(conversation_log, q, advisor.answer(q))
        conversation_log.record_feedback(exchange, user_id="U1", kind="chose_topic",
                                         value="training-skills")
    conversation_log.flush()

    [cluster] = find_gaps(conversation_log.queries, advisor)

    assert (cluster.likely_topic, cluster.topic_from) == ("training-skills", "rerouted")
    assert advisor.kb.entries_by_id[cluster.suggested_entry].topic == "training-skills"


def test_a_dismissed_cluster_stays_dismissed(conversation_log: ConversationLog,
                                             shipped_live: LiveAdvisor) -> None:
    advisor = shipped_live.current
    for q in ZEPHYRIX[:3]:
        record(conversation_log, q, advisor.answer(q))
    conversation_log.flush()
    [cluster] = find_gaps(conversation_log.queries, advisor)

    assert resolve(conversation_log.database.engine, cluster, action="dismissed", actor=ADMIN) == 3

    assert find_gaps(conversation_log.queries, advisor) == []
    assert dismissed_clusters(conversation_log.database.engine) == [cluster.id]
    newcomer = record(conversation_log, ZEPHYRIX[3], advisor.answer(ZEPHYRIX[3]))
    conversation_log.flush()
    [again] = find_gaps(conversation_log.queries, advisor)
    assert again.exchange_ids == (newcomer,) and again.id != cluster.id


def test_clusters_are_found_by_id_or_unique_prefix(conversation_log: ConversationLog,
                                                   shipped_live: LiveAdvisor) -> None:
    advisor = shipped_live.current
    for q in (*ZEPHYRIX, "where is the printer"):
        record(conversation_log, q, advisor.answer(q))
    conversation_log.flush()
    clusters = find_gaps(conversation_log.queries, advisor)

    assert find_cluster(clusters, clusters[0].id) is clusters[0]
    assert find_cluster(clusters, clusters[1].id[:6].upper()) is clusters[1]
    with pytest.raises(GapNotFound, match="list them again"):
        find_cluster(clusters, "ffffffffffff")
    with pytest.raises(GapNotFound):
        find_cluster(clusters, clusters[0].id[:2])  # too short to be a prefix


GAP_GROUPS = Path(__file__).parents[1] / "data" / "gap_groups.yaml"


def test_varied_phrasings_of_one_problem_group_far_better_by_meaning_than_by_words(
        shipped_advisor) -> None:
    # Given labelled gap questions: 37 problems, each asked 8-10 ways, and inbox noise
    data = yaml.safe_load(GAP_GROUPS.read_text(encoding="utf-8"))
    texts = [q for g in data["groups"] for q in g["questions"]] + list(data["noise"])
    labels = [g["group"] for g in data["groups"] for _ in g["questions"]] + \
        [f"noise-{i}" for i in range(len(data["noise"]))]

    def ari(vectorize, threshold: float) -> float:
        pred = [0] * len(texts)
        for n, c in enumerate(cluster_texts(texts, min_similarity=threshold, vectorize=vectorize)):
            for i in c.members:
                pred[i] = n
        return adjusted_rand_score(labels, pred)

    # When they are grouped as the inbox groups them, and as it grouped them before
    by_meaning = ari(shipped_advisor.matcher.meaning, MIN_SIMILARITY)
    by_words = ari(shipped_advisor.matcher.transform, 0.3)
    # Then grouping by meaning agrees with the labels several times better
    assert by_meaning >= 0.3 and by_meaning >= 4 * by_words


def test_the_report_groups_unanswered_questions_as_the_gaps_inbox_does(
        conversation_log: ConversationLog, shipped_live: LiveAdvisor) -> None:
    # Given unanswered questions in the log
    advisor = shipped_live.current
    for q in (*ZEPHYRIX, "where is the printer on floor 3"):
        record(conversation_log, q, advisor.answer(q))
    conversation_log.flush()
    # When the gaps inbox and the report group them
    clusters = find_gaps(conversation_log.queries, advisor)
    now = dt.datetime.now(dt.UTC)
    report = conversation_log.queries.report(since=now - dt.timedelta(days=1),
                                             until=now + dt.timedelta(minutes=1),
                                             cluster=grouping(advisor))
    # Then they show the same groups
    assert sorted((g.count, g.example) for g in report.unanswered) == \
        sorted((c.size, c.representative.question) for c in clusters)
    assert [g.count for g in report.unanswered] == [4, 1]


def test_plain_out_of_scope_clusters_are_kept_after_the_real_gaps(
        conversation_log: ConversationLog, shipped_live: LiveAdvisor) -> None:
    # Given a real gap (a tool the base has never heard of) among small talk and helpdesk noise
    advisor = shipped_live.current
    noise = ("where is the printer on floor 3", "what's for lunch today", "tell me a joke")
    for q in (*noise, *ZEPHYRIX):
        record(conversation_log, q, advisor.answer(q))
    conversation_log.flush()
    # When the inbox is read
    clusters = find_gaps(conversation_log.queries, advisor)
    # Then the real gap comes first and the noise is marked to be kept apart
    assert not clusters[0].noise and sorted(clusters[0].situations) == sorted(ZEPHYRIX)
    assert all(c.noise for c in clusters[1:])
    assert sorted(q for c in clusters[1:] for q in c.situations) == sorted(noise)
    assert clusters[1].to_json()["noise"] is True
