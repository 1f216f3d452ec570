"""What the Web API client retries in place, how often, and how long any one wait may be.

slack_sdk's retry handlers, configured: HTTP 500, 502 and 503 are retried with exponential
backoff and jitter, and a 429 is retried after its `Retry-After` (whole or fractional
seconds, or an HTTP date) when that is short. No single wait is longer than `WAIT_CAP`: a
longer `Retry-After` fails the call at once, so a thread is never parked for it. Answers
handle that case themselves (`bot.slack.channel_posts`), and so can any caller that runs
inside `rate_limits_deferred()`, where a 429 is never waited for in place.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from slack_sdk.http_retry.builtin_handlers import (
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

WAIT_CAP = 5.0
"""The longest any one in-place wait before a retry may be, in seconds."""
SERVER_ERRORS = frozenset({500, 502, 503})
SERVER_ERROR_RETRIES = 2
"""Retries after a 5xx: waits of 0.5 s and 1 s, each plus up to 1 s of jitter."""
RATE_LIMIT_RETRIES = 2
DEFAULT_RETRY_AFTER = 1.0
"""Seconds to wait after a 429 with no usable `Retry-After` (slack_sdk waits 1 s too)."""
RATE_LIMIT_JITTER = 0.25

_deferred: ContextVar[bool] = ContextVar("rate_limits_deferred", default=False)


def retry_after_seconds(headers: Mapping[str, Any], *, now: datetime | None = None) -> float:
    """Seconds to wait from a `Retry-After` header: delay-seconds (`1`, `1.5`) or an HTTP
    date (RFC 9110); `DEFAULT_RETRY_AFTER` when missing or unreadable, never negative."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None:
        return DEFAULT_RETRY_AFTER
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return DEFAULT_RETRY_AFTER
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
        return max(0.0, seconds)
    return seconds if math.isfinite(seconds) and seconds >= 0 else DEFAULT_RETRY_AFTER


@contextmanager
def rate_limits_deferred() -> Iterator[None]:
    """Within this block a 429 is not waited for in place: the call fails at once with it."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)


class CappedBackoff(BackoffRetryIntervalCalculator):
    """slack_sdk's exponential backoff with jitter, each wait at most `cap` seconds."""

    def __init__(self, backoff_factor: float = 0.5, *, cap: float = WAIT_CAP):
        super().__init__(backoff_factor=backoff_factor)
        self.cap = cap

    def calculate_sleep_duration(self, current_attempt: int) -> float:
        return min(self.cap, super().calculate_sleep_duration(current_attempt))


class ServerErrorRetries(ServerErrorRetryHandler):
    """Retries HTTP 500, 502 and 503 (slack_sdk's handler covers only 500 and 503)."""

    def __init__(self, max_retry_count: int = SERVER_ERROR_RETRIES):
        super().__init__(max_retry_count=max_retry_count, interval_calculator=CappedBackoff())

    def _can_retry(self, *, state: RetryState, request: HttpRequest,
                   response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return response is not None and response.status_code in SERVER_ERRORS


class RateLimitRetries(RateLimitErrorRetryHandler):
    """Retries a 429 after its `Retry-After` (parsed as `retry_after_seconds` does, where
    slack_sdk's handler accepts only whole seconds and raises on `1.5` or a date), but only
    when that is at most `max_wait` and the caller has not deferred rate limits."""

    def __init__(self, max_retry_count: int = RATE_LIMIT_RETRIES, *,
                 max_wait: float = WAIT_CAP):
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(self, *, state: RetryState, request: HttpRequest,
                   response: HttpResponse | None = None,
                   error: Exception | None = None) -> bool:
        return (response is not None and response.status_code == 429 and not _deferred.get()
                and retry_after_seconds(response.headers) <= self.max_wait)

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: HttpResponse | None = None,
                                 error: Exception | None = None) -> None:
        wait = retry_after_seconds(response.headers) if response is not None else DEFAULT_RETRY_AFTER
        state.next_attempt_requested = True
        time.sleep(min(self.max_wait, wait + random.uniform(0, RATE_LIMIT_JITTER)))
        state.increment_current_attempt()
