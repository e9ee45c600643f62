"""The CLI shell: help, usage errors and exit codes, as a user runs it."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qiloop.cli import build_parser


def run_qiloop(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qiloop", *args], capture_output=True, text=True, timeout=120)


def subcommand_names() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[arg-type]


def test_help_lists_exit_codes_and_commands():
    result = run_qiloop("--help")
    assert result.returncode == 0
    assert "exit codes" in result.stdout
    for name in subcommand_names():
        assert name in result.stdout


def test_no_command_is_a_usage_error():
    result = run_qiloop()
    assert result.returncode == 2


def test_unknown_option_is_a_usage_error_without_traceback():
    result = run_qiloop("--no-such-option")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "hint" in result.stderr


@pytest.mark.parametrize("name", subcommand_names())
def test_every_subcommand_has_help(name):
    result = run_qiloop(name, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: qiloop " + name in result.stdout
    # a description, not just the usage line
    assert len(result.stdout.strip().splitlines()) > 3


def test_output_into_a_closed_pipe_is_not_an_internal_error():
    import subprocess as sp

    producer = sp.Popen([sys.executable, "-m", "qiloop", "measures", "list"], stdout=sp.PIPE, stderr=sp.PIPE)
    assert producer.stdout is not None
    producer.stdout.close()  # the reader has gone before qiloop writes, like `| head -0`
    _, err = producer.communicate(timeout=120)
    assert b"internal error" not in err
    assert b"Traceback" not in err
