"""ChannelPosts with a real WebClient against the fake Slack: holds, queues, giving up."""

from __future__ import annotations

import logging

import pytest

from bot.settings import Settings
from bot.slack.channel_posts import ChannelPosts
from bot.slack.web import make_client
from tests.slack.conftest import own_fake
from tests.slack.fake_slack import Failure, FakeSlack
from tests.waiting import eventually

logger = logging.getLogger("test.channel_posts")


fake = own_fake()


@pytest.fixture
def client(fake: FakeSlack):
    return make_client(Settings(slack_bot_token="xoxb-1", slack_api_url=fake.base_url,
                                slack_api_timeout=5))


def test_later_posts_to_a_held_channel_queue_behind_the_first_and_keep_their_order(fake, client):
    posts = ChannelPosts()
    fake.fail("chat.postMessage", Failure(429, "ratelimited", {"Retry-After": "0.5"},
                                          channel="CHELD"))
    try:
        assert posts.post(client, logger, channel="CHELD", text="first") is None
        assert posts.post(client, logger, channel="CHELD", text="second") is None
        assert posts.post(client, logger, channel="CFREE", text="elsewhere")["ok"]
        calls = fake.wait_for("chat.postMessage", 4)
        assert [(c.args["channel"], c.args["text"], c.status) for c in calls] == [
            ("CHELD", "first", 429), ("CFREE", "elsewhere", 200),
            ("CHELD", "first", 200), ("CHELD", "second", 200)]
        assert eventually(lambda: posts.held() == {}, timeout=5)
    finally:
        posts.close()


def test_a_post_still_rate_limited_after_its_tries_is_given_up_and_logged(fake, client, caplog):
    posts = ChannelPosts(hold_cap=0.0, max_tries=3)
    fake.rate_limit("CSTUCK", 60.0, retry_after="30")
    try:
        with caplog.at_level(logging.WARNING, logger=logger.name):
            posts.post(client, logger, channel="CSTUCK", text="answer")
            assert eventually(lambda: posts.held() == {}, timeout=10)
        assert [c.status for c in fake.calls_of("chat.postMessage")] == [429, 429, 429]
        assert "chat.postMessage to CSTUCK given up: still rate-limited after 3 tries" in caplog.text
    finally:
        posts.close()


def test_close_gives_up_held_posts_after_its_timeout_and_says_so(fake, client, caplog):
    posts = ChannelPosts()
    fake.fail("chat.postMessage", Failure(429, "ratelimited", {"Retry-After": "20"}))
    posts.post(client, logger, channel="CLATE", text="answer")
    with caplog.at_level(logging.WARNING, logger="bot.slack"):
        posts.close(timeout=0.1)
    assert "chat.postMessage to CLATE given up at shutdown: 1 post(s)" in caplog.text
    assert [c.status for c in fake.calls_of("chat.postMessage")] == [429]
