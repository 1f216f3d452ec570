"""A fake Slack Web API on 127.0.0.1, for tests and the benchmark.

Records every call (method, arguments, time received) and answers like Slack does:
`auth.test` with the bot's ids (and, when `scopes` is set, the granted scopes in its
`x-oauth-scopes` header), `chat.postMessage` with a new ts, `response_url` posts with
"ok". For OAuth distribution, `install()` makes a grant code that `oauth.v2.access`
exchanges for a workspace's (or organisation's) own bot token; `auth.test` answers each
such token with its team's ids, and a revoked one with `invalid_auth`. Each call records
the token it came with. Tests can queue failures (HTTP status, Slack error, headers such as
`Retry-After`, delay) per method, optionally for one channel only, rate-limit a channel for
a while as Slack does (every call gets 429 until the window ends), and hold every call of a
method until released (a Slack that is slow for as long as a test needs).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

BOT_USER_ID = "UBOT0001"
BOT_ID = "BBOT0001"
TEAM_ID = "T0000001"


@dataclass
class Call:
    method: str  # Web API method, or "response_url"
    args: dict[str, Any]
    at: float  # time.monotonic() when received
    path: str = ""
    status: int = 200  # the HTTP status the fake answered
    when: float = field(default_factory=time.time)  # wall-clock time when received
    token: str | None = None  # the bearer token (or `token` argument) it came with


@dataclass
class Failure:
    status: int = 200
    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    channel: str | None = None  # only for calls to this channel


@dataclass(frozen=True)
class Installed:
    """One OAuth grant: what `oauth.v2.access` answers for its code."""

    team_id: str | None
    enterprise_id: str | None
    token: str
    bot_user_id: str
    is_enterprise_install: bool = False

    def access(self, app_id: str) -> dict[str, Any]:
        return {"ok": True, "app_id": app_id, "access_token": self.token, "token_type": "bot",
                "scope": "chat:write,commands", "bot_user_id": self.bot_user_id,
                "team": {"id": self.team_id, "name": f"Agency {self.team_id}"}
                if self.team_id else None,
                "enterprise": {"id": self.enterprise_id, "name": "Ministry"}
                if self.enterprise_id else None,
                "is_enterprise_install": self.is_enterprise_install,
                "authed_user": {"id": "UINSTALLER"}}

    def auth_test(self) -> dict[str, Any]:
        return {"ok": True, "user_id": self.bot_user_id, "bot_id": f"B{self.bot_user_id[1:]}",
                "team_id": self.team_id, "enterprise_id": self.enterprise_id,
                "is_enterprise_install": self.is_enterprise_install, "user": "advisor",
                "url": "https://test.slack.com/"}


@dataclass
class RateLimit:
    """Every call of `method` to `channel` gets 429 with `retry_after` until `until`."""

    method: str
    channel: str
    until: float  # time.monotonic()
    retry_after: str


class FakeSlack:
    """Start with `.start()`; `base_url` goes into SLACK_API_URL; `.stop()` when done."""

    def __init__(self, *, record: bool = True, on_call: Callable[[Call], None] | None = None,
                 keep_posts: bool = False):
        self.calls: list[Call] = []
        self.failures: dict[str, list[Failure]] = {}
        self.limits: list[RateLimit] = []
        self.holds: dict[str, threading.Event] = {}
        self.held: dict[str, int] = {}  # method -> calls waiting on its hold now
        self.replies: dict[str, list[dict[str, Any]]] = {}  # thread_ts -> messages
        self.history: dict[str, list[dict[str, Any]]] = {}  # channel -> top-level messages
        self.keep_posts = keep_posts  # posts show up in conversations.replies / .history
        self.record = record
        self.on_call = on_call
        self.ws_url = ""
        self.scopes: str | None = None  # auth.test's x-oauth-scopes header, when set
        self.grants: dict[str, Installed] = {}  # OAuth code -> installation
        self.tokens: dict[str, Installed] = {}  # bot token -> installation
        self.revoked: set[str] = set()
        self._ts = itertools.count(1)
        self._cond = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "r") -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._cond:
            self.calls.clear()
            self.failures.clear()
            self.limits.clear()
            self.replies.clear()
            for gate in self.holds.values():
                gate.set()
            self.holds.clear()
            self.history.clear()

    def fail(self, method: str, *failures: Failure) -> None:
        """The next calls of `method` get these answers, in order."""
        with self._cond:
            self.failures.setdefault(method, []).extend(failures)

    def rate_limit(self, channel: str, seconds: float, *, retry_after: str,
                   method: str = "chat.postMessage") -> None:
        """For `seconds` from now, answer every `method` call to `channel` with 429."""
        with self._cond:
            self.limits.append(RateLimit(method, channel, time.monotonic() + seconds,
                                         retry_after))

    def hold(self, method: str) -> None:
        """From now on, calls of `method` wait (unanswered) until `release(method)`."""
        with self._cond:
            self.holds[method] = threading.Event()

    def release(self, method: str) -> None:
        with self._cond:
            gate = self.holds.pop(method, None)
        if gate is not None:
            gate.set()

    def wait_held(self, method: str, count: int, *, timeout: float = 15.0) -> None:
        """Block until `count` calls of `method` wait on its hold."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.held.get(method, 0) >= count, timeout):
                raise AssertionError(f"expected {count} held {method} call(s), "
                                     f"got {self.held.get(method, 0)}")

    def _wait_on_hold(self, method: str) -> None:
        with self._cond:
            gate = self.holds.get(method)
            if gate is None:
                return
            self.held[method] = self.held.get(method, 0) + 1
            self._cond.notify_all()
        gate.wait(60)
        with self._cond:
            self.held[method] -= 1

    def install(self, team_id: str | None, *, enterprise_id: str | None = None,
                is_enterprise_install: bool = False) -> tuple[str, Installed]:
        """A grant code for `oauth.v2.access`, and the installation it yields."""
        key = team_id or enterprise_id or "X"
        installed = Installed(team_id, enterprise_id, f"xoxb-{key.lower()}-{next(self._ts)}",
                              f"UBOT{key}", is_enterprise_install)
        code = f"code-{key}-{next(self._ts)}"
        with self._cond:
            self.grants[code] = installed
            self.tokens[installed.token] = installed
        return code, installed

    def revoke(self, token: str) -> None:
        """From now on Slack refuses `token` (`invalid_auth`), as after an uninstall."""
        with self._cond:
            self.revoked.add(token)

    def calls_of(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, *, timeout: float = 15.0,
                 where: Callable[[Call], bool] | None = None) -> list[Call]:
        """Block until `count` matching calls arrived; raise AssertionError otherwise."""
        def found() -> list[Call]:
            return [c for c in self.calls
                    if c.method == method and (where is None or where(c))]
        with self._cond:
            if not self._cond.wait_for(lambda: len(found()) >= count, timeout=timeout):
                raise AssertionError(f"expected {count} {method} call(s), got {len(found())}: "
                                     f"{[c.method for c in self.calls]}")
            return found()

    # -- HTTP -------------------------------------------------------------------------------

    def _answer(self, call: Call) -> tuple[int, dict[str, str], dict[str, Any] | str]:
        self._wait_on_hold(call.method)
        channel = call.args.get("channel")
        with self._cond:
            limit = next((lim for lim in self.limits if lim.method == call.method
                          and lim.channel == channel and call.at < lim.until), None)
            queue = self.failures.get(call.method) or []
            failure = next((f for f in queue if f.channel in (None, channel)), None)
            if failure and not limit:
                queue.remove(failure)
        if limit:
            return 429, {"Retry-After": limit.retry_after}, {"ok": False, "error": "ratelimited"}
        if failure:
            if failure.delay:
                time.sleep(failure.delay)
            if failure.status != 200 or failure.error:
                return failure.status, failure.headers, {"ok": False,
                                                         "error": failure.error or "failed"}
        if call.method == "response_url":
            return 200, {}, "ok"
        if call.token in self.revoked:
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        body: dict[str, Any] = {"ok": True}
        if call.method == "oauth.v2.access":
            with self._cond:
                grant = self.grants.pop(str(call.args.get("code")), None)
            return 200, {}, grant.access("A0000001") if grant else {"ok": False,
                                                                    "error": "invalid_code"}
        if call.method == "auth.test" and call.token in self.tokens:
            body = self.tokens[call.token].auth_test()
        elif call.method == "auth.test":
            body |= {"user_id": BOT_USER_ID, "bot_id": BOT_ID, "team_id": TEAM_ID,
                     "user": "advisor", "team": "Test Gov", "url": "https://test.slack.com/"}
            if self.scopes is not None:
                return 200, {"x-oauth-scopes": self.scopes}, body
        elif call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            body |= {"channel": call.args.get("channel"), "ts": f"{9000000000 + next(self._ts)}.000100",
                     "message": {"text": call.args.get("text", "")}}
            if self.keep_posts and call.method == "chat.postMessage":
                self._keep(call.args, body["ts"])
        elif call.method == "conversations.history":
            with self._cond:
                body |= {"messages": list(self.history.get(str(call.args.get("channel")), [])),
                         "has_more": False}
        elif call.method == "conversations.replies":
            body |= {"messages": self.replies.get(str(call.args.get("ts")), []),
                     "has_more": False}
        elif call.method == "apps.connections.open":
            body |= {"url": self.ws_url}
        elif call.method in ("views.publish", "views.open"):
            body |= {"view": {"id": "V1", **(call.args.get("view") or {})}}
        return 200, {}, body

    def _keep(self, args: dict[str, Any], ts: str) -> None:
        """File a post where Slack would show it: in its thread, or in the channel."""
        metadata = args.get("metadata")
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts,
                   "text": args.get("text", ""), "blocks": args.get("blocks") or [],
                   "metadata": json.loads(metadata) if isinstance(metadata, str) else metadata}
        with self._cond:
            if args.get("thread_ts"):
                self.replies.setdefault(str(args["thread_ts"]), []).append(message)
            else:
                self.history.setdefault(str(args.get("channel")), []).append(message)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                url = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                args: dict[str, Any] = dict(parse_qsl(url.query))
                kind = self.headers.get("Content-Type", "")
                if raw and "json" in kind:
                    args |= json.loads(raw)
                elif raw:
                    args |= dict(parse_qsl(raw.decode()))
                for key in ("blocks", "view", "prompts", "metadata"):
                    if isinstance(args.get(key), str):
                        args[key] = json.loads(args[key])
                if url.path.startswith("/respond/"):
                    method = "response_url"
                else:
                    method = url.path.removeprefix("/api/")
                bearer = self.headers.get("Authorization", "")
                token = bearer.removeprefix("Bearer ") if bearer.startswith("Bearer ") else None
                call = Call(method, args, time.monotonic(), url.path,
                            token=token or args.get("token"))
                status, headers, body = fake._answer(call)
                call.status = status
                if fake.record:
                    with fake._cond:
                        fake.calls.append(call)
                        fake._cond.notify_all()
                if fake.on_call:
                    fake.on_call(call)
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                ctype = "text/plain" if isinstance(body, str) else "application/json"
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_POST = _handle
            do_GET = _handle

        return Handler
