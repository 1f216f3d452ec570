"""An installed `advisor` works from any directory: the knowledge base ships in the package."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_the_knowledge_base_and_migrations_and_answers_elsewhere(tmp_path: Path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path / "dist"), str(ROOT)], check=True, capture_output=True)
    [wheel] = (tmp_path / "dist").glob("transformation_advisor-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "knowledge/base/pilots-rollout.yaml" in names
    assert "knowledge/base/_out_of_scope.yaml" in names
    assert any(n.startswith("bot/migrations/versions/0001") for n in names)
    assert not any(n.startswith("tests/") for n in names)

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "ADVISOR_DATA_DIR": str(tmp_path / "data")}
    env.pop("ADVISOR_KB_PATH", None)
    run = subprocess.run(
        [sys.executable, "-c",
         "import bot, sys; print(bot.__file__, file=sys.stderr); from bot.cli import main; main()",
         "ask", "--json", "our pilot has dragged on for two years and nobody will decide"],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stderr.strip().startswith(str(target))
    answer = json.loads(run.stdout)
    assert answer["topic"] == "pilots-rollout" and answer["recommendations"]


TESTS_DATA = re.compile(r"""tests(?:[/\\]|['"]\s*[/,]\s*['"])data""")


def test_no_module_of_the_package_reads_the_tests_folder():
    # An installed wheel has no tests/ (see above): production code must not look there
    modules = [p for top in ("bot", "knowledge", "classifiers") for p in (ROOT / top).rglob("*.py")]
    assert len(modules) > 30
    assert TESTS_DATA.search('ROOT / "tests" / "data" / "dev_set.yaml"')  # the pattern catches it
    assert TESTS_DATA.search("see tests/data/dev_set.yaml")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in modules
             for n, line in enumerate(p.read_text().splitlines(), 1) if TESTS_DATA.search(line)]
    assert found == []
