"""What tests build, in one place: answers and entries, conversation logs, and servers.

- `make_answer` / `entry`: an `Answer` as the advisor gives it, for cases the model would not
  produce on demand; bare topics and entries by default, or those of a real `kb`.
- `make_log`: a `ConversationLog` with the tests' secret and a short flush interval.
- `free_port` / `Server`: a free port on 127.0.0.1, and the real production server
  (`python -m bot.slack.cli`, gunicorn) as a subprocess, for tests and bench.
"""

from __future__ import annotations

import datetime as dt
import html
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from bot.answer import Answer, Option, Recommendation, TopicScore
from knowledge.models import Entry, KnowledgeBase, Topic

if TYPE_CHECKING:
    from bot.log import ConversationLog

ROOT = Path(__file__).resolve().parents[1]
"""The repository's root: where `python -m bot…` runs from."""

# -- answers ----------------------------------------------------------------------------------

TOPIC = Topic("communication", "Communication", "Talking about change.", ())
OTHER = Topic("training-skills", "Training and skills", "Learning.", ())
ENTRIES = ("comm-town-halls", "comm-faq")
"""The recommendations of an answer in a bare topic, unless a test names others."""


def entry(entry_id: str, topic: str = "communication") -> Entry:
    """A bare entry: the fields the schema needs, nothing a test looks at."""
    return Entry(id=entry_id, topic=topic, title=entry_id.title(), summary="s", situations=(),
                 actions=("a",), sources=(), owner="o", last_reviewed=dt.date(2025, 1, 1),
                 review_every_days=365)


def make_answer(
    topic: Topic | str | None = TOPIC,
    *,
    question: str = "q",
    confidence: float = 0.8,
    ambiguous: bool = False,
    entries: Sequence[str | Entry] | None = None,
    terms: tuple[str, ...] = (),
    out_of_scope: bool | None = None,
    options: tuple[Option, ...] = (),
    shortened: bool = False,
    kb: KnowledgeBase | None = None,
) -> Answer:
    """An answer in `topic` (a `Topic`, a topic id, or None: abstained).

    Without `kb`, a topic id is a bare topic of that name and `entries` (ids) bare entries
    (`ENTRIES` by default). With `kb`, topics and entry ids are the base's, and the default
    recommendations are the topic's first three entries, each with its first situation as the
    closest. An abstention is out of scope unless `out_of_scope=False` (unsure); an ambiguous
    answer has `OTHER` (or the base's topic of that id) as its runner-up.
    """
    if kb is not None and topic is not None:
        topic = kb.topic(topic if isinstance(topic, str) else topic.id)
    elif isinstance(topic, str):
        topic = Topic(topic, topic, "", ())
    if entries is None:
        entries = () if topic is None else topic.entries[:3] if kb is not None else ENTRIES
    chosen = [_entry(e, topic, kb) for e in entries]
    recommendations = tuple(
        Recommendation(e, 0.5, e.situations[0] if e.situations else "", terms) for e in chosen)
    runner_up = kb.topic(OTHER.id) if kb is not None else OTHER
    return Answer(
        question=question,
        topic=topic,
        confidence=confidence,
        ambiguous=ambiguous,
        alternatives=(TopicScore(runner_up, 0.3),) if ambiguous else (),
        recommendations=recommendations,
        kb_version=kb.version if kb is not None else "kb-1",
        model_version="model-1",
        out_of_scope=topic is None if out_of_scope is None else out_of_scope,
        options=options,
        shortened=shortened,
    )


def _entry(value: str | Entry, topic: Topic | None, kb: KnowledgeBase | None) -> Entry:
    if isinstance(value, Entry):
        return value
    if kb is not None:
        return kb.entries_by_id[value]
    return entry(value, topic.id if topic else "communication")


# -- conversation logs ------------------------------------------------------------------------

HMAC_SECRET = "test-secret"


def make_log(data_dir: Path, database_url: str | None = None, **options: Any) -> ConversationLog:
    """A conversation log in `data_dir` (SQLite there unless `database_url`), not started;
    `options` override the tests' secret, the short flush interval, or any other argument."""
    from bot.log import ConversationLog

    arguments: dict[str, Any] = {"hmac_secret": HMAC_SECRET, "flush_interval": 0.02, **options}
    return ConversationLog(database_url=database_url, data_dir=Path(data_dir), **arguments)


# -- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`advisor serve` as a subprocess on 127.0.0.1; its log goes to `log_path`."""

    def __init__(self, env: dict[str, str], *, workers: int = 2, log_path: Path,
                 args: tuple[str, ...] = ()):
        self.port = free_port()
        self.log_path = log_path
        self.env = {**os.environ, **env}
        self.cmd = [sys.executable, "-m", "bot.slack.cli", "--host", "127.0.0.1",
                    "--port", str(self.port), "--workers", str(workers), *args]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60.0) -> Server:
        self._log = open(self.log_path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(self.cmd, env=self.env, cwd=ROOT, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-3000:]}")
            try:
                status, _ = self.request("GET", "/healthz")
                if status == 200 and self.log().count("Booting worker") >= 1:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, count: int = 1, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while self.log().count(text) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not logged {count} time(s): {self.log()[-2000:]}")
            time.sleep(0.05)

    def request(self, method: str, path: str, body: str = "",
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body.encode(), headers=headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def install(self, code: str) -> tuple[int, dict[str, list[str]]]:
        """What a workspace admin does with OAuth distribution: open /slack/install, follow
        its Add to Slack link (to Slack, which answers with `code`), land on the redirect.
        Returns the redirect's status and the link's query (client_id, scope, state…)."""
        status, page = self.request("GET", "/slack/install")
        assert status == 200, page[:300]
        link = re.search(rb'href="([^"]*oauth/v2/authorize[^"]*)"', page)
        assert link is not None, page[:300]
        query = parse_qs(urlsplit(html.unescape(link[1].decode())).query)
        state = query["state"][0]
        status, _ = self.request("GET", f"/slack/oauth_redirect?code={code}&state={state}",
                                 headers={"Cookie": f"slack-app-oauth-state={state}"})
        return status, query

    def post(self, body: str, headers: dict[str, str]) -> tuple[int, Any]:
        return self.request("POST", "/slack/events", body, headers)

    def post_raw(self, body: bytes, headers: list[tuple[str, str]]) -> tuple[int, bytes]:
        """POST bytes as they are, with headers in order (a name may repeat)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest("POST", "/slack/events")
            for name, value in [*headers, ("Content-Length", str(len(body)))]:
                conn.putheader(name, value.encode("latin-1"))
            conn.endheaders(body)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


def scenario_env(*, slack_api_url: str, kb_dir: Path, data: Path, secret: str) -> dict[str, str]:
    """The environment of a test server: a fake Slack, a test base, a SQLite log in `data`."""
    return {
        "SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": slack_api_url, "SLACK_API_TIMEOUT": "1",
        "DATABASE_URL": f"sqlite:///{data}/log.db", "ADVISOR_DATA_DIR": str(data),
        "ADVISOR_KB_PATH": str(kb_dir), "ADVISOR_ADMINS": "UADMIN0001",
        "LOG_HMAC_SECRET": "scenario-secret",
    }


def seed_model_cache(data_dir: Path, model: Path) -> Path:
    """Put `model` in `data_dir`'s model cache, as if the advisor had run there before: a
    test of the shipped base then loads it instead of training again. Returns `data_dir`."""
    models = data_dir / "models"
    models.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(model, models / model.name)
    return data_dir
