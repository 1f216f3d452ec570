"""The Web API client's retries, against the fake Slack on 127.0.0.1 with a real WebClient."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from slack_sdk.errors import SlackApiError

from bot.settings import Settings
from bot.slack.web import make_client
from bot.slack.web_retries import DEFAULT_RETRY_AFTER, rate_limits_deferred, retry_after_seconds
from tests.slack.fake_slack import Failure, FakeSlack

NOW = datetime(2030, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def client(fake: FakeSlack):
    fake.reset()
    return make_client(Settings(slack_bot_token="xoxb-1", slack_api_url=fake.base_url,
                                slack_api_timeout=5))


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "1"}, 1.0),
    ({"retry-after": "1.5"}, 1.5),
    ({"Retry-After": [" 20 "]}, 20.0),
    ({"Retry-After": "0"}, 0.0),
    ({"Retry-After": format_datetime(NOW + timedelta(seconds=3), usegmt=True)}, 3.0),
    ({"Retry-After": format_datetime(NOW - timedelta(seconds=3), usegmt=True)}, 0.0),
    ({"Retry-After": "soon"}, DEFAULT_RETRY_AFTER),
    ({"Retry-After": "-2"}, DEFAULT_RETRY_AFTER),
    ({"Retry-After": "nan"}, DEFAULT_RETRY_AFTER),
    ({"Retry-After": "inf"}, DEFAULT_RETRY_AFTER),
    ({"Retry-After": []}, DEFAULT_RETRY_AFTER),
    ({}, DEFAULT_RETRY_AFTER),
])
def test_retry_after_is_read_as_seconds_or_an_http_date(headers, seconds):
    assert retry_after_seconds(headers, now=NOW) == seconds


def test_server_errors_are_retried_twice(fake, client):
    status = 502  # slack_sdk's own handler retries only 500 and 503
    fake.fail("views.publish", Failure(status), Failure(status))
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["ok"]
    assert [c.status for c in fake.calls_of("views.publish")] == [status, status, 200]

    fake.fail("views.publish", *[Failure(status)] * 3)
    with pytest.raises(SlackApiError):
        client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert [c.status for c in fake.calls_of("views.publish")][3:] == [status] * 3


def test_a_short_fractional_retry_after_is_waited_for_in_place(fake, client):
    fake.fail("views.publish", Failure(429, "ratelimited", {"Retry-After": "1.5"}))
    assert client.views_publish(user_id="U1", view={"type": "home", "blocks": []})["ok"]
    limited, done = fake.calls_of("views.publish")
    assert (limited.status, done.status) == (429, 200) and done.at - limited.at >= 1.5


def test_a_retry_after_above_the_cap_fails_the_call_at_once(fake, client):
    fake.fail("views.publish", Failure(429, "ratelimited", {"Retry-After": "20"}))
    with pytest.raises(SlackApiError) as raised:
        client.views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert raised.value.response.status_code == 429
    assert [c.status for c in fake.calls_of("views.publish")] == [429]


def test_deferred_rate_limits_are_never_waited_for_in_place(fake, client):
    fake.fail("chat.postMessage", Failure(429, "ratelimited", {"Retry-After": "1"}))
    with rate_limits_deferred(), pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="hello")
    assert retry_after_seconds(raised.value.response.headers) == 1.0
    assert [c.status for c in fake.calls_of("chat.postMessage")] == [429]
