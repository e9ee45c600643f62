"""The data-quality report finds each planted problem with the right count, and nothing in a clean extract."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from records_fixtures import valid_extract, write_csv

from qiloop.records.importer import import_extract
from qiloop.records.quality import quality_report

AS_OF = dt.date(2024, 6, 1)
KNOWN = {
    "snomedct": frozenset(
        {
            "72313002",
            "999791000000106",
            "44054006",
            "1011481000000105",
            "73211009",
            "75367002",
            "271649006",
            "163030003",
        }
    ),
    "dmd": frozenset({"329653008", "317291008"}),
}


def _store(tmp_path, extract):
    source = write_csv(tmp_path / "extract", extract)
    import_extract(source, tmp_path / "store.duckdb")
    return tmp_path / "store.duckdb"


def planted_extract():
    extract = valid_extract()
    extract["patients"][1].extend(
        [
            ["5", "male", "2000-01-01", "1999-05-05"],  # death before birth
            ["6", "female", "1990-01-01", ""],  # never registered
        ]
    )
    extract["practice_registrations"][1].extend(
        [
            ["1", "2010-01-01", "", "P2"],  # overlaps patient 1's open registration at P1
            ["5", "2000-01-01", "", "P1"],
        ]
    )
    extract["clinical_events"][1].extend(
        [
            ["1", "2025-01-01", "72313002", "130"],  # future (row 5)
            ["1", "2025-02-01", "72313002", "131"],  # future
            ["2", "2023-07-01", "44054006", ""],  # after death x3
            ["2", "2023-08-01", "73211009", ""],
            ["2", "2024-01-01", "75367002", ""],
            ["3", "2023-05-05", "271649006", "400"],  # systolic x2
            ["3", "2023-05-06", "163030003", "30"],
            ["3", "2023-05-07", "999791000000106", "999"],  # HbA1c
            ["3", "2023-05-08", "1011481000000105", "250"],  # eGFR
            ["1", "2023-05-09", "44054006", "-5"],  # negative
            ["1", "2023-05-10", "123456", ""],  # unknown code x2
            ["3", "2023-05-11", "123456", ""],
        ]
    )
    extract["medications"][1].extend(
        [
            ["4", "2019-01-01", "329653008"],  # before birth (born 2019-07)
            ["1", "2023-03-01", "317291008"],  # three copies: two repeats
            ["1", "2023-03-01", "317291008"],
            ["1", "2023-03-01", "317291008"],
            ["1", "2023-04-01", "999999"],  # unknown dm+d code
        ]
    )
    extract["appointments"][1].extend(
        [
            ["12", "1", "P1", "2024-05-01", "2024-07-01", "attended", "video", "gp", "C1"],  # outcome in future
            ["13", "3", "P1", "2024-01-01", "2024-02-01", "booked", "telephone", "gp", "C1"],  # booked in past
            ["14", "3", "P1", "2024-03-05", "2024-03-01", "attended", "telephone", "gp", "C2"],  # start before booking
        ]
    )
    return extract


def test_clean_extract_has_no_findings(tmp_path):
    report = quality_report(_store(tmp_path, valid_extract()), as_of=AS_OF, known_codes=KNOWN)
    assert report.findings == []
    assert "No problems found." in report.summary_text()


def test_each_planted_problem_is_found_with_its_count(tmp_path):
    report = quality_report(_store(tmp_path, planted_extract()), as_of=AS_OF, known_codes=KNOWN)
    got = sorted((f.id, f.table, f.count) for f in report.findings)
    assert got == sorted(
        [
            ("future_date", "clinical_events", 2),
            ("after_death", "clinical_events", 3),
            ("before_birth", "medications", 1),
            ("death_before_birth", "patients", 1),
            ("implausible_value", "clinical_events", 2),
            ("implausible_value", "clinical_events", 1),
            ("implausible_value", "clinical_events", 1),
            ("negative_value", "clinical_events", 1),
            ("overlapping_registrations", "practice_registrations", 1),
            ("duplicate_rows", "medications", 2),
            ("outcome_in_future", "appointments", 1),
            ("booked_in_past", "appointments", 1),
            ("start_before_booking", "appointments", 1),
            ("never_registered", "patients", 1),
            ("unknown_code", "clinical_events", 2),
            ("unknown_code", "medications", 1),
        ]
    )
    implausible = {f.title.split(" outside")[0]: f.count for f in report.finding("implausible_value")}
    assert implausible == {"systolic blood pressure": 2, "HbA1c": 1, "eGFR": 1}
    (future,) = report.finding("future_date")
    assert future.example == "clinical_events row 5 (patient_id 1)"
    (overlap,) = report.finding("overlapping_registrations")
    assert overlap.example == "practice_registrations row 6 (patient_id 1)"
    assert all(f.why and f.severity in ("error", "warning", "info") for f in report.findings)
    # errors are listed first
    assert [f.severity for f in report.findings] == sorted(
        (f.severity for f in report.findings), key=("error", "warning", "info").index
    )


def test_as_of_moves_the_future(tmp_path):
    report = quality_report(_store(tmp_path, planted_extract()), as_of=dt.date(2025, 3, 1), known_codes=KNOWN)
    assert report.finding("future_date") == []
    assert report.finding("outcome_in_future") == []
    (booked,) = report.finding("booked_in_past")
    assert booked.count == 1


def test_completeness_per_column(tmp_path):
    report = quality_report(_store(tmp_path, planted_extract()), as_of=AS_OF, known_codes=KNOWN)
    by_column = {(c.table, c.column): (c.filled, c.rows) for c in report.completeness}
    assert by_column[("patients", "date_of_death")] == (2, 6)
    assert by_column[("patients", "ethnicity")] == (0, 6)
    assert by_column[("clinical_events", "numeric_value")] == (3 + 7, 16)  # 3 of 4 base rows, 7 of 12 planted rows
    assert by_column[("patients", "patient_id")] == (6, 6)
    assert "patients.date_of_death: 33.3% (4 of 6 empty; empty while the patient is alive)" in report.summary_text()


def test_no_code_lists_skips_the_code_check_with_a_note(tmp_path):
    report = quality_report(
        _store(tmp_path, planted_extract()), as_of=AS_OF, known_codes_loader=lambda: {"snomedct": frozenset()}
    )
    assert report.finding("unknown_code") == []
    assert any("no code lists" in n for n in report.notes)


def test_json_form_is_machine_readable(tmp_path):
    report = quality_report(_store(tmp_path, planted_extract()), as_of=AS_OF, known_codes=KNOWN)
    data = json.loads(report.to_json())
    assert data["as_of"] == "2024-06-01"
    assert {"id", "severity", "table", "count", "example", "why_it_matters"} <= set(data["findings"][0])
    assert len(data["findings"]) == len(report.findings)


@pytest.mark.parametrize("store_name", ["missing.duckdb"])
def test_missing_store_is_an_input_error(tmp_path, store_name):
    from qiloop.errors import InputError

    with pytest.raises(InputError, match="no such store"):
        quality_report(tmp_path / store_name)


def test_duplicate_count_matches_a_plain_python_count(tmp_path):
    import random
    from collections import Counter

    rng = random.Random(7)
    extract = valid_extract()
    header, rows = extract["medications"]
    # few distinct values, so many rows repeat; patient 1..4 all exist
    new_rows = [
        [str(rng.randint(1, 4)), f"2023-0{rng.randint(1, 3)}-01", rng.choice(["329653008", "317291008"])]
        for _ in range(300)
    ]
    extract["medications"] = (header, new_rows)
    expected = sum(n - 1 for n in Counter(tuple(r) for r in new_rows).values())
    report = quality_report(_store(tmp_path, extract), as_of=AS_OF, known_codes=KNOWN)
    (dup,) = report.finding("duplicate_rows", "medications")
    assert dup.count == expected
    first_repeat = next(i for i, r in enumerate(new_rows) if r in new_rows[:i])
    assert dup.example is not None and dup.example.startswith(f"medications row {first_repeat + 1} ")


def test_store_with_only_the_required_tables(tmp_path):
    extract = {name: valid_extract()[name] for name in ("patients", "practice_registrations")}
    report = quality_report(_store(tmp_path, extract), as_of=AS_OF, known_codes=KNOWN)
    assert report.findings == []
    assert {c.table for c in report.completeness} == {"patients", "practice_registrations"}
