"""The advisor: knowledge base + matching model → `Answer`."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from bot.answer import LOW_CONFIDENCE, Answer, Option, Recommendation, TopicScore
from bot.cleaning import has_words, prepare_question
from classifiers.matcher import Match, Matcher, ModelParams, TrainingSet
from classifiers.persist import ModelMismatchError, load_model, save_model
from classifiers.policy import NONE_LABEL, Prediction
from classifiers.ranker import RankedItem, RankerItem
from knowledge import Entry, KnowledgeBase, load_knowledge_base

log = logging.getLogger(__name__)

TOP_ENTRIES = 3
CANDIDATES = 12
"""Entries ranked per question: the top three are recommended, the rest find each option's
best strategy when the advisor asks the user to choose."""
MAX_OPTIONS = 3
OPTION_MIN_CONFIDENCE = 0.05
BATCH_CHUNK = 2000

CURATED_TEXT_WEIGHT = 0.5
"""Weight of an entry's title, summary, actions and pitfalls as topic training text, where
a situation counts 1: they are written as advice, not as questions (`python bench/ranking.py`)."""
VOCABULARY_WEIGHT = 0.5
"""Weight of each vocabulary term and topic description as topic training text."""

TERM_MIN_IDF = 3.0
"""Words this common or more (roughly: in more than one text in twelve) never count as a
matched term in "why it fits"."""
MAX_TERMS = 3


def curated_texts(entry: Entry) -> list[str]:
    """An entry's curated text other than its situations."""
    return [entry.title, entry.summary, *entry.actions, *entry.pitfalls]


def training_data(kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    """(texts, labels) of the situations and out-of-scope examples: what people ask."""
    texts: list[str] = []
    labels: list[str] = []
    for entry in kb.entries:
        texts.extend(entry.situations)
        labels.extend([entry.topic] * len(entry.situations))
    texts.extend(kb.out_of_scope)
    labels.extend([NONE_LABEL] * len(kb.out_of_scope))
    return texts, labels


def training_set(kb: KnowledgeBase, *, held_out: frozenset[str] = frozenset()) -> TrainingSet:
    """Everything the matching model learns from `kb`: every piece of curated text.

    Situations and out-of-scope examples in `held_out` are left out (cross-validation
    tests on them); titles, summaries, actions, pitfalls, descriptions and vocabulary count
    too, with the weights above.
    """
    texts: list[str] = []
    labels: list[str] = []
    weights: list[float] = []

    def add(items: Iterable[str], label: str, weight: float) -> None:
        for text in items:
            texts.append(text)
            labels.append(label)
            weights.append(weight)

    for topic in kb.topics:
        for entry in topic.entries:
            add((s for s in entry.situations if s not in held_out), topic.id, 1.0)
            add(curated_texts(entry), topic.id, CURATED_TEXT_WEIGHT)
        add([topic.title, topic.description, *topic.vocabulary], topic.id, VOCABULARY_WEIGHT)
    add((s for s in kb.out_of_scope if s not in held_out), NONE_LABEL, 1.0)
    items = [RankerItem(e.id, e.topic, [s for s in e.situations if s not in held_out],
                        curated_texts(e)) for e in kb.entries]
    return TrainingSet(texts, labels, items, weights)


class Advisor:
    """Answers questions from one knowledge base; immutable once built, safe across threads."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher):
        self.kb = kb
        self.matcher = matcher
        key = json.dumps([kb.version, matcher.params.as_dict()], sort_keys=True, default=str)
        self.model_version = hashlib.sha256(key.encode()).hexdigest()[:12]
        self._tokens = matcher.featurizer.word_block.tokens
        self._idf = matcher.featurizer.content_words
        self._entry_words: dict[str, frozenset[str]] = {}

    @classmethod
    def from_knowledge_base(cls, kb: KnowledgeBase, params: ModelParams | None = None) -> Advisor:
        """Train the matching model on `kb` (a second or two for the shipped base)."""
        return cls(kb, Matcher(params).fit(training_set(kb)))

    @classmethod
    def load(
        cls,
        kb_path: Path | str | None = None,
        *,
        model_path: Path | None = None,
        cache_dir: Path | None = None,
    ) -> Advisor:
        """Load the knowledge base, then a model: from `model_path` (refused on mismatch),
        from `cache_dir` when a cached one matches this base and these libraries, or trained.
        """
        kb = load_knowledge_base(kb_path)
        expect = {"params": ModelParams().as_dict()}
        if model_path is not None:
            return cls._from_saved(kb, load_model(model_path, kb_version=kb.version, expect=expect)[0])
        if cache_dir is None:
            return cls.from_knowledge_base(kb)
        cached = Path(cache_dir) / f"model-{kb.version}.pkl"
        if cached.exists():
            try:
                return cls._from_saved(kb, load_model(cached, kb_version=kb.version, expect=expect)[0])
            except ModelMismatchError:
                log.info("cached model %s does not match; retraining", cached)
        advisor = cls.from_knowledge_base(kb)
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            advisor.save(cached)
        except OSError:
            log.warning("could not cache the trained model in %s", cache_dir, exc_info=True)
        return advisor

    @classmethod
    def _from_saved(cls, kb: KnowledgeBase, saved: object) -> Advisor:
        if not isinstance(saved, Matcher) or not saved.is_fitted:
            raise ModelMismatchError("the model file does not hold a fitted matching model")
        return cls(kb, saved)

    def save(self, path: Path) -> None:
        """Persist the matching model with the metadata `load` checks."""
        save_model(path, self.matcher, kb_version=self.kb.version,
                   extra={"params": self.matcher.params.as_dict()})

    def answer(self, text: str) -> Answer:
        """Answer one question."""
        return self._answer_chunk([prepare_question(text)])[0][0]

    def answer_many(self, texts: Iterable[str], *, chunk: int = BATCH_CHUNK) -> Iterator[Answer]:
        """Answer many questions in order, vectorised in chunks; streams as it goes."""
        buffer: list[tuple[str, bool]] = []
        for text in texts:
            buffer.append(prepare_question(text))
            if len(buffer) >= chunk:
                yield from (a for a, _ in self._answer_chunk(buffer))
                buffer = []
        if buffer:
            yield from (a for a, _ in self._answer_chunk(buffer))

    def answer_ranked(self, texts: Sequence[str]) -> list[tuple[Answer, tuple[str, ...]]]:
        """Each answer with the ids of the `CANDIDATES` entries ranked for it, best first
        (evaluation reads past the three recommended); one matching pass for both."""
        return self._answer_chunk([prepare_question(t) for t in texts])

    def answer_in_topic(self, text: str, topic_id: str) -> Answer:
        """Re-answer within a topic the user chose (from the options offered)."""
        question, shortened = prepare_question(text)
        topic = self.kb.topic(topic_id)
        [m] = self.matcher.match([question], top=TOP_ENTRIES, only_group=topic_id)
        probability = dict(m.prediction.ranked).get(topic_id, 0.0)
        return Answer(
            question=question,
            topic=topic,
            confidence=probability,
            ambiguous=False,
            alternatives=self._alternatives(m.prediction, exclude=topic_id),
            recommendations=self._recommendations(question, m.entries[:TOP_ENTRIES]),
            kb_version=self.kb.version,
            model_version=self.model_version,
            forced_topic=True,
            shortened=shortened,
        )

    def _answer_chunk(self, prepared: Sequence[tuple[str, bool]]
                      ) -> list[tuple[Answer, tuple[str, ...]]]:
        """(answer, ranked entry ids) for each prepared question, in order."""
        answerable = [i for i, (q, _) in enumerate(prepared) if has_words(q)]
        out: list[tuple[Answer, tuple[str, ...]] | None] = [None] * len(prepared)
        matches = self.matcher.match([prepared[i][0] for i in answerable], top=CANDIDATES)
        for i, m in zip(answerable, matches, strict=True):
            out[i] = (self._build(*prepared[i], m), tuple(r.key for r in m.entries))
        for i, (q, shortened) in enumerate(prepared):
            if out[i] is None:
                out[i] = (Answer(q, None, 0.0, False, (), (), self.kb.version, self.model_version,
                                 out_of_scope=True, shortened=shortened), ())
        return out  # type: ignore[return-value]

    def _alternatives(self, p: Prediction, *, exclude: str | None) -> tuple[TopicScore, ...]:
        others = [(t, c) for t, c in p.ranked if t != exclude][: 2 if exclude else 3]
        return tuple(TopicScore(self.kb.topic(t), c) for t, c in others)

    def _build(self, question: str, shortened: bool, m: Match) -> Answer:
        p = m.prediction
        answered = p.label is not None
        return Answer(
            question=question,
            topic=self.kb.topic(p.label) if p.label else None,
            confidence=p.confidence,
            ambiguous=p.ambiguous,
            alternatives=self._alternatives(p, exclude=p.label),
            recommendations=self._recommendations(question, m.entries[:TOP_ENTRIES]) if answered
            else (),
            kb_version=self.kb.version,
            model_version=self.model_version,
            out_of_scope=p.out_of_scope,
            options=self._options(p, m.entries) if _should_ask(p) else (),
            shortened=shortened,
        )

    def _options(self, p: Prediction, ranked: Sequence[RankedItem]) -> tuple[Option, ...]:
        """The likeliest topics, each with its best-ranked strategy, to choose from."""
        best: dict[str, str] = {}
        for r in ranked:
            best.setdefault(r.group, r.key)
        picked = [(t, c) for t, c in p.ranked[:MAX_OPTIONS] if c >= OPTION_MIN_CONFIDENCE]
        if len(picked) < 2:
            picked = list(p.ranked[:2])
        entries = self.kb.entries_by_id
        return tuple(Option(self.kb.topic(t), c, entries.get(best.get(t, ""))) for t, c in picked)

    def _recommendations(self, question: str, ranked: Sequence[RankedItem]
                         ) -> tuple[Recommendation, ...]:
        entries = self.kb.entries_by_id
        telling = {w for w in self._tokens(question) if len(w) > 2 and not w.isdigit()
                   and self._idf.get(w, 0.0) >= TERM_MIN_IDF}
        out = []
        for r in ranked:
            entry = entries[r.key]
            closest = entry.situations[r.nearest] if 0 <= r.nearest < len(entry.situations) else ""
            out.append(Recommendation(entry, r.score, closest, self._terms(telling, entry)))
        return tuple(out)

    def _terms(self, telling: set[str], entry: Entry) -> tuple[str, ...]:
        """The question's most telling words (`telling`) that the entry's own text shares."""
        words = self._entry_words.get(entry.id)
        if words is None:
            words = frozenset(self._tokens(" ".join([*entry.situations, *curated_texts(entry)])))
            self._entry_words[entry.id] = words
        return tuple(sorted(telling & words, key=lambda w: (-self._idf[w], w))[:MAX_TERMS])


def _should_ask(p: Prediction) -> bool:
    """Unsure, a close call, or an answer below the low-confidence line: ask which topic."""
    return p.abstained == "unsure" or (p.label is not None
                                       and (p.ambiguous or p.confidence < LOW_CONFIDENCE))
