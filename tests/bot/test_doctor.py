"""`advisor doctor`: one line per check against a fake Slack, real SQLite and PostgreSQL
databases and real knowledge-base folders; exit 1 when something needs fixing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.log.db import head_revision, make_engine, normalize_url, upgrade
from bot.slack.scopes import BOT_SCOPES
from tests.factories import free_port
from tests.log.conftest import pg_admin, pg_database  # noqa: F401 (fixtures)
from tests.slack.fake_slack import Failure, FakeSlack

SIGNING = "0123456789abcdef0123456789abcdef"
HMAC = "a-long-random-pseudonym-secret-of-40-chars"
CLEARED = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL",
           "DATABASE_URL", "ADVISOR_KB_PATH", "ADVISOR_DATA_DIR", "LOG_HMAC_SECRET",
           "ADVISOR_ALLOW_GENERATED_SECRET", "HTTPS_PROXY", "NO_PROXY", "ADVISOR_ADMINS")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


@pytest.fixture
def env(fake: FakeSlack, tmp_path: Path, synthetic_kb_dir: Path) -> dict[str, str]:
    """A server that is ready: every setting right, the fake granting exactly the scopes."""
    fake.reset()
    fake.scopes = ",".join(sorted(BOT_SCOPES))
    return {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SIGNING,
            "SLACK_API_URL": fake.base_url, "LOG_HMAC_SECRET": HMAC,
            "ADVISOR_DATA_DIR": str(tmp_path / "data"), "ADVISOR_KB_PATH": str(synthetic_kb_dir),
            "DATABASE_URL": f"sqlite:///{tmp_path}/data/log.db"}


def doctor(env: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """Exit code, each check's line by name (without the status), and the whole output."""
    result = CliRunner().invoke(app, ["doctor"], env={**dict.fromkeys(CLEARED), **env})
    checks = {}
    for line in result.output.splitlines():
        status, _, rest = line.partition(" ")
        name, _, detail = rest.strip().partition(": ")
        if status in ("ok", "warn", "fail", "info"):
            checks[name] = f"{status}: {detail}"
    return result.exit_code, checks, result.output


def test_a_ready_server_passes_every_check_and_no_secret_is_printed(env):
    code, checks, output = doctor(env)
    assert code == 0, output
    assert list(checks) == ["bot token", "scopes", "signing secret", "pseudonym secret",
                            "data folder", "database", "knowledge base"]
    assert all(line.startswith("ok: ") for line in checks.values()), output
    assert checks["bot token"] == "ok: workspace Test Gov (T0000001), bot user UBOT0001"
    assert output.rstrip().endswith("ready to serve")
    assert SIGNING not in output and HMAC not in output and "xoxb-test" not in output


def test_a_refused_token_fails_with_where_to_find_the_right_one(env, fake):
    fake.fail("auth.test", Failure(error="invalid_auth"))
    code, checks, output = doctor(env)
    assert code == 1
    assert checks["bot token"].startswith("fail: SLACK_BOT_TOKEN was refused by Slack "
                                          "(invalid_auth): copy the Bot User OAuth Token")
    assert "scopes" not in checks  # nothing to compare without a token
    assert output.rstrip().endswith("1 problem(s) to fix")


def test_an_unreachable_slack_fails_the_token_check_naming_the_address(env):
    env["SLACK_API_URL"] = f"http://127.0.0.1:{free_port()}/api/"
    code, checks, _ = doctor(env)
    assert code == 1
    assert checks["bot token"].startswith(f"fail: cannot reach Slack's Web API at {env['SLACK_API_URL']}")


def test_a_missing_scope_fails_and_an_unused_one_is_a_warning(env, fake):
    fake.scopes = ",".join(sorted(set(BOT_SCOPES) - {"im:history"}))
    code, checks, _ = doctor(env)
    assert code == 1
    assert checks["scopes"].startswith("fail: missing im:history: add them under OAuth & Permissions")

    fake.scopes = ",".join(sorted({*BOT_SCOPES, "im:write"}))
    code, checks, _ = doctor(env)
    assert code == 0
    assert checks["scopes"] == ("warn: granted but never used: im:write; remove them from the "
                                "app's scopes and reinstall")


def test_a_signing_secret_of_the_wrong_shape_fails_without_showing_it(env):
    env["SLACK_SIGNING_SECRET"] = "xoxb-pasted-the-wrong-thing"
    code, checks, output = doctor(env)
    assert code == 1
    assert checks["signing secret"].startswith("fail: SLACK_SIGNING_SECRET is not 32 hex "
                                               "characters (it has 27 characters)")
    assert "pasted-the-wrong-thing" not in output


def test_socket_mode_needs_no_signing_secret_but_a_working_app_token(env, fake):
    del env["SLACK_SIGNING_SECRET"]
    env["SLACK_APP_TOKEN"] = "xapp-test"
    code, checks, output = doctor(env)
    assert code == 0, output
    assert checks["signing secret"] == "ok: not set; Socket Mode does not need one"
    assert checks["app token"] == "ok: Socket Mode may connect"

    fake.fail("apps.connections.open", Failure(error="invalid_auth"))
    code, checks, _ = doctor(env)
    assert code == 1 and checks["app token"].startswith(
        "fail: SLACK_APP_TOKEN was refused by Slack (invalid_auth): generate an app-level token")


def test_no_pseudonym_secret_fails_unless_the_trial_override_is_set(env):
    del env["LOG_HMAC_SECRET"]
    code, checks, _ = doctor(env)
    assert code == 1 and checks["pseudonym secret"].startswith("fail: LOG_HMAC_SECRET is not set")
    code, checks, _ = doctor({**env, "ADVISOR_ALLOW_GENERATED_SECRET": "1"})
    assert code == 0 and checks["pseudonym secret"].startswith("warn: generated in the data folder")
    code, checks, _ = doctor({**env, "LOG_HMAC_SECRET": "short"})
    assert code == 0 and checks["pseudonym secret"].startswith(
        "warn: LOG_HMAC_SECRET has only 5 characters")


def test_a_data_folder_that_cannot_be_created_fails(env, tmp_path):
    (tmp_path / "a-file").write_text("")
    env["ADVISOR_DATA_DIR"] = str(tmp_path / "a-file" / "data")
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/log.db"
    code, checks, _ = doctor(env)
    assert code == 1
    assert checks["data folder"] == (f"fail: ADVISOR_DATA_DIR {tmp_path}/a-file/data is not "
                                     "writable (Not a directory): give the service's user write "
                                     "access, or point ADVISOR_DATA_DIR at a persistent folder "
                                     "(a volume in a container)")


def test_the_default_sqlite_log_in_an_unusable_data_folder_is_one_failure_not_a_crash(env, tmp_path):
    (tmp_path / "a-file").write_text("")
    env["ADVISOR_DATA_DIR"] = str(tmp_path / "a-file" / "data")
    del env["DATABASE_URL"]  # the log goes into the data folder
    code, checks, output = doctor(env)
    assert code == 1 and checks["data folder"].startswith("fail: ")
    assert checks["database"].endswith("advisor.db does not exist yet; `advisor serve` creates it")
    assert "Traceback" not in output and output.rstrip().endswith("1 problem(s) to fix")


def test_a_broken_knowledge_base_fails_with_each_error_at_its_file_and_line(env, kb_copy):
    target = sorted(kb_copy.glob("[!_]*.yaml"))[0]
    lines = target.read_text().splitlines()
    line_no = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("- id:"))
    lines[line_no - 1] = lines[line_no - 1].split("- id:")[0] + "- id: Not A Slug!"
    target.write_text("\n".join(lines) + "\n")
    code, checks, output = doctor({**env, "ADVISOR_KB_PATH": str(kb_copy)})
    assert code == 1
    assert checks["knowledge base"].startswith("fail: 1 error(s), listed below")
    assert f"{target.name}:{line_no}" in output


def test_an_unreachable_database_fails_naming_it_without_its_password(env):
    port = free_port()
    code, checks, output = doctor({**env, "DATABASE_URL":
                                   f"postgresql://advisor:hunter22@127.0.0.1:{port}/advisor"})
    assert code == 1
    assert checks["database"].startswith(
        f"fail: cannot open postgresql+psycopg://advisor:***@127.0.0.1:{port}/advisor (")
    assert "check DATABASE_URL" in checks["database"] and "hunter22" not in output


def test_sqlite_behind_is_upgraded_at_start_and_postgresql_behind_must_be_upgraded(
        env, tmp_path, request: pytest.FixtureRequest):
    code, checks, _ = doctor(env)
    assert checks["database"].endswith("does not exist yet; `advisor serve` creates it")
    sqlite = make_engine(normalize_url(env["DATABASE_URL"], tmp_path))
    upgrade(sqlite, "0001")
    head = head_revision()
    code, checks, _ = doctor(env)
    assert code == 0 and checks["database"].endswith(f"`advisor serve` upgrades it to {head} at start")

    postgres_url = request.getfixturevalue("pg_database")  # skips, saying why, without a server
    env["DATABASE_URL"] = postgres_url
    code, checks, _ = doctor(env)
    assert code == 1 and checks["database"].endswith(
        f"schema at nothing, expected {head}: run `advisor db upgrade`")
    postgres = make_engine(normalize_url(postgres_url, tmp_path))
    upgrade(postgres)
    postgres.dispose()
    code, checks, _ = doctor(env)
    assert code == 0 and checks["database"].endswith(f", schema at {head}")


def test_the_checks_reach_slack_through_the_proxy_and_say_which_way_they_went(env):
    from tests.slack.connect_proxy import ConnectProxy

    proxy = ConnectProxy().start()
    try:
        code, checks, _ = doctor({**env, "HTTPS_PROXY": proxy.url})
        assert code == 0 and checks["proxy"] == "info: Slack's Web API is reached through HTTPS_PROXY"
        assert proxy.forwarded_paths() == ["/api/auth.test"]
        code, checks, _ = doctor({**env, "HTTPS_PROXY": proxy.url, "NO_PROXY": "127.0.0.1"})
        assert code == 0 and checks["proxy"] == ("info: Slack's Web API is reached directly "
                                                 "(NO_PROXY names it)")
        assert proxy.forwarded_paths() == ["/api/auth.test"]  # no second call through it
    finally:
        proxy.stop()
