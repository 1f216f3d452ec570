"""The ways to install and run the advisor that docs/run-in-slack.md gives: the wheel in a
fresh virtual environment, the systemd unit, the Containerfile and its health check.

The wheel is built and installed with its dependencies from the package index pip is
configured with, as an admin would; the unit is checked by `systemd-analyze verify` where
the machine has it; the image is built only where a container engine runs (otherwise the
test skips and says so), but the Containerfile's promises are read from the file always.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.factories import ROOT, Server, free_port, scenario_env
from tests.slack.fake_slack import FakeSlack
from tests.slack.kb import write_test_kb
from tests.slack.payloads import SECRET

pytestmark = pytest.mark.timeout(300)
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "transformation-advisor.service"
UNIT_ADVISOR = "/opt/transformation-advisor/bin/advisor"
QUESTION = "how do we announce the change? a newsletter for staff?"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the built wheel installed: its `bin/` folder."""
    root = tmp_path_factory.mktemp("install")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(root / "dist"), str(ROOT)], check=True, capture_output=True)
    [wheel] = (root / "dist").glob("transformation_advisor-*.whl")
    # Without a pip of its own, filled by this one, and no .pyc compiled: the same install
    # as `pip install WHEEL` in a new venv, in a third of the time
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True)
    bin_dir = root / "venv" / "bin"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(bin_dir / "python"),
                           "install", "-q", "--no-compile", str(wheel)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return bin_dir


def clean_env(**env: str) -> dict[str, str]:
    """This process's environment without the advisor's settings, plus `env`."""
    names = ("SLACK_", "ADVISOR_", "DATABASE_URL", "LOG_HMAC_SECRET", "HTTPS_PROXY", "NO_PROXY",
             "PYTHONPATH", "VIRTUAL_ENV")
    return {**{k: v for k, v in os.environ.items() if not k.upper().startswith(names)}, **env}


def test_the_wheel_installed_in_a_fresh_venv_answers_and_checks_itself(installed, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = clean_env(ADVISOR_DATA_DIR=str(tmp_path / "data"))
    run = subprocess.run([str(installed / "python"), "-c", "import bot; print(bot.__file__)"],
                         cwd=elsewhere, env=env, capture_output=True, text=True, check=True)
    assert run.stdout.startswith(str(installed.parent))  # the installed copy, not this checkout

    helped = subprocess.run([str(installed / "advisor"), "--help"], cwd=elsewhere, env=env,
                            capture_output=True, text=True)
    assert helped.returncode == 0 and "serve" in helped.stdout and "doctor" in helped.stdout
    # a small base trains in a second (tests/test_packaging.py answers from the shipped one)
    kb = write_test_kb(tmp_path / "kb")
    asked = subprocess.run([str(installed / "advisor"), "ask", "--json", "--kb", str(kb), QUESTION],
                           cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["topic"] == "communication"

    checked = subprocess.run([str(installed / "advisor"), "doctor"], cwd=elsewhere, env=env,
                             capture_output=True, text=True, timeout=120)
    assert checked.returncode == 1  # no tokens here
    assert "fail bot token: SLACK_BOT_TOKEN is not set" in checked.stdout
    assert re.search(r"^ok   knowledge base: \w+: 10 topics", checked.stdout, re.M), checked.stdout
    served = subprocess.run([str(installed / "advisor"), "serve"], cwd=elsewhere, timeout=60,
                            env={**env, "SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"},
                            capture_output=True, text=True)
    assert served.returncode == 2 and served.stderr.startswith("error: LOG_HMAC_SECRET is not set")


def test_the_systemd_unit_verifies_with_the_installed_advisor(installed, tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed here; the unit is not verified")
    unit = tmp_path / UNIT.name
    text = UNIT.read_text()
    assert text.count(UNIT_ADVISOR) == 2  # ExecStartPre (db upgrade) and ExecStart (serve)
    unit.write_text(text.replace(UNIT_ADVISOR, str(installed / "advisor")))
    verified = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                              capture_output=True, text=True)
    assert verified.returncode == 0 and verified.stderr == "", verified.stderr
    # and it does catch a unit that would not start
    unit.write_text(text)
    verified = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)],
                              capture_output=True, text=True)
    assert verified.returncode != 0 and f"{UNIT_ADVISOR} is not executable" in verified.stderr


def test_the_systemd_unit_runs_serve_as_its_own_user_with_a_state_directory():
    service = dict(line.split("=", 1) for line in UNIT.read_text().splitlines()
                   if "=" in line and not line.startswith("#"))
    assert service["ExecStart"] == f"{UNIT_ADVISOR} serve"
    assert service["User"] not in ("root", "0")
    assert service["StateDirectory"] == "transformation-advisor"
    assert service["Environment"] == "ADVISOR_DATA_DIR=/var/lib/transformation-advisor"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"  # reloads the knowledge base


# -- the Containerfile ---------------------------------------------------------------------------


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in path.read_text().splitlines()
                                           if not line.lstrip().startswith("#")))
    return [(parts[0].upper(), parts[1].strip() if len(parts) > 1 else "")
            for line in text.splitlines() if line.strip()
            for parts in [line.strip().split(None, 1)]]


def test_the_containerfile_keeps_its_promises():
    steps = instructions(DEPLOY / "Containerfile")
    stages = [i for i, (op, _) in enumerate(steps) if op == "FROM"]
    assert len(stages) == 2 and steps[stages[0]][1].endswith(" AS build")  # the wheel is built apart
    runtime = steps[stages[1]:]
    ops = [op for op, _ in runtime]
    args = {op: arg for op, arg in runtime}
    # the wheel, and nothing of the source tree, is installed in the runtime stage
    assert any(op == "COPY" and arg.startswith("--from=build /wheels") for op, arg in runtime)
    assert any(op == "RUN" and "pip install" in arg and ".whl" in arg for op, arg in runtime)
    assert not any(op == "COPY" and "--from" not in arg for op, arg in runtime)
    # a non-root user runs `advisor serve`, the data folder is a volume
    assert args["USER"] not in ("root", "0") and ops.index("USER") < ops.index("CMD")
    assert json.loads(args["CMD"]) == ["advisor", "serve"]
    data_dir = re.search(r"ADVISOR_DATA_DIR=(\S+)", args["ENV"]).group(1)
    assert json.loads(args["VOLUME"]) == [data_dir]
    port = re.search(r"PORT=(\d+)", args["ENV"]).group(1)
    assert args["EXPOSE"] == port
    # a health check on /healthz with python (the slim image has no curl)
    health = args["HEALTHCHECK"]
    command = json.loads(health.split("CMD", 1)[1])
    assert command[0] == "python" and "/healthz" in command[-1] and "curl" not in health
    # every path the build stage copies exists here
    for op, arg in steps[:stages[1]]:
        if op == "COPY":
            assert all((ROOT / src).exists() for src in shlex.split(arg)[:-1]), arg


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    fake = FakeSlack().start()
    env = scenario_env(slack_api_url=fake.base_url, kb_dir=write_test_kb(tmp_path / "kb"),
                       data=tmp_path, secret=SECRET)
    server = Server(env, workers=1, log_path=tmp_path / "server.log").start()
    yield server
    server.stop()
    fake.stop()


def test_the_containers_health_check_passes_on_a_serving_advisor_and_fails_without_one(server):
    health = dict(instructions(DEPLOY / "Containerfile"))["HEALTHCHECK"]
    program, flag, code = json.loads(health.split("CMD", 1)[1])
    assert (program, flag) == ("python", "-c")
    up = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PORT": str(server.port)},
                        capture_output=True, text=True, timeout=30)
    assert up.returncode == 0, up.stderr
    down = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PORT": str(free_port())},
                          capture_output=True, text=True, timeout=30)
    assert down.returncode != 0


def container_engine() -> str | None:
    """podman or docker, if one is installed and its service answers."""
    for engine in ("podman", "docker"):
        if shutil.which(engine) and subprocess.run([engine, "info"], capture_output=True,
                                                   timeout=30).returncode == 0:
            return engine
    return None


def test_the_image_builds_and_runs_advisor_as_a_non_root_user():
    engine = container_engine()
    if engine is None:
        pytest.skip("no container engine runs here (podman or docker info failed): the image "
                    "was not built; its Containerfile is checked above")
    tag = "transformation-advisor:test"
    docker_format = ["--format", "docker"] if engine == "podman" else []  # keeps HEALTHCHECK
    built = subprocess.run([engine, "build", *docker_format, "-f", str(DEPLOY / "Containerfile"),
                            "-t", tag, str(ROOT)], capture_output=True, text=True, timeout=900)
    assert built.returncode == 0, built.stderr[-3000:]
    ran = subprocess.run([engine, "run", "--rm", tag, "sh", "-c", "id -u && advisor --help"],
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.split()[0] != "0" and "serve" in ran.stdout
