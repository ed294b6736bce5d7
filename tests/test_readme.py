"""Every `sh` block of README.md runs as it is, in order, against a fresh
`yibao run --demo` on a developer clock (what `make run AT=…` starts), so an
example that goes stale fails CI. A block after `<!-- example: not run
(why) -->` is not run; one after `<!-- example: runs after the next
example -->` runs after the block that follows it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from services.kernel.clock import BEIJING
from tests.test_run_restart import own_ports_env, start, stop

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(?:<!-- example: (?P<mark>[^\n]*?) -->\n)?```sh\n(?P<code>.*?)```", re.S)


@dataclass(frozen=True)
class Example:
    line: int
    code: str


def examples(markdown: str) -> tuple[list[Example], list[tuple[int, str]]]:
    """The blocks to run, in their running order, and those not run (line, why)."""
    run, not_run, deferred = [], [], []
    for found in BLOCK.finditer(markdown):
        line = markdown.count("\n", 0, found.start("code"))
        example, mark = Example(line, found["code"]), found["mark"] or ""
        if mark.startswith("not run"):
            not_run.append((line, mark))
        elif mark == "runs after the next example":
            deferred.append(example)
        else:
            assert not mark, f"README.md line {line}: unknown example mark {mark!r}"
            run += [example, *deferred]
            deferred = []
    assert not deferred, "an example waits for a next one that never comes"
    return run, not_run


def run_examples(run: list[Example], env: dict[str, str], env_file: Path) -> subprocess.CompletedProcess:
    """The examples as one bash script that stops at the first failing command."""
    script = ["set -euo pipefail", f". {env_file}"]
    for example in run:
        script += [f"echo '::: README.md line {example.line}' >&2", example.code]
    return subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    if shutil.which("jq") is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the README's examples, but jq is not installed")
        pytest.skip("jq is not installed: the README's examples are not run")
    """`make run AT=…` with the clock at 10:00 Beijing yesterday: a CLI that
    read the system clock instead would mint tokens a day ahead (refused)."""
    data_dir = tmp_path_factory.mktemp("readme") / "run"
    env = own_ports_env()
    yesterday = datetime.combine(
        datetime.now(BEIJING).date() - timedelta(days=1), time(10, 0), tzinfo=BEIJING
    )
    process, _ = start(env, str(data_dir), "--at", yesterday.isoformat())
    yield env, data_dir / "demo.env"
    stop(process)


def test_every_readme_example_runs_against_a_fresh_suite(suite):
    env, env_file = suite
    run, not_run = examples((ROOT / "README.md").read_text(encoding="utf-8"))
    assert len(run) >= 4 and all(why.split("(", 1)[1:] for _, why in not_run), not_run
    done = run_examples(run, env, env_file)
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
    assert "paid ¥12.50" in done.stdout  # the last blocks ran: the charge from a transferred wallet,
    assert "paid the long-term-care bill" in done.stdout  # and a contribution paid for a relative


def test_a_broken_example_fails_and_names_its_line(suite):
    env, env_file = suite
    markdown = "intro\n\n```sh\n.venv/bin/yibao region check 450100\n.venv/bin/yibao region check 4501\n```\n"
    run, _ = examples(markdown)
    done = run_examples(run, env, env_file)
    assert done.returncode != 0 and "::: README.md line 3" in done.stderr, done.stderr
