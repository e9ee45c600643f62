"""Spec tests for import: a valid extract goes in; each planted problem gives its exact message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from records_fixtures import valid_extract, with_cell, write_csv, write_parquet

from qiloop.errors import InputError
from qiloop.records.importer import import_extract
from qiloop.records.schema import TABLES


def _import_error(tmp_path: Path, extract) -> str:
    source = write_csv(tmp_path / "extract", extract)
    with pytest.raises(InputError) as info:
        import_extract(source, tmp_path / "store.duckdb")
    assert not (tmp_path / "store.duckdb").exists()
    return str(info.value)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_valid_extract_imports_every_table_with_types(tmp_path, fmt):
    extract = valid_extract()
    writer = write_csv if fmt == "csv" else write_parquet
    source = writer(tmp_path / "extract", extract)
    result = import_extract(source, tmp_path / "store.duckdb")
    assert result.tables == {name: len(rows) for name, (_, rows) in extract.items()}
    con = duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True)
    for table in TABLES:
        columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
            [table.name],
        ).fetchall()
        expected_types = {"str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "date": "DATE"}
        assert columns == [(c.name, expected_types[c.type]) for c in table.columns]
    # practice_pseudo_id is stored as practice_id; values and row order survive
    assert con.execute("SELECT patient_id, practice_id, end_date FROM practice_registrations").fetchall() == [
        (1, "P1", None),
        (2, "P1", dt.date(2023, 6, 14)),
        (3, "P2", dt.date(2015, 1, 31)),
        (3, "P1", None),
        (4, "P2", None),
    ]
    assert con.execute("SELECT numeric_value FROM clinical_events").fetchall() == [(142.0,), (48.5,), (None,), (88.0,)]
    # optional columns absent from the ehrQL layout are stored as nulls
    assert con.execute("SELECT count(*) FROM patients WHERE ethnicity IS NULL AND imd_quintile IS NULL").fetchone() == (
        4,
    )


CELL_CASES = [
    # table, data row (0-based), column as in the file, bad value, expected message after "file:line: "
    ("clinical_events", 1, "date", "2024-13-01", "column date: '2024-13-01' is not a date (expected YYYY-MM-DD)"),
    ("clinical_events", 0, "date", "2023-02-30", "column date: '2023-02-30' is not a date (expected YYYY-MM-DD)"),
    ("clinical_events", 0, "date", "2023-2-3", "column date: '2023-2-3' is not a date (expected YYYY-MM-DD)"),
    ("clinical_events", 2, "numeric_value", "high", "column numeric_value: 'high' is not a number"),
    ("clinical_events", 3, "snomedct_code", "", "column snomedct_code: empty, but a value is required"),
    ("patients", 2, "patient_id", "3.5", "column patient_id: '3.5' is not a whole number"),
    ("patients", 1, "patient_id", "0", "column patient_id: '0' is below the minimum 1"),
    (
        "patients",
        0,
        "sex",
        "F",
        "column sex: 'F' is not allowed (expected one of: female, male, intersex, unknown)",
    ),
    ("patients", 3, "sex", "", "column sex: empty, but a value is required"),
    (
        "patients",
        1,
        "date_of_birth",
        "1972-11-17",
        "column date_of_birth: '1972-11-17' is not the first of a month "
        "(date_of_birth is recorded as the first of its month, e.g. 1972-11-01)",
    ),
    (
        "patients",
        0,
        "date_of_death",
        "yesterday",
        "column date_of_death: 'yesterday' is not a date (expected YYYY-MM-DD)",
    ),
    ("practice_registrations", 4, "start_date", "", "column start_date: empty, but a value is required"),
    (
        "practice_registrations",
        0,
        "practice_pseudo_id",
        "",
        "column practice_pseudo_id: empty, but a value is required",
    ),
    ("medications", 1, "patient_id", "two", "column patient_id: 'two' is not a whole number"),
    ("medications", 0, "dmd_code", "", "column dmd_code: empty, but a value is required"),
    ("practices", 1, "icb_id", "", "column icb_id: empty, but a value is required"),
    (
        "appointments",
        0,
        "status",
        "seen",
        "column status: 'seen' is not allowed "
        "(expected one of: booked, attended, did_not_attend, cancelled_by_patient, cancelled_by_practice)",
    ),
    (
        "appointments",
        1,
        "booked_date",
        "01/03/2023",
        "column booked_date: '01/03/2023' is not a date (expected YYYY-MM-DD)",
    ),
    ("appointments", 1, "appointment_id", "-4", "column appointment_id: '-4' is below the minimum 1"),
]


@pytest.mark.parametrize(("table", "row", "column", "value", "message"), CELL_CASES)
def test_bad_cell_is_reported_with_file_line_column_and_value(tmp_path, table, row, column, value, message):
    error = _import_error(tmp_path, with_cell(valid_extract(), table, row, column, value))
    assert f"\n{table}.csv:{row + 2}: {message}\n" in error


def test_imd_quintile_range_checked_when_present(tmp_path):
    extract = valid_extract()
    header, rows = extract["patients"]
    extract["patients"] = (header + ["ethnicity", "imd_quintile"], [r + ["white", "3"] for r in rows])
    extract["patients"][1][2][5] = "7"
    error = _import_error(tmp_path, extract)
    assert "\npatients.csv:4: column imd_quintile: '7' is above the maximum 5\n" in error


def test_duplicate_key_names_both_lines(tmp_path):
    extract = valid_extract()
    extract["patients"][1].append(["2", "female", "1980-01-01", ""])
    error = _import_error(tmp_path, extract)
    assert (
        "\npatients.csv:6: column patient_id: '2' appears again (first on line 3); each patient_id must be unique\n"
        in error
    )


def test_duplicate_registration_key(tmp_path):
    extract = valid_extract()
    extract["practice_registrations"][1].append(["1", "2000-01-01", "2001-01-01", "P1"])
    error = _import_error(tmp_path, extract)
    assert (
        "\npractice_registrations.csv:7: columns patient_id, practice_pseudo_id, start_date: '1', 'P1', '2000-01-01' "
        "repeat line 2; each (patient_id, practice_pseudo_id, start_date) must appear once — remove the duplicate\n"
    ) in error


def test_orphan_patient_ids_in_every_dependent_table(tmp_path):
    extract = valid_extract()
    for table, row in [("practice_registrations", 0), ("clinical_events", 2), ("medications", 1), ("appointments", 0)]:
        extract = with_cell(extract, table, row, "patient_id", "99")
    error = _import_error(tmp_path, extract)
    message = "column patient_id: '99' is not in patients.csv (every patient must have a row there; add it or remove this row)"
    for where in ["practice_registrations.csv:2", "clinical_events.csv:4", "medications.csv:3", "appointments.csv:2"]:
        assert f"\n{where}: {message}" in error


def test_registration_at_unknown_practice(tmp_path):
    error = _import_error(tmp_path, with_cell(valid_extract(), "practice_registrations", 2, "practice_pseudo_id", "P9"))
    assert "\npractice_registrations.csv:4: column practice_pseudo_id: 'P9' is not in practices.csv" in error


def test_unknown_practice_allowed_when_no_practices_table(tmp_path):
    extract = with_cell(valid_extract(), "practice_registrations", 2, "practice_pseudo_id", "P9")
    del extract["practices"]
    result = import_extract(write_csv(tmp_path / "extract", extract), tmp_path / "store.duckdb")
    assert "practices" not in result.tables


def test_end_before_start(tmp_path):
    error = _import_error(tmp_path, with_cell(valid_extract(), "practice_registrations", 2, "end_date", "2000-01-01"))
    assert (
        "\npractice_registrations.csv:4: column end_date: '2000-01-01' is before start_date '2001-02-01' "
        "(end_date must be empty or on or after start_date)\n"
    ) in error


def test_unknown_column_is_named(tmp_path):
    extract = valid_extract()
    header, rows = extract["clinical_events"]
    extract["clinical_events"] = (header + ["ctv3_code"], [r + ["X"] for r in rows])
    error = _import_error(tmp_path, extract)
    assert error.startswith("clinical_events.csv:1: unknown column 'ctv3_code'")


def test_missing_required_column_is_named(tmp_path):
    extract = valid_extract()
    header, rows = extract["patients"]
    keep = [i for i, h in enumerate(header) if h != "sex"]
    extract["patients"] = ([header[i] for i in keep], [[r[i] for i in keep] for r in rows])
    assert _import_error(tmp_path, extract).startswith("patients.csv:1: missing column 'sex'")


def test_missing_required_table(tmp_path):
    extract = valid_extract()
    del extract["practice_registrations"]
    error = _import_error(tmp_path, extract)
    assert "missing required table practice_registrations" in error


def test_file_not_named_after_a_table(tmp_path):
    source = write_csv(tmp_path / "extract", valid_extract())
    (source / "patient.csv").write_text("patient_id\n1\n")
    with pytest.raises(InputError, match=r"patient.csv: not a table of the canonical schema"):
        import_extract(source, tmp_path / "store.duckdb")


def test_truncated_line_names_its_physical_line(tmp_path):
    source = write_csv(tmp_path / "extract", valid_extract())
    path = source / "clinical_events.csv"
    lines = path.read_text().splitlines()
    lines[3] = "2,2022-05-02"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        import_extract(source, tmp_path / "store.duckdb")
    assert "\nclinical_events.csv:4: expected 4 fields but found 2 (is the line truncated?)" in str(info.value)


def test_line_numbers_count_blank_lines_and_quoted_line_breaks(tmp_path):
    source = write_csv(tmp_path / "extract", valid_extract())
    (source / "practices.csv").write_text(
        "practice_id,name,pcn_id,pcn_name,icb_id,icb_name\n"
        'P1,"Riverside\nSurgery",N1,North,I1,ICB\n'  # lines 2-3
        "\n"  # line 4, blank
        "P2,Hill,N1,North,,ICB\n"  # line 5: icb_id empty
    )
    with pytest.raises(InputError) as info:
        import_extract(source, tmp_path / "store.duckdb")
    assert "\npractices.csv:5: column icb_id: empty, but a value is required\n" in str(info.value)


def test_parquet_errors_name_the_row(tmp_path):
    extract = with_cell(valid_extract(), "patients", 2, "sex", "x")
    source = write_parquet(tmp_path / "extract", extract)
    with pytest.raises(InputError) as info:
        import_extract(source, tmp_path / "store.duckdb")
    assert "\npatients.parquet: row 3: column sex: 'x' is not allowed" in str(info.value)


def test_parquet_with_text_columns_is_validated_like_csv(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = write_csv(tmp_path / "extract", valid_extract())
    (source / "medications.csv").unlink()
    pq.write_table(
        pa.table({"patient_id": ["1", "2"], "date": ["2023-02-01", "2023-02-31"], "dmd_code": ["1", "2"]}),
        source / "medications.parquet",
    )
    with pytest.raises(InputError) as info:
        import_extract(source, tmp_path / "store.duckdb")
    assert "\nmedications.parquet: row 2: column date: '2023-02-31' is not a date (expected YYYY-MM-DD)\n" in str(
        info.value
    )


def test_problems_are_collected_up_to_twenty(tmp_path):
    extract = valid_extract()
    header, rows = extract["medications"]
    extract["medications"] = (header, [["1", f"2023-02-{30 + i % 2}", "329653008"] for i in range(30)])
    error = _import_error(tmp_path, extract)
    listed = [line for line in error.splitlines() if line.startswith("medications.csv:")]
    assert len(listed) == 20
    assert "stopping at the first 20" in error
    # every other row is bad (Feb 30 and Feb 31 both are): lines 2..21
    assert listed[0].startswith("medications.csv:2: ") and listed[-1].startswith("medications.csv:21: ")


def test_a_problem_in_one_file_does_not_hide_problems_in_others(tmp_path):
    extract = with_cell(valid_extract(), "patients", 0, "sex", "f")
    extract = with_cell(extract, "medications", 0, "date", "2023")
    error = _import_error(tmp_path, extract)
    assert "\npatients.csv:2: column sex:" in error and "\nmedications.csv:2: column date:" in error


def test_ehrql_example_data_layout_loads_unchanged(tmp_path):
    """Exactly the four core files of ehrQL's example data, with its headers (our own rows)."""
    source = tmp_path / "extract"
    source.mkdir()
    (source / "patients.csv").write_text("patient_id,sex,date_of_birth,date_of_death\n1,female,1960-04-01,\n")
    (source / "practice_registrations.csv").write_text(
        "patient_id,start_date,end_date,practice_pseudo_id\n1,1990-01-01,,7\n"
    )
    (source / "clinical_events.csv").write_text("patient_id,date,snomedct_code,numeric_value\n1,2020-02-02,44054006,\n")
    (source / "medications.csv").write_text("patient_id,date,dmd_code\n1,2020-03-03,329653008\n")
    result = import_extract(source, tmp_path / "store.duckdb")
    assert result.tables == {"patients": 1, "practice_registrations": 1, "clinical_events": 1, "medications": 1}
    con = duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True)
    assert con.execute("SELECT practice_id FROM practice_registrations").fetchall() == [("7",)]


def test_store_that_is_a_directory_is_refused(tmp_path):
    source = write_csv(tmp_path / "extract", valid_extract())
    (tmp_path / "store.duckdb").mkdir()
    with pytest.raises(InputError, match="is a directory"):
        import_extract(source, tmp_path / "store.duckdb")


def test_windows_line_endings_byte_order_mark_and_quoted_commas(tmp_path):
    source = write_csv(tmp_path / "extract", valid_extract())
    (source / "practices.csv").write_bytes(
        b"\xef\xbb\xbfpractice_id,name,pcn_id,pcn_name,icb_id,icb_name\r\n"
        b'P1,"Riverside, Surgery",N1,North,I1,ICB\r\n'
        b"P2,Hill,N1,North,I1,ICB\r\n"
    )
    import_extract(source, tmp_path / "store.duckdb")
    con = duckdb.connect(str(tmp_path / "store.duckdb"), read_only=True)
    assert con.execute("SELECT name FROM practices").fetchall() == [("Riverside, Surgery",), ("Hill",)]
    con.close()
    (source / "practices.csv").write_bytes(
        b"\xef\xbb\xbfpractice_id,name,pcn_id,pcn_name,icb_id,icb_name\r\n"
        b'P1,"Riverside, Surgery",N1,North,I1,ICB\r\n'
        b"P2,Hill,N1,North,,ICB\r\n"
    )
    with pytest.raises(InputError) as info:
        import_extract(source, tmp_path / "store.duckdb")
    assert "\npractices.csv:3: column icb_id: empty, but a value is required\n" in str(info.value)


def test_not_utf8_names_the_line(tmp_path):
    source = write_csv(tmp_path / "extract", valid_extract())
    path = source / "medications.csv"
    path.write_bytes(path.read_bytes() + b"1,2023-05-01,\xff\xfe\n")
    with pytest.raises(InputError) as info:
        import_extract(source, tmp_path / "store.duckdb")
    assert "\nmedications.csv:4: the line is not UTF-8 text (save the file as UTF-8 CSV)\n" in str(info.value)


def test_unterminated_quote_names_its_line(tmp_path):
    source = write_csv(tmp_path / "extract", valid_extract())
    path = source / "medications.csv"
    path.write_text(path.read_text() + '1,2023-05-01,"329653008\n')
    with pytest.raises(InputError) as info:
        import_extract(source, tmp_path / "store.duckdb")
    assert "\nmedications.csv:4: not valid CSV" in str(info.value)
