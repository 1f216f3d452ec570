"""The gate in front of Bolt on `POST /slack/events`: bound the body, verify it, then parse it.

Nothing in a request is decoded beyond UTF-8 or parsed before its signature is checked
(slack_sdk's `SignatureVerifier`, the one Bolt uses), so a forged body costs one HMAC. Every
refusal is one log line with the status, the reason and the size: never the body or headers.

- 413: more than `MAX_BODY` bytes (a `Content-Length` above it is refused, its body read and
  dropped up to `DRAIN_AT_MOST`, unread beyond);
- 401: no or malformed timestamp or signature, a stale timestamp, a wrong signature;
- 400: a body that is not UTF-8, or signed but not a Slack payload (not JSON or a form, not
  an object, nested deeper than `MAX_DEPTH`, containers of the wrong kind: `inbound.py`).

Bolt's own `RequestVerification` still runs behind the gate. With `events`, an Events API
delivery that passes is handed to it (a bounded queue: `event_queue.py`) and acknowledged
with 200 at once; everything else goes to Bolt in the request's thread.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.adapter.wsgi.http_response import WsgiHttpResponse
from slack_bolt.request import BoltRequest
from slack_bolt.request import payload_utils as bolt
from slack_sdk.signature import SignatureVerifier

from bot.slack.inbound import envelope_problem

MAX_BODY = 1024 * 1024
DRAIN_AT_MOST = 8 * MAX_BODY
"""A body declared too large but at most this long is read (and dropped) before the 413:
the client then reads the answer instead of a reset connection. A longer one is refused
unread."""
"""Bytes; Slack's largest payloads (a modal's state, a message's blocks) are far smaller."""
MAX_DEPTH = 64
"""Nesting of objects and arrays; Slack's payloads stay within about 15."""
MAX_SKEW = 300
"""Seconds a timestamp may be from now (slack_sdk's replay window); used for the reason only."""
BOLT_READERS = (bolt.to_event, bolt.to_message, bolt.to_action, bolt.to_view, bolt.to_command,
                bolt.to_options, bolt.to_shortcut, bolt.to_step, bolt.is_assistant_event)
"""The payload accessors Bolt calls for every middleware and listener (its `kwargs`)."""
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_READ_CHUNK = 64 * 1024

logger = logging.getLogger("bot.slack.gate")


@dataclass(frozen=True)
class Refused(Exception):
    """Why a request was turned away, and with which HTTP status."""

    status: int
    reason: str


class SlackGate:
    """A WSGI app for `POST /slack/events`: refuses what is not Slack's, then asks Bolt."""

    def __init__(self, app: App, *, signing_secret: str, max_body: int = MAX_BODY,
                 max_depth: int = MAX_DEPTH,
                 events: Callable[[BoltRequest], object] | None = None):
        self.app = app
        self.events = events
        self.verifier = SignatureVerifier(signing_secret)
        self.max_body = max_body
        self.max_depth = max_depth

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        size = 0
        try:
            raw = read_body(environ, self.max_body)
            size = len(raw)
            wsgi = WsgiHttpRequest(environ)
            headers = wsgi.get_headers()
            text = verified_text(raw, headers, self.verifier)
            request = parse(text, headers, wsgi.query_string, max_depth=self.max_depth)
        except Refused as refusal:
            logger.info("refused a request to /slack/events: %d %s (%.20s bytes)",
                        refusal.status, refusal.reason,
                        size or environ.get("CONTENT_LENGTH") or 0)
            error = "invalid request" if refusal.status == 401 else refusal.reason
            return _respond(start_response, refusal.status, {"error": error})
        if self.events is not None and request.body.get("type") == "event_callback":
            self.events(request)  # queued or shed: acknowledged either way
            start_response("200 OK", [("Content-Length", "0")])
            return [b""]
        response = self.app.dispatch(request)
        out = WsgiHttpResponse(status=response.status, headers=response.headers,
                               body=response.body)
        start_response(out.status, out.get_headers())
        return out.get_body()


def read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The body, at most `limit` bytes (413 beyond; a larger `Content-Length` is not read)."""
    declared = content_length(environ)
    stream = environ.get("wsgi.input")
    if declared is not None and declared > limit:
        if stream is not None and declared <= DRAIN_AT_MOST:
            _drain(stream, declared)
        raise Refused(413, "body too large")
    if stream is None:
        return b""
    wanted = limit + 1 if declared is None else declared
    chunks: list[bytes] = []
    got = 0
    while got < wanted:
        chunk = stream.read(min(_READ_CHUNK, wanted - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    if got > limit:
        raise Refused(413, "body too large")
    return b"".join(chunks)


def _drain(stream: Any, size: int) -> None:
    """Read and drop up to `size` bytes, so the client, still sending, gets the answer and
    not a reset connection (closing with its bytes unread would reset it)."""
    left = size
    while left > 0:
        chunk = stream.read(min(_READ_CHUNK, left))
        if not chunk:
            return
        left -= len(chunk)


def content_length(environ: dict[str, Any]) -> int | None:
    """The declared body length; None when there is none (a chunked body)."""
    declared = str(environ.get("CONTENT_LENGTH") or "")
    if not declared:
        return None
    if not (declared.isascii() and declared.isdigit()):
        raise Refused(400, "bad Content-Length")
    return int(declared) if len(declared) <= 15 else MAX_BODY * 1024


def verified_text(raw: bytes, headers: dict[str, Any], verifier: SignatureVerifier) -> str:
    """The body as text, once its Slack signature is known to be good; `Refused` otherwise.

    A duplicated header arrives joined by commas, so it fails the format check.
    """
    timestamp = str(headers.get("x-slack-request-timestamp") or "")
    signature = str(headers.get("x-slack-signature") or "")
    if not timestamp or not signature:
        raise Refused(401, "unsigned")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Refused(401, "malformed timestamp")
    if not _SIGNATURE.fullmatch(signature):
        raise Refused(401, "malformed signature")
    if abs(time.time() - int(timestamp)) > MAX_SKEW:
        raise Refused(401, "stale timestamp")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "body is not UTF-8") from None
    if not verifier.is_valid(text, timestamp, signature):
        raise Refused(401, "bad signature")
    return text


def parse(text: str, headers: dict[str, Any], query: str, *, max_depth: int) -> BoltRequest:
    """Bolt's request for a verified body; 400 when it is no Slack payload."""
    try:
        request = BoltRequest(body=text, query=query, headers=headers)
    except RecursionError:
        raise Refused(400, "nested too deeply") from None
    except json.JSONDecodeError:
        raise Refused(400, "not JSON") from None
    except (ValueError, TypeError, AttributeError, KeyError, IndexError):
        # Bolt reads ids out of the parsed body as it builds the request
        raise Refused(400, "not a Slack payload") from None
    if not isinstance(request.body, dict):
        raise Refused(400, "not a JSON object")
    if deeper_than(request.body, max_depth):
        raise Refused(400, "nested too deeply")
    problem = envelope_problem(request.body)
    if problem:
        raise Refused(400, f"not a Slack payload ({problem})")
    try:  # what Bolt reads from every request before any middleware of ours runs
        for read in BOLT_READERS:
            read(request.body)
    except (TypeError, AttributeError, KeyError, IndexError):
        raise Refused(400, "not a Slack payload") from None
    return request


def deeper_than(value: Any, limit: int) -> bool:
    """True when dicts and lists nest more than `limit` levels (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = (item.values() if isinstance(item, dict)
                    else item if isinstance(item, list) else None)
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _respond(start_response: Callable[..., Any], status: int,
             body: dict[str, str]) -> Iterable[bytes]:
    out = WsgiHttpResponse(status=status, headers={"content-type": ["application/json"]},
                           body=json.dumps(body))
    start_response(out.status, out.get_headers())
    return out.get_body()
