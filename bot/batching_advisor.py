"""Answer questions in small batches on one thread: the same answers, far less overhead.

scikit-learn spends most of a single prediction on per-call checks; under load, the
questions that queue up while a batch is computed are answered together by
`Advisor.answer_many`, so throughput rises as load does while a lone question waits
for nothing.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TYPE_CHECKING

from bot.answer import Answer
from bot.thread_priority import yield_cpu

if TYPE_CHECKING:
    from bot.advisor import Advisor
    from knowledge.models import KnowledgeBase

MAX_BATCH = 64


class BatchingAdvisor:
    """Serves `answer()` from a batching thread; `current` gives the advisor to use
    (e.g. `lambda: live.current`, so a reloaded knowledge base applies to the next batch)."""

    def __init__(self, current: Callable[[], Advisor], *, max_batch: int = MAX_BATCH):
        self.current = current
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[str, Future[Answer]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="advisor-batcher", daemon=True)
        self._thread.start()

    def answer(self, text: str) -> Answer:
        future: Future[Answer] = Future()
        self._queue.put((text, future))
        return future.result()

    @property
    def kb(self) -> KnowledgeBase:
        return self.current().kb

    @property
    def model_version(self) -> str:
        return self.current().model_version

    def answer_in_topic(self, text: str, topic_id: str) -> Answer:
        return self.current().answer_in_topic(text, topic_id)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _run(self) -> None:
        yield_cpu()  # a batch is the heaviest work: it must not delay acknowledgements
        with _lean_sklearn():
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
                while len(batch) < self.max_batch:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        self._queue.put(None)
                        break
                    batch.append(item)
                self._answer(batch)

    def _answer(self, batch: list[tuple[str, Future[Answer]]]) -> None:
        try:
            answers = list(self.current().answer_many([text for text, _ in batch]))
        except Exception as exc:  # handed to every waiting listener, which logs and tells
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), answer in zip(batch, answers, strict=True):
            future.set_result(answer)


def _lean_sklearn() -> contextlib.AbstractContextManager[object]:
    """Skip scikit-learn's per-call checks in this thread, if the model uses scikit-learn at
    all (a model loaded from disk may not: then nothing is imported for it)."""
    if "sklearn" not in sys.modules:
        return contextlib.nullcontext()
    from sklearn import config_context

    # Inputs are our own TF-IDF matrices: finite, and the parameters are fixed in code.
    return config_context(assume_finite=True, skip_parameter_validation=True)
