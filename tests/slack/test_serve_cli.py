"""`advisor serve` stops with one line naming what is wrong, before serving anything."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from bot.slack.cli import serve
from tests.factories import free_port
from tests.slack.fake_slack import Failure, FakeSlack

app = typer.Typer()
app.command()(serve)


def run(env: dict[str, str | None], *args: str) -> tuple[int, str]:
    base = {name: None for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
                                    "SLACK_API_URL", "PORT", "ADVISOR_ADMINS", "DATABASE_URL",
                                    "ADVISOR_KB_PATH", "ADVISOR_DATA_DIR", "LOG_HMAC_SECRET",
                                    "ADVISOR_ALLOW_GENERATED_SECRET", "SLACK_CLIENT_ID",
                                    "SLACK_CLIENT_SECRET", "ADVISOR_ORG_ADMINS")}
    base["ADVISOR_WATCH_SECONDS"] = "0"
    result = CliRunner().invoke(app, list(args), env={**base, **env})
    return result.exit_code, result.output.strip()


@pytest.mark.parametrize(("env", "args", "expected"), [
    ({}, (), "error: SLACK_BOT_TOKEN is not set: it should hold the bot token"),
    ({"SLACK_BOT_TOKEN": "xoxp-user"}, (), "error: SLACK_BOT_TOKEN: must be a bot token"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, (), "error: SLACK_SIGNING_SECRET is not set"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, ("--socket",), "error: SLACK_APP_TOKEN is not set"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "PORT": "web"}, (),
     "error: PORT: Input should be a valid integer"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "ADVISOR_ADMINS": "bob"}, (),
     "error: ADVISOR_ADMINS: not Slack user ids: bob"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "slack"}, (),
     "error: SLACK_API_URL: must be an http(s) URL"),
    ({"SLACK_CLIENT_ID": "1.2", "SLACK_SIGNING_SECRET": "s"}, (),
     "error: SLACK_CLIENT_SECRET is not set: OAuth distribution needs both"),
    ({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c"}, (),
     "error: SLACK_SIGNING_SECRET is not set"),
    ({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s"},
     ("--socket",), "error: OAuth distribution (SLACK_CLIENT_ID) needs HTTP mode"),
    ({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "c", "SLACK_SIGNING_SECRET": "s",
      "ADVISOR_ADMINS": "U0ADMIN1"}, (), "error: ADVISOR_ADMINS: U0ADMIN1 names no workspace"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "ADVISOR_ORG_ADMINS": "T1:U1"},
     (), "error: ADVISOR_ORG_ADMINS: not Slack user ids: T1:U1"),
])
def test_missing_or_malformed_setting_stops_with_one_line(env, args, expected):
    code, output = run(env, *args)
    assert code == 2 and output.startswith(expected) and "\n" not in output


def test_a_refused_token_or_unreachable_slack_stops_before_serving(slack_kb_dir, tmp_path):
    fake = FakeSlack().start()
    fake.fail("auth.test", Failure(error="invalid_auth"))
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
           "SLACK_API_URL": fake.base_url, "ADVISOR_KB_PATH": str(slack_kb_dir),
           "ADVISOR_DATA_DIR": str(tmp_path), "LOG_HMAC_SECRET": "s"}
    try:
        code, output = run(env, "--port", str(free_port()))
    finally:
        fake.stop()
    assert code == 2 and output.endswith(
        "error: SLACK_BOT_TOKEN was refused by Slack (invalid_auth): copy the Bot User OAuth "
        "Token from the app's OAuth & Permissions page")
    env["SLACK_API_URL"] = f"http://127.0.0.1:{free_port()}/api/"
    code, output = run(env, "--port", str(free_port()))
    assert code == 2 and "error: cannot reach Slack's Web API at http://127.0.0.1:" in output


def test_a_broken_knowledge_base_stops_serve_with_each_error_at_its_file_and_line(
        slack_kb_dir, tmp_path):
    # Given a base whose topic file has a bad entry id on a known line
    broken = tmp_path / "kb"
    broken.mkdir()
    for path in slack_kb_dir.glob("*.yaml"):
        (broken / path.name).write_text(path.read_text())
    target = sorted(broken.glob("[!_]*.yaml"))[0]
    lines = target.read_text().splitlines()
    line_no = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("- id:"))
    lines[line_no - 1] = lines[line_no - 1].split("- id:")[0] + "- id: Not A Slug!"
    target.write_text("\n".join(lines) + "\n")
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "LOG_HMAC_SECRET": "s",
           "ADVISOR_KB_PATH": str(broken), "ADVISOR_DATA_DIR": str(tmp_path / "data")}
    # When the server starts, Then it refuses, naming the file and line and the real command
    code, output = run(env, "--port", str(free_port()))
    assert code == 2
    assert "error: the knowledge base has 1 error(s); not serving" in output
    assert f"{target.name}:{line_no}" in output
    assert "`advisor kb validate`" in output and "kb check" not in output


def test_serve_refuses_to_start_without_a_pseudonym_secret_unless_told_it_is_a_trial(
        slack_kb_dir, tmp_path, caplog: pytest.LogCaptureFixture):
    # Given tokens but no LOG_HMAC_SECRET, and a Slack that cannot be reached
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
           "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
           "ADVISOR_KB_PATH": str(slack_kb_dir), "ADVISOR_DATA_DIR": str(tmp_path / "data")}
    # When the server starts, Then it stops with one line saying how to set the secret
    code, output = run(env, "--port", str(free_port()))
    assert code == 2 and "\n" not in output
    assert output.startswith("error: LOG_HMAC_SECRET is not set: without it every new machine")
    assert "ADVISOR_ALLOW_GENERATED_SECRET=1 for a trial" in output
    assert not (tmp_path / "data" / "log-hmac.key").exists()
    # And with the trial override it goes on, as far as the unreachable Slack
    code, output = run({**env, "ADVISOR_ALLOW_GENERATED_SECRET": "1"}, "--port", str(free_port()))
    assert code == 2 and "error: cannot reach Slack's Web API" in output
    assert "LOG_HMAC_SECRET is not set (ADVISOR_ALLOW_GENERATED_SECRET)" in caplog.text


def test_serve_refuses_to_start_when_the_data_folder_cannot_be_written(tmp_path):
    (tmp_path / "a-file").write_text("")
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "LOG_HMAC_SECRET": "s",
           "ADVISOR_DATA_DIR": str(tmp_path / "a-file" / "data")}
    code, output = run(env, "--socket")
    assert code == 2 and "\n" not in output
    assert output.startswith(f"error: ADVISOR_DATA_DIR {tmp_path}/a-file/data is not writable")
