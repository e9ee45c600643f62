"""``python -m qiloop synth`` as a user runs it: help, clear errors for bad arguments, success."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qiloop.cli import main


def qiloop(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QILOOP_PROGRESS": "0"}
    return subprocess.run([sys.executable, "-m", "qiloop", *args], capture_output=True, text=True, env=env, timeout=120)


def test_help_describes_the_command() -> None:
    result = qiloop("synth", "--help")
    assert result.returncode == 0
    for option in ("--practices", "--patients", "--seed", "--out", "--format", "--start", "--end", "truth.json"):
        assert option in result.stdout


BAD_ARGUMENTS = [
    (["--patients", "0"], 1, "--patients must be at least 1"),
    (["--practices", "0"], 1, "--practices must be at least 1"),
    (["--practices", "5", "--patients", "3"], 1, "smaller than --practices"),
    (["--start", "2025-01-01", "--end", "2024-01-01"], 1, "must be before --end"),
    (["--start", "01/04/2021"], 2, "not a date in YYYY-MM-DD form"),
    (["--format", "xlsx"], 2, "invalid choice"),
]


def _argv(tmp_path: Path, args: list[str]) -> list[str]:
    base = {"--practices": "2", "--patients": "500", "--out": str(tmp_path / "out")}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    return ["synth", *[item for pair in base.items() for item in pair]]


def test_bad_argument_in_a_subprocess_exits_1_without_traceback(tmp_path: Path) -> None:
    result = qiloop(*_argv(tmp_path, ["--patients", "0"]))
    assert result.returncode == 1
    assert "error: --patients must be at least 1" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("args", "code", "message"), BAD_ARGUMENTS)
def test_bad_arguments_give_a_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], code: int, message: str
) -> None:
    """The same checks in-process (starting Python for each costs seconds on a busy CI machine)."""
    try:
        returned = main(_argv(tmp_path, args))
    except SystemExit as exit_:  # argparse usage errors
        returned = int(exit_.code or 0)
    assert returned == code
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()  # nothing written when the arguments are wrong


def test_writes_csv_network(tmp_path: Path) -> None:
    out = tmp_path / "net"
    result = qiloop(
        "synth", "--practices", "2", "--patients", "800", "--seed", "4", "--out", str(out), "--format", "csv",
        "--start", "2024-04-01", "--end", "2025-03-31",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "wrote 2 practices" in result.stdout
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        ["practices.csv", "patients.csv", "practice_registrations.csv", "clinical_events.csv", "medications.csv",
         "appointments.csv", "truth.json"]
    )  # fmt: skip
    truth = json.loads((out / "truth.json").read_text())
    assert truth["parameters"] == {
        "practices": 2, "patients": 800, "seed": 4, "start": "2024-04-01", "end": "2025-03-31", "format": "csv"
    }  # fmt: skip
    assert (out / "practices.csv").read_text().splitlines()[0] == "practice_id,name,pcn_id,pcn_name,icb_id,icb_name"
    header, first = (out / "patients.csv").read_text().splitlines()[:2]
    assert header == "patient_id,date_of_birth,sex,date_of_death,ethnicity,imd_quintile"  # ehrQL-style, unquoted
    fields = first.split(",")
    assert dt.date.fromisoformat(fields[1]).day == 1
    assert fields[3] == "" or dt.date.fromisoformat(fields[3])


def test_refuses_to_mix_formats_or_write_over_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "patients.csv").write_text("patient_id\n")
    argv = ["synth", "--practices", "1", "--patients", "50", "--out", str(tmp_path)]
    assert main(argv) == 1
    assert "would mix two extracts" in capsys.readouterr().err
    assert not (tmp_path / "patients.parquet").exists()
    a_file = tmp_path / "patients.csv"
    assert main(["synth", "--practices", "1", "--patients", "50", "--out", str(a_file)]) == 1
    assert "is not a directory" in capsys.readouterr().err
