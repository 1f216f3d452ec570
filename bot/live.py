"""The live advisor: one serving `Advisor`, replaced atomically when the knowledge base changes.

`live.current` is a plain attribute: a request reads it once and keeps that advisor to the
end, so requests in flight finish on the old version while new ones get the new one. A
reload loads, validates and trains off to the side and swaps only on success; an invalid
knowledge base never goes live, and `live.status` keeps every error with file:line.

Reloads are triggered by `reload()` (synchronous), `reload_in_background()`, a file watcher
(`watch()`), or a signal (`request_reload_from_signal()`; the server process wires SIGHUP to
it in `bot/server_process.py`).
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.long_lived import freeze_long_lived
from knowledge.errors import KnowledgeBaseError, Problem

if TYPE_CHECKING:
    from bot.advisor import Advisor
    from bot.settings import Settings

log = logging.getLogger(__name__)

DEFAULT_WATCH_SECONDS = 2.0


@dataclass(frozen=True)
class ReloadResult:
    """What a load or reload did; `kb_version` and `model_version` are what now serves."""

    ok: bool
    kb_version: str
    model_version: str
    reason: str
    at: dt.datetime
    seconds: float = 0.0
    previous_version: str | None = None
    problems: tuple[Problem, ...] = ()
    loaded_at: dt.datetime | None = field(default=None, compare=False)

    @property
    def changed(self) -> bool:
        """True when this reload put a different knowledge-base version live."""
        return self.ok and self.previous_version is not None and self.previous_version != self.kb_version

    @property
    def errors(self) -> tuple[str, ...]:
        """Every error as `file:line: message`."""
        return tuple(str(p) for p in self.problems if p.severity == "error")

    def summary(self) -> str:
        """One line for a person: what is live now and whether the reload worked."""
        if not self.ok:
            return (f"reload failed with {len(self.errors)} error(s); still serving knowledge base "
                    f"{self.kb_version}")
        if self.changed:
            return f"now serving knowledge base {self.kb_version} (was {self.previous_version})"
        return f"serving knowledge base {self.kb_version} (unchanged)"

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "kb_version": self.kb_version,
            "model_version": self.model_version,
            "reason": self.reason,
            "at": self.at.isoformat(),
            "seconds": round(self.seconds, 3),
            "previous_version": self.previous_version,
            "errors": list(self.errors),
        }


class LiveAdvisor:
    """Holds the serving advisor; reloads it without stopping the service."""

    def __init__(
        self,
        advisor: Advisor,
        *,
        kb_path: Path | str | None = None,
        cache_dir: Path | None = None,
        build: Callable[[], Advisor] | None = None,
    ):
        now = _utcnow()
        self.current: Advisor = advisor
        self.kb_path = Path(kb_path) if kb_path else Path(advisor.kb.root) if advisor.kb.root else None
        self.cache_dir = cache_dir
        self.status = ReloadResult(True, advisor.kb.version, advisor.model_version, "start", now,
                                   loaded_at=now)
        self._build = build or self._default_build
        self._lock = threading.Lock()
        self._requests: queue.SimpleQueue[tuple[str, Future[ReloadResult] | None] | None] = (
            queue.SimpleQueue())
        self._worker: threading.Thread | None = None
        self._worker_lock = threading.Lock()
        self._watcher: KbWatcher | None = None

    @classmethod
    def load(cls, kb_path: Path | str | None = None, *, cache_dir: Path | None = None) -> LiveAdvisor:
        """Load the knowledge base and a model (raises `KnowledgeBaseError` if invalid)."""
        from bot.advisor import Advisor

        live = cls(Advisor.load(kb_path, cache_dir=cache_dir), kb_path=kb_path, cache_dir=cache_dir)
        freeze_long_lived()
        return live

    @classmethod
    def from_settings(cls, settings: Settings) -> LiveAdvisor:
        """The live advisor as configured: ADVISOR_KB_PATH, models cached in ADVISOR_DATA_DIR."""
        return cls.load(settings.advisor_kb_path, cache_dir=settings.advisor_data_dir / "models")

    # -- reloading --------------------------------------------------------------------------

    def reload(self, *, reason: str = "manual") -> ReloadResult:
        """Load, validate and train now, in this thread; swap only if all went well."""
        with self._lock:
            old = self.current
            started = time.perf_counter()
            try:
                advisor = self._build()
            except KnowledgeBaseError as exc:
                result = self._failed(old, reason, started, tuple(exc.problems))
                log.error("knowledge-base reload (%s) refused; still serving %s:\n%s",
                          reason, old.kb.version, "\n".join(result.errors))
                return result
            except Exception as exc:
                log.exception("knowledge-base reload (%s) failed; still serving %s",
                              reason, old.kb.version)
                where = str(self.kb_path or "knowledge base")
                problem = Problem(where, 0, f"reload failed: {type(exc).__name__}: {exc}")
                return self._failed(old, reason, started, (problem,))
            now = _utcnow()
            same = advisor.kb.version == old.kb.version and advisor.model_version == old.model_version
            if not same:
                self.current = advisor  # the swap: one attribute assignment
                freeze_long_lived()  # the old model is still freed, by reference counting
            loaded_at = self.status.loaded_at if same else now
            self.status = ReloadResult(
                True, self.current.kb.version, self.current.model_version, reason, now,
                time.perf_counter() - started, old.kb.version,
                tuple(Problem("", 0, w, "warning") for w in advisor.kb.warnings),
                loaded_at=loaded_at,
            )
            log.info("knowledge-base reload (%s): %s in %.2fs", reason, self.status.summary(),
                     self.status.seconds)
            return self.status

    def reload_in_background(
        self,
        *,
        reason: str = "background",
        on_done: Callable[[ReloadResult], Any] | None = None,
    ) -> Future[ReloadResult]:
        """Queue a reload on the reload thread; requests queued together share one reload."""
        future: Future[ReloadResult] = Future()
        if on_done is not None:
            future.add_done_callback(lambda f: on_done(f.result()))
        self.start_reload_thread()
        self._requests.put((reason, future))
        return future

    def watch(
        self,
        *,
        interval: float = DEFAULT_WATCH_SECONDS,
        on_change: Callable[[], Any] | None = None,
    ) -> KbWatcher:
        """Poll the knowledge-base files; a settled change triggers a background reload."""
        if self.kb_path is None:
            raise ValueError("this live advisor has no knowledge-base folder to watch")
        if self._watcher is not None:
            self._watcher.stop()
        trigger = on_change or (lambda: self.reload_in_background(reason="files changed"))
        self._watcher = KbWatcher(self.kb_path, trigger, interval=interval)
        self._watcher.start()
        return self._watcher

    def request_reload_from_signal(self, reason: str = "SIGHUP") -> None:
        """Queue a reload; safe inside a signal handler (a reentrant queue put, nothing else)."""
        self._requests.put((reason, None))

    def close(self) -> None:
        """Stop the watcher and the reload thread (a reload in progress finishes first)."""
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None
        worker = self._worker
        if worker is not None and worker.is_alive():
            self._requests.put(None)
            worker.join(timeout=60)
        self._worker = None

    def health(self) -> dict[str, Any]:
        """What /healthz and App Home show: the live versions and the last reload."""
        status = self.status
        return {
            "status": "ok",
            "kb_version": self.current.kb.version,
            "model_version": self.current.model_version,
            "kb_loaded_at": status.loaded_at.isoformat() if status.loaded_at else None,
            "last_reload": status.to_json(),
        }

    # -- internals --------------------------------------------------------------------------

    def _default_build(self) -> Advisor:
        from bot.advisor import Advisor
        from knowledge import load_knowledge_base

        kb = load_knowledge_base(self.kb_path)  # validates; raises with every error
        current = self.current
        if kb.version == current.kb.version:
            return current
        return Advisor.load(self.kb_path, cache_dir=self.cache_dir)

    def _failed(self, old: Advisor, reason: str, started: float,
                problems: tuple[Problem, ...]) -> ReloadResult:
        self.status = ReloadResult(False, old.kb.version, old.model_version, reason, _utcnow(),
                                   time.perf_counter() - started, old.kb.version, problems,
                                   loaded_at=self.status.loaded_at)
        return self.status

    def start_reload_thread(self) -> None:
        """Start the reload thread if it is not running (call before a signal can queue a reload)."""
        with self._worker_lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="kb-reload", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            batch = [self._requests.get()]
            with suppress(queue.Empty):
                while True:
                    batch.append(self._requests.get_nowait())
            requests = [r for r in batch if r is not None]
            if requests:
                reasons = ", ".join(dict.fromkeys(reason for reason, _ in requests))
                result = self.reload(reason=reasons)
                for _, future in requests:
                    if future is not None:
                        future.set_result(result)
            if None in batch:
                return


class KbWatcher:
    """Polls the modification time and size of `*.yaml` in a folder; debounced.

    A change fires `on_change` once the files have looked the same for one more poll, so a
    save in progress (or several files saved together) gives one reload.
    """

    def __init__(self, root: Path, on_change: Callable[[], Any], *,
                 interval: float = DEFAULT_WATCH_SECONDS):
        self.root = Path(root)
        self.on_change = on_change
        self.interval = interval
        self._seen = snapshot(self.root)
        self._pending: tuple[tuple[str, int, int], ...] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll(self) -> bool:
        """Look once; True when a settled change was found and `on_change` called."""
        now = snapshot(self.root)
        if now == self._seen:
            self._pending = None
            return False
        if now != self._pending:
            self._pending = now
            return False
        self._seen, self._pending = now, None
        self.on_change()
        return True

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="kb-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.poll()
            except Exception:
                log.exception("watching %s failed; trying again in %.1fs", self.root, self.interval)


def snapshot(root: Path) -> tuple[tuple[str, int, int], ...]:
    """(name, mtime_ns, size) of every `*.yaml` in `root`, sorted by name."""
    out = []
    for path in sorted(Path(root).glob("*.yaml")):
        with suppress(FileNotFoundError):
            st = path.stat()
            out.append((path.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
