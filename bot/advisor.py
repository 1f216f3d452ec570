"""The advisor: knowledge base + topic model + entry ranker → `Answer`."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from bot.answer import Answer, Recommendation, TopicScore
from bot.cleaning import clean_question, has_words
from classifiers.persist import ModelMismatchError, load_model, save_model
from classifiers.ranker import EntryRanker
from classifiers.topic import NONE_LABEL, Params, Prediction, TopicClassifier
from knowledge import KnowledgeBase, load_knowledge_base

log = logging.getLogger(__name__)

TOP_ENTRIES = 3
BATCH_CHUNK = 2000


def training_data(kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    """(texts, labels): every situation labelled by its topic, plus out-of-scope examples."""
    texts: list[str] = []
    labels: list[str] = []
    for entry in kb.entries:
        texts.extend(entry.situations)
        labels.extend([entry.topic] * len(entry.situations))
    texts.extend(kb.out_of_scope)
    labels.extend([NONE_LABEL] * len(kb.out_of_scope))
    return texts, labels


class Advisor:
    """Answers questions from one knowledge base; immutable once built, safe across threads."""

    def __init__(self, kb: KnowledgeBase, classifier: TopicClassifier, ranker: EntryRanker):
        self.kb = kb
        self.classifier = classifier
        self.ranker = ranker
        key = json.dumps([kb.version, classifier.params.as_dict()], sort_keys=True, default=str)
        self.model_version = hashlib.sha256(key.encode()).hexdigest()[:12]

    @classmethod
    def from_knowledge_base(cls, kb: KnowledgeBase, params: Params | None = None) -> Advisor:
        """Train the topic model and the entry ranker on `kb` (well under a second)."""
        texts, labels = training_data(kb)
        classifier = TopicClassifier(params).fit(texts, labels)
        return cls(kb, classifier, _fit_ranker(kb, classifier))

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
        expect = {"params": Params().as_dict()}
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
        if isinstance(saved, TopicClassifier):  # a model saved without its ranker
            return cls(kb, saved, _fit_ranker(kb, saved))
        if not (isinstance(saved, dict) and isinstance(saved.get("classifier"), TopicClassifier)
                and isinstance(saved.get("ranker"), EntryRanker)):
            raise ModelMismatchError("the model file does not hold a topic model and entry ranker")
        return cls(kb, saved["classifier"], saved["ranker"])

    def save(self, path: Path) -> None:
        """Persist the topic model and entry ranker with the metadata `load` checks."""
        save_model(path, {"classifier": self.classifier, "ranker": self.ranker},
                   kb_version=self.kb.version, extra={"params": self.classifier.params.as_dict()})

    def answer(self, text: str) -> Answer:
        """Answer one question."""
        return self._answer_chunk([clean_question(text)])[0]

    def answer_many(self, texts: Iterable[str], *, chunk: int = BATCH_CHUNK) -> Iterator[Answer]:
        """Answer many questions in order, vectorised in chunks; streams as it goes."""
        buffer: list[str] = []
        for text in texts:
            buffer.append(clean_question(text))
            if len(buffer) >= chunk:
                yield from self._answer_chunk(buffer)
                buffer = []
        if buffer:
            yield from self._answer_chunk(buffer)

    def answer_in_topic(self, text: str, topic_id: str) -> Answer:
        """Re-answer within a topic the user chose (from the ambiguous options)."""
        question = clean_question(text)
        topic = self.kb.topic(topic_id)
        x = self.classifier.transform([question])
        prediction = self.classifier.decide(self.classifier.proba(x)[0])
        probability = dict(prediction.ranked).get(topic_id, 0.0)
        ranked = self.ranker.rank(topic_id, x, top=TOP_ENTRIES)[0]
        return Answer(
            question=question,
            topic=topic,
            confidence=probability,
            ambiguous=False,
            alternatives=self._alternatives(prediction, exclude=topic_id),
            recommendations=tuple(
                Recommendation(self.kb.entries_by_id[r.key], r.score) for r in ranked
            ),
            kb_version=self.kb.version,
            model_version=self.model_version,
            forced_topic=True,
        )

    def _answer_chunk(self, questions: Sequence[str]) -> list[Answer]:
        answerable = [i for i, q in enumerate(questions) if has_words(q)]
        answers: list[Answer | None] = [None] * len(questions)
        if answerable:
            x = self.classifier.transform([questions[i] for i in answerable])
            predictions = self.classifier.decide_many(self.classifier.proba(x))
            by_topic: dict[str, list[int]] = {}
            for row, p in enumerate(predictions):
                if p.label is not None:
                    by_topic.setdefault(p.label, []).append(row)
            ranked: dict[int, list] = {}
            for topic, rows in by_topic.items():
                for row, items in zip(rows, self.ranker.rank(topic, x[rows], top=TOP_ENTRIES),
                                      strict=True):
                    ranked[row] = items
            for row, (i, p) in enumerate(zip(answerable, predictions, strict=True)):
                answers[i] = self._build(questions[i], p, ranked.get(row, []))
        for i, q in enumerate(questions):
            if answers[i] is None:
                answers[i] = self._empty(q)
        return answers  # type: ignore[return-value]

    def _alternatives(self, p: Prediction, *, exclude: str | None) -> tuple[TopicScore, ...]:
        others = [(t, c) for t, c in p.ranked if t != exclude][:2]
        return tuple(TopicScore(self.kb.topic(t), c) for t, c in others)

    def _build(self, question: str, p: Prediction, ranked: list) -> Answer:
        return Answer(
            question=question,
            topic=self.kb.topic(p.label) if p.label else None,
            confidence=p.confidence,
            ambiguous=p.ambiguous,
            alternatives=self._alternatives(p, exclude=p.label),
            recommendations=tuple(
                Recommendation(self.kb.entries_by_id[r.key], r.score) for r in ranked
            ),
            kb_version=self.kb.version,
            model_version=self.model_version,
            out_of_scope=p.out_of_scope,
        )

    def _empty(self, question: str) -> Answer:
        return Answer(question, None, 0.0, False, (), (), self.kb.version, self.model_version,
                      out_of_scope=True)


def _fit_ranker(kb: KnowledgeBase, classifier: TopicClassifier) -> EntryRanker:
    items = [
        (e.id, e.topic, [*e.situations, f"{e.title}. {e.summary}"]) for e in kb.entries
    ]
    return EntryRanker().fit(items, classifier.transform)
