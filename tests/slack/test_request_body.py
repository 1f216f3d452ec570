"""How the gate reads a body: within the bound, or refused with 413 — read and dropped when
the client is still sending a body not far over the bound (so it gets the answer, not a
reset connection), left unread when the declared length is absurd."""

from __future__ import annotations

import io

import pytest

from bot.slack.request_gate import DRAIN_AT_MOST, MAX_BODY, Refused, read_body


def environ(body: bytes, declared: int | None = None) -> dict:
    return {"wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body) if declared is None else declared)}


def test_a_body_within_the_bound_is_read_whole():
    body = b'{"type": "event_callback"}'
    assert read_body(environ(body), MAX_BODY) == body


def test_a_body_a_little_over_the_bound_is_refused_after_being_read_and_dropped():
    env = environ(b"x" * (MAX_BODY + 10))
    with pytest.raises(Refused) as refused:
        read_body(env, MAX_BODY)
    assert refused.value.status == 413
    assert env["wsgi.input"].tell() == MAX_BODY + 10  # all of it read: the client is not reset


def test_an_absurd_declared_length_is_refused_unread():
    env = environ(b"x" * 100, declared=DRAIN_AT_MOST + 1)
    with pytest.raises(Refused) as refused:
        read_body(env, MAX_BODY)
    assert refused.value.status == 413 and env["wsgi.input"].tell() == 0
