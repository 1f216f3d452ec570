"""A changed knowledge base goes live in the running server without a restart."""

from __future__ import annotations

import json
import shutil
import time

import pytest

from tests.factories import Server
from tests.slack.fake_slack import FakeSlack
from tests.slack.payloads import SECRET, event_body, mention, signed_headers

pytestmark = pytest.mark.timeout(120)


def test_edited_knowledge_base_is_served_after_the_watcher_reloads(slack_kb_dir, tmp_path):
    kb = tmp_path / "kb"
    shutil.copytree(slack_kb_dir, kb)
    fake = FakeSlack().start()
    env = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": fake.base_url, "DATABASE_URL": f"sqlite:///{tmp_path}/log.db",
           "ADVISOR_DATA_DIR": str(tmp_path), "ADVISOR_KB_PATH": str(kb),
           "ADVISOR_WATCH_SECONDS": "0.2", "LOG_HMAC_SECRET": "s"}
    server = Server(env, workers=1, log_path=tmp_path / "server.log").start()
    try:
        before = json.loads(server.request("GET", "/healthz")[1])["kb_version"]
        topic = kb / "measurement.yaml"
        topic.write_text(topic.read_text().replace("Measurement strategy 0", "Count what matters"))
        deadline = time.monotonic() + 60
        while json.loads(server.request("GET", "/healthz")[1])["kb_version"] == before:
            assert time.monotonic() < deadline, server.log()[-2000:]
            time.sleep(0.2)
        server.wait_for_log("Booting worker", count=2)  # gunicorn replaced the worker
        event = mention("we need to measure success and set a baseline before the change",
                        channel="CRELOAD01")
        body = event_body(event)
        server.post(body, signed_headers(body))
        [post] = fake.wait_for("chat.postMessage", where=lambda c: c.args["channel"] == "CRELOAD01")
        assert "Count what matters" in json.dumps(post.args["blocks"])
    finally:
        server.stop()
        fake.stop()
