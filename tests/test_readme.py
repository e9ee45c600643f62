"""The README's set-up block stays true: exactly two commands, both real task-runner verbs."""

from __future__ import annotations

import re
import subprocess

from qiloop_reference import REPO_ROOT

README = REPO_ROOT / "README.md"


def setup_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Set up and run", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README has no ```sh block under 'Set up and run'"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.split("#", 1)[0].strip()]


def test_readme_has_exactly_two_setup_commands():
    assert setup_commands() == ["make demo", "make test"]


def test_readme_commands_are_make_targets_that_resolve():
    for command in setup_commands():
        target = command.split()[1]
        # `make -n` prints the recipe without running it: fails if the target or a prerequisite is missing.
        result = subprocess.run(["make", "-n", target], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr


def test_ci_runs_the_readme_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^make test$", ci, re.M), ".ci/run must call the README's test command"
