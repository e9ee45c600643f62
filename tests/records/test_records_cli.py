"""``qiloop import``, ``quality`` and ``demo`` run as a user would: exit codes, messages, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from records_fixtures import valid_extract, with_cell, write_csv

from qiloop.cli import main

KEY = "cli-test-key-0123456789abcdef"


def subprocess_qiloop(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m qiloop ARGS`` in a child process (slow to start: used for a few end-to-end checks)."""
    env = {k: v for k, v in os.environ.items() if k != "QILOOP_PSEUDONYM_KEY"}
    env["QILOOP_PROGRESS"] = "0"
    return subprocess.run([sys.executable, "-m", "qiloop", *args], capture_output=True, text=True, env=env, timeout=300)


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def qiloop(capsys, monkeypatch):
    """Run the CLI in-process (the same ``main`` as ``python -m qiloop``), capturing its output."""
    monkeypatch.delenv("QILOOP_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("QILOOP_PROGRESS", "0")

    def run(*args: str, env: dict[str, str] | None = None) -> Ran:
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        try:
            code = main(list(args))
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        for name in env or {}:
            monkeypatch.delenv(name)
        return Ran(code, out, err)

    return run


def test_import_then_quality_as_subprocesses(tmp_path, qiloop):
    source = write_csv(tmp_path / "extract", valid_extract())
    store = tmp_path / "store.duckdb"
    done = subprocess_qiloop("import", str(source), "--store", str(store))
    assert done.returncode == 0, done.stderr
    assert "imported 19 rows" in done.stdout
    report = subprocess_qiloop("quality", "--store", str(store), "--as-of", "2024-06-01")
    assert report.returncode == 0, report.stderr
    assert "Completeness (share of rows with a value)" in report.stdout
    as_json = qiloop("quality", "--store", str(store), "--as-of", "2024-06-01", "--json")
    assert json.loads(as_json.stdout)["as_of"] == "2024-06-01"


def test_bad_cell_exits_1_with_located_message_and_no_traceback_as_subprocess(tmp_path):
    source = write_csv(tmp_path / "extract", with_cell(valid_extract(), "clinical_events", 1, "date", "2024-13-01"))
    done = subprocess_qiloop("import", str(source), "--store", str(tmp_path / "store.duckdb"))
    assert done.returncode == 1
    assert "clinical_events.csv:3: column date: '2024-13-01' is not a date (expected YYYY-MM-DD)" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "store.duckdb").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["import", "{tmp}/nowhere", "--store", "{tmp}/s.duckdb"], "not a directory"),
        (["import", "{tmp}/extract", "--store", "{tmp}/no/such/dir/s.duckdb"], "does not exist"),
        (["quality", "--store", "{tmp}/missing.duckdb"], "no such store"),
        (["quality", "--store", "{tmp}/extract/patients.csv"], "not a DuckDB database"),
    ],
)
def test_user_errors_exit_1_without_traceback(tmp_path, qiloop, args, expected):
    write_csv(tmp_path / "extract", valid_extract())
    done = qiloop(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert done.returncode == 1, done.stderr
    assert expected in done.stderr and "Traceback" not in done.stderr


def test_usage_errors_exit_2(tmp_path, qiloop):
    assert qiloop("import").returncode == 2
    assert qiloop("quality", "--store", "x", "--as-of", "31/12/2024").returncode == 2
    assert qiloop("demo", "--patients", "0").returncode == 2


def test_nhs_numbers_need_a_key_and_use_the_key_file(tmp_path, qiloop):
    extract = valid_extract()
    header, rows = extract["patients"]
    extract["patients"] = (
        header + ["nhs_number"],
        [r + ["9434765919"] for r in rows[:1]] + [r + [""] for r in rows[1:]],
    )
    source = write_csv(tmp_path / "extract", extract)
    store = tmp_path / "store.duckdb"
    missing = qiloop("import", str(source), "--store", str(store))
    assert missing.returncode == 1 and "no pseudonymisation key" in missing.stderr
    key_file = tmp_path / "key.txt"
    key_file.write_text(KEY + "\n")
    done = qiloop("import", str(source), "--store", str(store), "--key-file", str(key_file))
    assert done.returncode == 0, done.stderr
    assert "NHS numbers pseudonymised" in done.stdout
    assert KEY not in done.stdout + done.stderr and "9434765919" not in done.stdout + done.stderr
    via_env = qiloop("import", str(source), "--store", str(tmp_path / "s2.duckdb"), env={"QILOOP_PSEUDONYM_KEY": KEY})
    assert via_env.returncode == 0, via_env.stderr


def test_help_describes_every_option(qiloop):
    for command, options in [
        ("import", ["--store", "--key-file", "SOURCE_DIR"]),
        ("quality", ["--store", "--json", "--as-of"]),
        ("demo", ["--dir", "--practices", "--patients", "--seed", "--fresh"]),
    ]:
        done = qiloop(command, "--help")
        assert done.returncode == 0
        for option in options:
            assert option in done.stdout


@pytest.mark.slow
def test_demo_builds_then_reuses_its_store(tmp_path, qiloop):
    directory = tmp_path / "demo"
    first = subprocess_qiloop("demo", "--dir", str(directory), "--practices", "2", "--patients", "600", "--seed", "3")
    assert first.returncode == 0, first.stderr
    assert "generating a synthetic network" in first.stdout
    assert "Completeness (share of rows with a value)" in first.stdout
    store_bytes = (directory / "store.duckdb").read_bytes()
    second = qiloop("demo", "--dir", str(directory), "--practices", "2", "--patients", "600", "--seed", "3")
    assert second.returncode == 0, second.stderr
    assert "reusing the demo store" in second.stdout
    assert (directory / "store.duckdb").read_bytes() == store_bytes
    third = qiloop("demo", "--dir", str(directory), "--practices", "2", "--patients", "700", "--seed", "3")
    assert "generating a synthetic network" in third.stdout


def test_demo_dir_that_is_a_file(tmp_path, qiloop):
    (tmp_path / "file").write_text("x")
    done = qiloop("demo", "--dir", str(tmp_path / "file"))
    assert done.returncode == 1 and "not a directory" in done.stderr and "Traceback" not in done.stderr


def test_stray_files_are_not_left_behind(tmp_path, qiloop):
    source = write_csv(tmp_path / "extract", with_cell(valid_extract(), "patients", 0, "sex", "?"))
    qiloop("import", str(source), "--store", str(tmp_path / "store.duckdb"))
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["extract"]


def test_demo_command_defaults_match_the_library():
    from qiloop import demo as library
    from qiloop.commands import demo as command

    assert (command.DEFAULT_DIR, command.DEFAULT_PRACTICES, command.DEFAULT_PATIENTS, command.DEFAULT_SEED) == (
        library.DEFAULT_DIR,
        library.DEFAULT_PRACTICES,
        library.DEFAULT_PATIENTS,
        library.DEFAULT_SEED,
    )
