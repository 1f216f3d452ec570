"""The Web API client, and calls that log a failure with its cause instead of raising."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from bot.settings import Settings
from bot.slack.web_retries import RateLimitRetries, ServerErrorRetries

T = TypeVar("T")
SLACK_API = "https://slack.com/api/"


def make_client(settings: Settings, *, token: str | None = None) -> WebClient:
    """A WebClient with `token` (default: SLACK_BOT_TOKEN; with OAuth distribution, one
    installed team's bot token) that retries failed connections once, HTTP 500/502/503
    twice with backoff, and a 429 after a short `Retry-After` (see `bot.slack.web_retries`).

    Timeouts are not retried: Slack may already have posted the message. Calls go through
    HTTPS_PROXY unless NO_PROXY names the Web API's host (Bolt's `respond` follows too).
    Listeners never build one: they use Bolt's per-request `client`, which carries the
    team's token.
    """
    base_url = settings.slack_api_url or SLACK_API
    proxy = settings.proxy_for(base_url)
    client = WebClient(
        token=token or settings.slack_bot_token,
        base_url=base_url,
        timeout=settings.slack_api_timeout,
        proxy=proxy,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=1),
            ServerErrorRetries(),
            RateLimitRetries(),
        ],
    )
    client.proxy = proxy  # given None, slack_sdk reads HTTPS_PROXY itself and ignores NO_PROXY
    return client


def slack_call(logger: logging.Logger, what: str, call: Callable[..., T], /, *,
               quiet: bool = False, **kwargs: Any) -> T | None:
    """Run one Web API (or response_url) call; on failure log the cause and return None.

    `quiet` logs at debug level, for cosmetic calls such as a "thinking" status.
    """
    log = logger.debug if quiet else logger.warning
    try:
        result = call(**kwargs)
    except SlackApiError as exc:
        error = exc.response.get("error") if exc.response is not None else None
        status = exc.response.status_code if exc.response is not None else "?"
        log("Slack %s failed: %s (HTTP %s)", what, error or "unknown error", status)
    except (URLError, TimeoutError, ConnectionError, OSError) as exc:
        log("Slack %s failed: %s: %s", what, type(exc).__name__, exc)
    else:
        status = getattr(result, "status_code", 200)
        if not isinstance(status, int) or status < 400:
            return result
        log("Slack %s failed: HTTP %s %s", what, status, str(getattr(result, "body", ""))[:200])
    return None
