"""Outbound proxies: HTTPS_PROXY carries the Web API calls and the Socket Mode websocket,
NO_PROXY bypasses it; checked against a real proxy on 127.0.0.1 in front of the fake Slack."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.live import LiveAdvisor
from bot.settings import Settings, SettingsError, load_settings
from bot.slack.runner import socket_mode_handler, websocket_proxy
from bot.slack.server_parts import ServerParts
from bot.slack.web import make_client
from tests.factories import make_log
from tests.slack.conftest import start_server
from tests.slack.connect_proxy import ConnectProxy
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import command_body, event_body, mention, signed_headers
from tests.slack.test_socket_mode import SlackSocket

pytestmark = pytest.mark.timeout(120)
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def proxy() -> Iterator[ConnectProxy]:
    proxy = ConnectProxy().start()
    yield proxy
    proxy.stop()


def test_web_api_calls_go_through_https_proxy(fake: FakeSlack, proxy: ConnectProxy):
    settings = Settings(slack_bot_token="xoxb-test", slack_api_url=fake.base_url,
                        https_proxy=proxy.url)
    assert make_client(settings).auth_test()["ok"] is True
    assert proxy.forwarded_paths() == ["/api/auth.test"]


def test_no_proxy_bypasses_the_proxy_even_when_slack_sdk_would_read_it_from_the_environment(
        fake: FakeSlack, proxy: ConnectProxy, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)  # what slack_sdk reads when given no proxy
    settings = load_settings({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.base_url,
                              "HTTPS_PROXY": proxy.url, "NO_PROXY": "localhost,127.0.0.1"})
    before = len(fake.calls_of("auth.test"))
    assert make_client(settings).auth_test()["ok"] is True
    assert len(fake.calls_of("auth.test")) == before + 1
    assert proxy.forwards == [] and proxy.connects == []


def test_a_malformed_proxy_setting_stops_with_one_line_naming_it():
    with pytest.raises(SettingsError, match=r"^HTTPS_PROXY: must be a proxy URL"):
        load_settings({"HTTPS_PROXY": "socks5://proxy.example:1080"})
    assert load_settings({"HTTPS_PROXY": "proxy.example:3128"}).https_proxy == \
        "http://proxy.example:3128"


def test_the_websocket_uses_the_proxy_and_its_credentials():
    assert websocket_proxy(None) == {}
    assert websocket_proxy("http://svc%40gov:p%3Ass@proxy.example:3128") == {
        "http_proxy_host": "proxy.example", "http_proxy_port": 3128,
        "http_proxy_auth": ("svc@gov", "p:ss"), "proxy_type": "http"}


def test_the_http_server_answers_a_mention_with_every_web_api_call_through_the_proxy(
        fake: FakeSlack, proxy: ConnectProxy, slack_kb_dir: Path, tmp_path: Path):
    started = time.monotonic()
    server = start_server(fake, slack_kb_dir, tmp_path, workers=1, HTTPS_PROXY=proxy.url)
    try:
        event = mention("the unions object to the new system", channel="CPROXY001")
        body = event_body(event)
        assert server.post(body, signed_headers(body))[0] == 200
        fake.wait_for("chat.postMessage", where=lambda c: c.args.get("channel") == "CPROXY001")
        body = command_body("staff lack confidence with computers",
                            response_url=fake.response_url("proxied"))
        assert server.post(body, signed_headers(body, content_type=FORM))[0] == 200
        fake.wait_for("response_url", where=lambda c: c.path.endswith("/proxied"))
    finally:
        server.stop()
    paths = proxy.forwarded_paths()
    assert "/api/auth.test" in paths and "/api/chat.postMessage" in paths
    assert "/respond/proxied" in paths  # Bolt's respond() takes the client's proxy too
    assert not [c for c in fake.calls if c.at >= started and c.path not in paths]


def test_socket_mode_tunnels_its_websocket_through_the_proxy(
        slack_advisor, proxy: ConnectProxy, tmp_path: Path):
    fake, socket = FakeSlack().start(), SlackSocket()
    socket.thread.start()
    fake.ws_url = socket.url
    websocket_address = socket.url.split("/")[2]
    settings = Settings(slack_bot_token="xoxb-test", slack_app_token="xapp-test",
                        slack_api_url=fake.base_url, advisor_data_dir=tmp_path,
                        https_proxy=proxy.url)
    parts = ServerParts(settings, LiveAdvisor(slack_advisor),
                        make_log(tmp_path, f"sqlite:///{tmp_path}/log.db"), socket_mode=True)
    handler = socket_mode_handler(settings, parts)
    try:
        handler.connect()
        socket.push("env-proxy-1", event_body(mention("announce the change", channel="CPROXY2")))
        assert socket.ack()["envelope_id"] == "env-proxy-1"
        fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "CPROXY2")
    finally:
        handler.close()
        parts.close()
        socket.server.shutdown()
        fake.stop()
    assert proxy.connects == [websocket_address]  # the websocket, tunnelled
    assert "/api/apps.connections.open" in proxy.forwarded_paths()
