"""The code-list reader rejects malformed files, naming file, line and code."""

from __future__ import annotations

from pathlib import Path

import pytest

from qiloop.codelists import load_file, read_codelist_csv
from qiloop.errors import InputError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mylist.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_codes_and_terms(tmp_path):
    path = write(
        tmp_path, 'code,term\n13645005,Chronic obstructive pulmonary disease\n195951007,"Acute exacerbation, COPD"\n'
    )
    assert read_codelist_csv(path) == {
        "13645005": "Chronic obstructive pulmonary disease",
        "195951007": "Acute exacerbation, COPD",
    }


def test_blank_lines_are_ignored(tmp_path):
    path = write(tmp_path, "code,term\n\n13645005,COPD\n\n")
    assert list(read_codelist_csv(path)) == ["13645005"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("id,term\n13645005,COPD\n", "line 1: missing header"),
        ("13645005,COPD\n", "line 1: missing header"),
        ("", "line 1: missing header"),
        ("code,term\n13645005,COPD\nH33..,Asthma\n", "line 3: malformed code 'H33..'"),
        ("code,term\n12345,too short\n", "line 2: malformed code '12345'"),
        ("code,term\n1234567890123456789,too long\n", "line 2: malformed code '1234567890123456789'"),
        ("code,term\n13645005.0,float\n", "line 2: malformed code '13645005.0'"),
        ("code,term\n013645005,leading zero\n", "line 2: malformed code '013645005'"),
        ("code,term\n13645005,COPD\n195951007,Exacerbation\n13645005,COPD again\n", "line 4: duplicate code 13645005"),
        ("code,term\n13645005,COPD,extra\n", "line 2: expected 2 columns"),
        ("code,term\n", "has no codes"),
    ],
)
def test_malformed_files_are_rejected_with_line_and_code(tmp_path, text, fragment):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as excinfo:
        read_codelist_csv(path)
    message = str(excinfo.value)
    assert fragment in message
    assert "mylist.csv" in message


def test_duplicate_message_names_first_line(tmp_path):
    path = write(tmp_path, "code,term\n13645005,COPD\n13645005,COPD\n")
    with pytest.raises(InputError, match=r"first on line 2"):
        read_codelist_csv(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_codelist_csv(tmp_path / "absent.csv")


def test_load_file_builds_a_codelist(tmp_path):
    path = write(tmp_path, "code,term\n319733000,Warfarin 1mg tablets\n")
    codelist = load_file(path, name="local_warfarin", system="dmd", version="2026-01")
    assert codelist.codes == frozenset({"319733000"})
    assert codelist.table == "medications" and codelist.column == "dmd_code"
    assert codelist.label == "local_warfarin@2026-01"
    assert codelist.term("319733000") == "Warfarin 1mg tablets"


def test_load_file_rejects_unknown_system(tmp_path):
    path = write(tmp_path, "code,term\n319733000,Warfarin 1mg tablets\n")
    with pytest.raises(InputError, match="unknown coding system"):
        load_file(path, name="x", system="read2", version="1")  # type: ignore[arg-type]
