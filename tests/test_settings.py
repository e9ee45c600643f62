"""qiloop.settings: the one place the library reads QILOOP_* variables."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from qiloop import progress, settings
from qiloop.errors import InputError
from qiloop.records import pseudonym

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "src" / "qiloop"


def test_no_library_module_but_settings_reads_a_qiloop_variable() -> None:
    reading = re.compile(r"(os\.environ\.get|os\.getenv|os\.environ\[)\(?\s*[\"']QILOOP_")
    offenders = [
        str(path.relative_to(ROOT))
        for path in LIBRARY.rglob("*.py")
        if path.name != "settings.py" and reading.search(path.read_text(encoding="utf-8"))
    ]
    # the benches set variables for the processes they start; setting is not reading
    assert offenders == [] or all("bench" in o for o in offenders), offenders
    named = set(re.findall(r"QILOOP_[A-Z_]+", "\n".join(p.read_text() for p in LIBRARY.rglob("*.py"))))
    named -= {"QILOOP_VAR_DIR"}  # the web bench's child workbench, read by the workbench's own settings
    assert named <= set(settings.VARIABLES), named - set(settings.VARIABLES)


def test_docs_settings_is_generated_from_the_variables() -> None:
    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == settings.markdown()


def test_a_changed_variable_is_seen_and_an_unchanged_one_is_not_parsed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QILOOP_PROGRESS", "1")
    first = settings.current()
    assert first.progress is True and progress.progress_enabled()
    assert settings.current() is first  # parsed once
    monkeypatch.setenv("QILOOP_PROGRESS", "0")
    assert settings.current().progress is False and not progress.progress_enabled()


def test_a_bad_value_is_refused_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QILOOP_SPARK_PARTITIONS", "-2")
    with pytest.raises(InputError, match="QILOOP_SPARK_PARTITIONS='-2'"):
        settings.current()


def test_the_key_comes_from_the_environment_through_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QILOOP_PSEUDONYM_KEY", "  a-long-enough-test-key  \n")
    assert pseudonym.load_key(None) == b"a-long-enough-test-key"
    monkeypatch.setenv("QILOOP_PSEUDONYM_KEY", "short")
    with pytest.raises(InputError, match="too short"):
        pseudonym.load_key(None)
    monkeypatch.delenv("QILOOP_PSEUDONYM_KEY")
    assert pseudonym.load_key(None) is None


def test_the_doctests() -> None:
    result = doctest.testmod(settings, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6 and result.failed == 0


def test_the_spark_driver_memory_is_read_as_a_size_and_given_to_spark_in_its_notation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from qiloop.measures.engine.connection import spark_size

    monkeypatch.setenv("QILOOP_SPARK_DRIVER_MEMORY", " 8gb ")
    assert settings.current().spark_driver_memory == "8GB"
    assert spark_size(settings.current().spark_driver_memory) == "8g"
    monkeypatch.setenv("QILOOP_SPARK_DRIVER_MEMORY", "lots")
    with pytest.raises(InputError, match="QILOOP_SPARK_DRIVER_MEMORY='lots'"):
        settings.current()
    monkeypatch.delenv("QILOOP_SPARK_DRIVER_MEMORY")
    assert settings.current().spark_driver_memory is None
