"""``qiloop import --from ehrql`` / ``qiloop convert ehrql``: the importer contract on ehrQL's table layout."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from convert_helpers import rows

from qiloop.cli import main
from qiloop.errors import InputError
from qiloop.records.convert import convert, import_from
from qiloop.records.quality import quality_report
from qiloop.records.store import BUILD_PREFIX


def write(folder: Path, name: str, header: list[str], rows: list[list[str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / f"{name}.csv").open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def ehrql_tables(folder: Path) -> Path:
    write(
        folder,
        "patients",
        ["patient_id", "sex", "date_of_birth", "date_of_death"],
        [["1", "female", "1950-03-01", ""], ["2", "male", "1980-06-01", ""], ["3", "unknown", "2001-01-01", ""]],
    )
    write(
        folder,
        "practice_registrations",
        ["patient_id", "start_date", "end_date", "practice_pseudo_id"],
        [
            ["1", "2000-01-01", "2022-12-31", "10"],
            ["1", "2023-01-01", "", "20"],
            ["2", "2010-05-01", "", "10"],
            ["3", "2001-02-01", "", "20"],
        ],
    )
    write(
        folder,
        "clinical_events",
        ["patient_id", "date", "snomedct_code", "ctv3_code", "numeric_value", "consultation_id"],
        [
            ["1", "2023-02-01", "72313002", "XaJ2E", "141", "7"],
            ["1", "2023-02-01", "", "XaJ2E", "141", "7"],
            ["2", "2023-03-04", "44054006", "", "", "8"],
        ],
    )
    write(
        folder,
        "medications",
        ["patient_id", "date", "dmd_code", "multilex_code"],
        [["1", "2023-02-01", "29984111000001107", "1"], ["2", "2023-02-02", "", "2"]],
    )
    write(
        folder,
        "appointments",
        ["patient_id", "booked_date", "start_date", "seen_date", "status"],
        [
            ["1", "2022-12-20", "2023-01-05", "2023-01-05", "Finished"],  # registered at 20 on the day
            ["1", "2022-11-01", "2022-11-02", "", "Did Not Attend"],  # at 10
            ["2", "2023-01-01", "2023-01-01", "", "Cancelled by Unit"],
            ["3", "", "2023-01-09", "", "Booked"],  # no booked date: dropped
            ["2", "2023-01-03", "2023-01-03", "", "Patient Walked Out"],
        ],
    )
    write(folder, "ons_deaths", ["patient_id", "date", "place"], [["3", "2024-01-01", "Home"]])
    return folder


def test_ehrql_tables_import_with_mapped_statuses_and_report(tmp_path):
    store = tmp_path / "store.duckdb"
    outcome = import_from("ehrql", ehrql_tables(tmp_path / "ehrql"), store)
    report = outcome.report
    assert report is not None
    assert rows(store, "SELECT patient_id, date::VARCHAR, snomedct_code FROM clinical_events") == [
        (1, "2023-02-01", "72313002"),
        (2, "2023-03-04", "44054006"),
    ]
    assert rows(store, "SELECT dmd_code FROM medications") == [("29984111000001107",)]
    assert rows(
        store, "SELECT appointment_id, patient_id, practice_id, status, mode, hcp_role FROM appointments ORDER BY 1"
    ) == [
        (1, 1, "20", "attended", "unknown", "unknown"),
        (2, 1, "10", "did_not_attend", "unknown", "unknown"),
        (3, 2, "10", "cancelled_by_practice", "unknown", "unknown"),
        (5, 2, "10", "attended", "unknown", "unknown"),
    ]
    assert rows(store, "SELECT practice_id FROM practice_registrations ORDER BY rowid") == [
        ("10",),
        ("20",),
        ("10",),
        ("20",),
    ]
    assert report.read["clinical_events.csv"] == 3
    assert report.dropped == {
        "clinical_events: no SNOMED CT code (a CTV3-only row)": 1,
        "medications: no dm+d code": 1,
        "appointments: no booked_date": 1,
    }
    assert report.mappings["appointments.status: 'Finished' -> attended"] == 1
    assert report.mappings["appointments.status: 'Patient Walked Out' -> attended"] == 1
    assert "ons_deaths.csv" in report.ignored
    # kept in the store and shown by the quality report
    quality = quality_report(store)
    assert quality.conversion is not None and quality.conversion["rows_dropped"] == dict(sorted(report.dropped.items()))
    assert "Conversion from ehrql" in quality.summary_text()
    assert "ons_deaths.csv" in quality.summary_text()
    assert not list(tmp_path.glob(BUILD_PREFIX + "*"))


def test_ehrql_example_data_loads_unchanged(reference_dir, tmp_path):
    source = reference_dir / "ehrql-example-data"
    if not (source / "patients.csv").is_file():
        pytest.skip(f"ehrQL example data not found under {source}")
    store = tmp_path / "store.duckdb"
    outcome = import_from("ehrql", source, store)

    def data_rows(name: str) -> int:
        with (source / f"{name}.csv").open(newline="") as f:
            return sum(1 for _ in csv.reader(f)) - 1

    for table in ("patients", "practice_registrations", "clinical_events", "medications"):
        assert outcome.result.tables[table] == data_rows(table), table
    assert "ons_deaths.csv" in outcome.report.ignored
    assert not outcome.report.dropped


def test_unparseable_date_names_file_and_line_and_changes_nothing(tmp_path):
    source = ehrql_tables(tmp_path / "ehrql")
    store = tmp_path / "store.duckdb"
    import_from("ehrql", source, store)
    before = store.read_bytes()
    text = (source / "clinical_events.csv").read_text().replace("2023-03-04", "04/03/2023")
    (source / "clinical_events.csv").write_text(text)
    with pytest.raises(InputError) as caught:
        import_from("ehrql", source, store)
    assert "clinical_events.csv:4: column date: '04/03/2023' is not a date" in str(caught.value)
    assert store.read_bytes() == before
    assert not list(tmp_path.glob(BUILD_PREFIX + "*"))


def test_missing_column_names_the_closest_header(tmp_path):
    source = ehrql_tables(tmp_path / "ehrql")
    text = (source / "practice_registrations.csv").read_text().replace("practice_pseudo_id", "practice_pseudoid")
    (source / "practice_registrations.csv").write_text(text)
    with pytest.raises(InputError) as caught:
        import_from("ehrql", source, tmp_path / "store.duckdb")
    assert "practice_registrations.csv:1: missing column 'practice_pseudo_id'" in str(caught.value)
    assert "closest header present is 'practice_pseudoid'" in str(caught.value)
    assert not (tmp_path / "store.duckdb").exists()


def test_unknown_status_lists_the_accepted_values(tmp_path):
    source = ehrql_tables(tmp_path / "ehrql")
    text = (source / "appointments.csv").read_text().replace("Cancelled by Unit", "Cancelled by Practice")
    (source / "appointments.csv").write_text(text)
    with pytest.raises(InputError) as caught:
        import_from("ehrql", source, tmp_path / "store.duckdb")
    assert "appointments.csv:4: column status: 'Cancelled by Practice'" in str(caught.value)
    assert "Cancelled by Unit" in str(caught.value)


def test_a_folder_of_the_wrong_kind_is_refused(tmp_path):
    folder = tmp_path / "fhir"
    folder.mkdir()
    (folder / "Patient.ndjson").write_text('{"resourceType": "Patient", "id": "1"}\n')
    with pytest.raises(InputError, match="holds JSON files, not ehrQL tables"):
        import_from("ehrql", folder, tmp_path / "store.duckdb")


def test_a_validation_problem_after_conversion_changes_nothing(tmp_path):
    source = ehrql_tables(tmp_path / "ehrql")
    text = (source / "patients.csv").read_text().replace("1950-03-01", "1950-03-17")  # not the 1st of a month
    (source / "patients.csv").write_text(text)
    with pytest.raises(InputError) as caught:
        import_from("ehrql", source, tmp_path / "store.duckdb")
    assert "patients.csv:2: column date_of_birth" in str(caught.value)
    assert not (tmp_path / "store.duckdb").exists()
    assert not list(tmp_path.glob(BUILD_PREFIX + "*"))


def test_convert_writes_tables_and_report_and_refuses_a_full_folder(tmp_path):
    source = ehrql_tables(tmp_path / "ehrql")
    out = tmp_path / "out"
    report = convert("ehrql", source, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "appointments.csv",
        "clinical_events.csv",
        "conversion.json",
        "medications.csv",
        "patients.csv",
        "practice_registrations.csv",
    ]
    assert json.loads((out / "conversion.json").read_text())["rows_written"]["appointments"] == 4
    assert report.written["appointments"] == 4
    with pytest.raises(InputError, match="not empty"):
        convert("ehrql", source, out)


def test_cli_import_from_ehrql_and_its_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QILOOP_PROGRESS", "0")
    source = ehrql_tables(tmp_path / "ehrql")
    store = tmp_path / "store.duckdb"
    assert main(["import", "--from", "ehrql", str(source), "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "Conversion from ehrql" in out and "appointments: no booked_date: 1" in out
    (source / "patients.csv").write_text("patient_id,sex,dob\n1,female,1950-03-01\n")
    assert main(["import", "--from", "ehrql", str(source), "--store", str(store)]) == 1
    err = capsys.readouterr().err
    assert "patients.csv:1: missing column 'date_of_birth'" in err
    assert "Traceback" not in err


def test_a_canonical_import_of_another_kind_says_which_kind(tmp_path):
    from fhir_fixtures import export

    with pytest.raises(InputError) as caught:
        import_from("canonical", export(tmp_path / "fhir"), tmp_path / "store.duckdb")
    assert "--from fhir" in str(caught.value)
    with pytest.raises(InputError) as caught:
        import_from("canonical", ehrql_tables(tmp_path / "ehrql"), tmp_path / "store.duckdb")
    assert "ons_deaths.csv: not a table" in str(caught.value) and "--from ehrql" in str(caught.value)


def test_inside_values_hidden_a_bad_cell_is_located_but_not_quoted(tmp_path):
    from qiloop.errors import values_hidden

    source = ehrql_tables(tmp_path / "ehrql")
    text = (source / "clinical_events.csv").read_text().replace("2023-03-04", "04/03/2023")
    (source / "clinical_events.csv").write_text(text)
    with values_hidden(), pytest.raises(InputError) as caught:
        import_from("ehrql", source, tmp_path / "store.duckdb")
    assert "clinical_events.csv:4: column date: the value is not a date" in str(caught.value)
    assert "04/03/2023" not in str(caught.value)


def test_codes_of_another_system_in_a_code_column_are_counted_and_refused_above_the_threshold(tmp_path):
    from qiloop.records.convert import ConvertOptions

    source = ehrql_tables(tmp_path / "ehrql")
    text = (source / "clinical_events.csv").read_text().replace("44054006", "C10..")  # a Read v2 code
    (source / "clinical_events.csv").write_text(text)
    with pytest.raises(InputError) as caught:
        import_from("ehrql", source, tmp_path / "store.duckdb")
    message = str(caught.value)
    assert "1 of 3 coded rows (33.3%)" in message and "C10.." in message and "--max-unmapped" in message
    outcome = import_from("ehrql", source, tmp_path / "store.duckdb", options=ConvertOptions(max_unmapped=50))
    assert outcome.report.unmapped == {"not SNOMED CT (snomedct_code holding a Read/CTV3-style code)": {"C10..": 1}}
    assert rows(tmp_path / "store.duckdb", "SELECT snomedct_code FROM clinical_events") == [("72313002",)]
