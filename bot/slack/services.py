"""What listeners need besides Slack: the settings, the advisor, the conversation log, the
per-channel poster of answers and, in a server, the live advisor and the curator behind
the admin surfaces.

Attached to every request's context by one middleware, so a listener asks for it by
name (`services`) like any other Bolt argument, and tests pass their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.slack.channel_posts import ChannelPosts

if TYPE_CHECKING:
    from bot.asking import Answerer
    from bot.curation.service import Curator
    from bot.live import LiveAdvisor
    from bot.log import ConversationLog
    from bot.settings import Settings
    from bot.slack.installations import Installations


@dataclass(frozen=True)
class Services:
    """`live` and `curator` are None where there is no knowledge base to curate (unit tests);
    admin listeners read `live.current` once per request. `posts` posts answers; a server
    passes its own, to close it on exit. `installations` is set with OAuth distribution."""

    settings: Settings
    advisor: Answerer
    log: ConversationLog
    live: LiveAdvisor | None = None
    curator: Curator | None = None
    posts: ChannelPosts = field(default_factory=ChannelPosts)
    installations: Installations | None = None


def attach(services: Services) -> Callable[..., Any]:
    """A global Bolt middleware putting `services` on every request's context."""

    def attach_services(context: dict[str, Any], next: Callable[[], Any]) -> Any:
        context["services"] = services
        return next()

    return attach_services
