"""Posting answers so that one rate-limited channel never holds up the others.

An answer is posted at once from the listener's thread. When Slack answers 429, nobody
waits in place: the channel is held for its `Retry-After` (at most `HOLD_CAP` seconds), the
answer joins that channel's queue, and the listener's thread is free for the next event.
Later answers for a held channel join its queue behind the first, so they keep their order
and do not each collect a 429. One background thread posts each queue when its hold ends;
a post is tried at most `MAX_TRIES` times. Other channels are posted at once meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.web import slack_call
from bot.slack.web_retries import rate_limits_deferred, retry_after_seconds

HOLD_CAP = 30.0
"""The longest a channel is held after one 429, in seconds, whatever its `Retry-After`."""
MAX_TRIES = 4
"""Tries per post: once at once, then up to three times from the channel's queue."""
DRAIN_TIMEOUT = 10.0
"""Seconds `close()` waits for held posts to go out before giving them up (logged)."""


@dataclass(frozen=True)
class RateLimited:
    """Slack answered 429 and asked us to wait `seconds`."""

    seconds: float


@dataclass
class Pending:
    """One answer waiting for its channel's hold to end."""

    client: WebClient
    logger: logging.Logger
    channel: str
    message: dict[str, Any]
    tries: int = 1


@dataclass
class Hold:
    """A rate-limited channel: nothing is posted to it before `until` (monotonic)."""

    until: float
    queue: deque[Pending] = field(default_factory=deque)


class ChannelPosts:
    """`chat.postMessage` for answers, with a queue per rate-limited channel.

    `post()` returns Slack's response when posted, None when it failed (logged with its
    cause) or was queued behind a rate limit. `close()` gives held posts up to
    `DRAIN_TIMEOUT` seconds.
    """

    def __init__(self, *, hold_cap: float = HOLD_CAP, max_tries: int = MAX_TRIES,
                 clock: Callable[[], float] = time.monotonic):
        self.hold_cap = hold_cap
        self.max_tries = max_tries
        self.clock = clock
        self._holds: dict[str, Hold] = {}
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closing = False

    def post(self, client: WebClient, logger: logging.Logger, *, channel: str,
             **message: Any) -> Any | None:
        pending = Pending(client, logger, channel, message)
        with self._cond:
            hold = self._holds.get(channel)
            if hold is not None:
                hold.queue.append(pending)
                logger.info("chat.postMessage to %s queued: the channel is rate-limited "
                            "for %.1f s more", channel, max(0.0, hold.until - self.clock()))
                return None
        outcome = self._try(pending)
        if isinstance(outcome, RateLimited):
            self._hold(pending, outcome.seconds)
            return None
        return outcome

    def held(self) -> dict[str, int]:
        """Channels held now, each with how many posts wait in its queue."""
        with self._cond:
            return {channel: len(hold.queue) for channel, hold in self._holds.items()}

    def close(self, timeout: float = DRAIN_TIMEOUT) -> None:
        """Post what the holds allow within `timeout` seconds; log what is given up."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        with self._cond:
            lost = [(channel, len(hold.queue)) for channel, hold in self._holds.items()]
            self._holds.clear()
            self._cond.notify_all()
        for channel, count in lost:
            logging.getLogger("bot.slack").warning(
                "chat.postMessage to %s given up at shutdown: %d post(s) still held by "
                "Slack's rate limit", channel, count)

    # -- inside -----------------------------------------------------------------------------

    def _try(self, pending: Pending) -> Any | RateLimited | None:
        def call(**kwargs: Any) -> Any:
            try:
                with rate_limits_deferred():
                    return pending.client.chat_postMessage(**kwargs)
            except SlackApiError as exc:
                if exc.response is not None and exc.response.status_code == 429:
                    return RateLimited(retry_after_seconds(exc.response.headers))
                raise

        return slack_call(pending.logger, "chat.postMessage", call, channel=pending.channel,
                          **pending.message)

    def _hold(self, pending: Pending, seconds: float) -> None:
        wait = min(seconds, self.hold_cap)
        with self._cond:
            hold = self._holds.setdefault(pending.channel, Hold(until=self.clock() + wait))
            hold.until = max(hold.until, self.clock() + wait)
            hold.queue.append(pending)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="channel-posts",
                                                daemon=True)
                self._thread.start()
            self._cond.notify_all()
        pending.logger.warning("chat.postMessage to %s rate-limited (Retry-After %.1f s): "
                               "held %.1f s, other channels are posted meanwhile",
                               pending.channel, seconds, wait)

    def _next_due(self) -> tuple[str, Pending] | None:
        """Wait for the first channel whose hold has ended; None once closed and empty."""
        with self._cond:
            while True:
                if not self._holds:
                    if self._closing:
                        return None
                    self._cond.wait()
                    continue
                now = self.clock()
                channel, hold = min(self._holds.items(), key=lambda item: item[1].until)
                if hold.until <= now:
                    return channel, hold.queue[0]
                self._cond.wait(hold.until - now)

    def _run(self) -> None:
        while (due := self._next_due()) is not None:
            channel, pending = due
            outcome = self._try(pending)
            with self._cond:
                hold = self._holds.get(channel)
                if hold is None:  # given up by close()
                    continue
                if isinstance(outcome, RateLimited):
                    pending.tries += 1
                    hold.until = self.clock() + min(outcome.seconds, self.hold_cap)
                    if pending.tries < self.max_tries:
                        continue
                    pending.logger.warning("chat.postMessage to %s given up: still "
                                           "rate-limited after %d tries", channel,
                                           pending.tries)
                hold.queue.popleft()
                if not hold.queue:
                    del self._holds[channel]
