"""Report exports (EMIS Web Population Reporting, SystmOne Clinical Reporting) read with a profile.

Round trip: a synthetic network written out as each shipped profile's report (qiloop.bench.layouts.report)
and converted back gives the rows the report carries and the canonical import's audit collection at the
as-of date. Then every bad input: each names the file, line, column or profile key, and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from convert_helpers import rows
from test_convert_canary import MARKER, run_everything

from qiloop.audit.collect import collect
from qiloop.bench.layouts.report import write, write_report
from qiloop.cli import main
from qiloop.errors import InputError
from qiloop.records.convert import ConvertOptions, convert, import_from, snapshot_date
from qiloop.records.importer import import_extract
from qiloop.records.report_profiles import load_profile, shipped_profiles
from qiloop.synth import generate_network

AS_OF = (dt.date(2024, 11, 30), dt.date(2025, 3, 31))
MEASURES = {
    "pincer-nsaid": ("pincer_a_audit",),
    "methotrexate": ("pincer_me_fbc_audit", "pincer_me_lft_audit"),
}


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    generate_network(
        base / "extract", practices=2, patients=4000, seed=11, fmt="csv", start=dt.date(2024, 4, 1),
        end=dt.date(2025, 3, 31),
    )  # fmt: skip
    import_extract(base / "extract", base / "canonical.duckdb")
    return base


@pytest.mark.parametrize("system", ["emis", "systmone"])
@pytest.mark.parametrize("search", ["pincer-nsaid", "methotrexate"])
def test_report_round_trip_gives_the_rows_it_carries_and_the_audit_collection(network, tmp_path, system, search):
    profile = f"{system}-{search}"
    compared = met = 0
    for practice in ("Q10001", "Q10002"):
        for as_of in AS_OF:
            export = tmp_path / f"{practice}-{as_of}.csv"
            carried = write_report(network / "extract", export, profile, practice_id=practice, as_of=as_of)
            store = tmp_path / f"{practice}-{as_of}.duckdb"
            options = ConvertOptions(practice=practice, profile=profile, as_of=as_of)
            outcome = import_from("report", export, store, options=options)
            assert outcome.report.snapshot_as_of == as_of
            # the rows the report carries
            if system == "emis":  # date of birth and registration date shown
                expected = sorted((pid, dob, sex) for pid, (dob, _, sex) in carried.patients.items())
                assert rows(store, "SELECT patient_id, date_of_birth, sex FROM patients ORDER BY 1") == expected
                starts = sorted(carried.registrations.items())
            else:  # age only, and no registration date: registered from the as-of date
                got = rows(store, "SELECT patient_id, date_of_birth, sex FROM patients ORDER BY 1")
                ages = {pid: ((as_of.year - d.year) * 12 + as_of.month - d.month) // 12 for pid, d, _ in got}
                assert [(pid, ages[pid], sex) for pid, _, sex in got] == sorted(
                    (pid, age, sex) for pid, (_, age, sex) in carried.patients.items()
                )
                starts = [(pid, as_of) for pid in sorted(carried.patients)]
            assert rows(store, "SELECT patient_id, start_date FROM practice_registrations ORDER BY 1") == starts
            assert rows(store, "SELECT DISTINCT practice_id FROM practice_registrations") == [(practice,)]
            for table, code in (("medications", "dmd_code"), ("clinical_events", "snomedct_code")):
                if table in carried.events:
                    got_events = set(rows(store, f"SELECT patient_id, date, {code} FROM {table}"))
                    assert got_events == carried.events[table], table
            # and the audit collection at the as-of date
            for measure in MEASURES[search]:
                try:
                    expected_counts = collect(network / "canonical.duckdb", measure, practice, as_of)
                except InputError:  # no one eligible in the canonical store: the report finds no one either
                    with pytest.raises(InputError):
                        collect(store, measure, practice, as_of)
                    continue
                got_counts = collect(store, measure, practice, as_of)
                assert (got_counts.met, got_counts.eligible) == (expected_counts.met, expected_counts.eligible)
                compared += expected_counts.eligible
                met += expected_counts.met
    assert compared >= (20 if search == "pincer-nsaid" else 3) and 0 < met < compared  # a comparison worth making


def test_layout_writer_writes_every_shipped_profile(network, tmp_path):
    write(network / "extract", tmp_path / "reports")
    assert sorted(p.stem for p in (tmp_path / "reports").iterdir()) == sorted(shipped_profiles())
    emis = (tmp_path / "reports" / "emis-pincer-nsaid.csv").read_text(encoding="utf-8-sig").splitlines()
    assert emis[1].startswith("Date run,") and emis[3].startswith("Patient ID,")


# --- a small report to break ---------------------------------------------------------------------------------

PROFILE = """\
[profile]
description = "test"
system = "emis"

[file]
header_first_cell = "Patient ID"
date_format = "%d/%m/%Y"

[as_of]
label = "Date run"

[patient]
patient_id = "Patient ID"
date_of_birth = "Date of Birth"
sex = "Gender"

[[events]]
name = "eGFR"
table = "clinical_events"
code = "1011481000000105"
date = "Latest eGFR date"
value = "Latest eGFR value"

[[events]]
name = "NSAID"
table = "medications"
date = "NSAID date"
code_column = "NSAID code"
"""
HEADER = "Patient ID,Name,Date of Birth,Gender,Address,Latest eGFR date,Latest eGFR value,NSAID date,NSAID code"


def report(tmp_path: Path, lines: list[str], *, as_of: str | None = "31/03/2025", profile: str = PROFILE) -> tuple:
    (tmp_path / "profile.toml").write_text(profile)
    top = ["Search,eGFR and NSAIDs", f"Date run,{as_of}", ""] if as_of else []
    (tmp_path / "export.csv").write_text("\n".join([*top, HEADER, *lines]) + "\n")
    return tmp_path / "export.csv", str(tmp_path / "profile.toml")


GOOD = [
    "1,A Person,15/06/1950,Female,1 Street,02/03/2025,52,10/03/2025,329653008",
    "2,B Person,01/01/1960,Male,2 Street,,,01/02/2025,329807003",
    "2,B Person,01/01/1960,Male,2 Street,12/12/2024,>90,01/02/2025,329807003",
]


def test_a_small_report_converts_with_the_date_the_export_gives(tmp_path):
    source, profile = report(tmp_path, GOOD)
    out = tmp_path / "out"
    result = convert("report", source, out, options=ConvertOptions(profile=profile, practice="A81001"))
    assert result.snapshot_as_of == dt.date(2025, 3, 31)
    assert (out / "patients.csv").read_text().splitlines()[1:] == ["1,1950-06-01,female,", "2,1960-01-01,male,"]
    assert (out / "clinical_events.csv").read_text().splitlines()[1:] == [
        "1,2025-03-02,1011481000000105,52.0,",
        "2,2024-12-12,1011481000000105,90.0,>",  # '>90': the number and its comparator
    ]
    # patient 2's NSAID issue appears on two lines: written once
    assert (out / "medications.csv").read_text().splitlines()[1:] == [
        "1,2025-03-10,329653008",
        "2,2025-02-01,329807003",
    ]
    assert (out / "practice_registrations.csv").read_text().splitlines()[1:] == [
        "1,2025-03-31,,A81001",
        "2,2025-03-31,,A81001",
    ]
    saved = json.loads((out / "conversion.json").read_text())
    assert saved["extract"] == {"kind": "snapshot", "as_of": "2025-03-31"}
    assert snapshot_date(saved) == dt.date(2025, 3, 31)
    assert "column 'Name' (not in the profile; not read)" in saved["ignored"]
    assert any("inferred" in note for note in saved["notes"])


def fails(tmp_path: Path, lines: list[str], **kwargs) -> str:
    as_of = kwargs.pop("option_as_of", None)
    source, profile = report(tmp_path, lines, **kwargs)
    out = tmp_path / "out"
    with pytest.raises(InputError) as caught:
        convert("report", source, out, options=ConvertOptions(profile=profile, as_of=as_of))
    assert not out.exists()  # nothing written
    return str(caught.value)


def test_a_mapped_column_missing_from_the_export_names_the_closest_header(tmp_path):
    message = fails(tmp_path, GOOD, profile=PROFILE.replace('"Gender"', '"Sex of patient"'))
    assert "export.csv:4:" in message and "patient.sex" in message and "'Sex of patient'" in message
    assert "closest header present is 'Gender'" not in message  # too far from it to guess
    message = fails(tmp_path, GOOD, profile=PROFILE.replace('"NSAID code"', '"NSAID codes"'))
    assert "events[2].code_column" in message and "the closest header present is 'NSAID code'" in message


@pytest.mark.parametrize(
    ("codes", "looks"),
    [(["EMISNQ123", "EMISNQ456", "EMISNQ789"], "EMIS"), (["XaIJ7", "44TB.", "XE2eD"], "Read/CTV3"),
     (["1234567", "7654321", "2222222"], "EMIS")],
)  # fmt: skip
def test_a_code_column_of_emis_or_read_codes_stops_with_advice(tmp_path, codes, looks):
    lines = [f"{i},P,01/01/1950,Male,S,,,01/03/2025,{code}" for i, code in enumerate(codes, start=1)]
    message = fails(tmp_path, lines)
    assert "'NSAID code' holds codes that are not SNOMED CT or dm+d" in message and f"look like {looks}" in message
    assert "SNOMED CT concept ID" in message and "code_column" in message


def test_a_few_foreign_codes_are_unmapped_and_refused_over_the_threshold(tmp_path):
    lines = [f"{i},P,01/01/1950,Male,S,,,01/03/2025,329653008" for i in range(1, 10)]
    lines.append("10,P,01/01/1950,Male,S,,,01/03/2025,XaIJ7")
    message = fails(tmp_path, lines)  # 10% unmapped, over the default 5%
    assert "--max-unmapped" in message
    again = tmp_path / "again"
    again.mkdir()
    source, profile = report(again, lines)
    options = ConvertOptions(profile=profile, max_unmapped=20)
    result = convert("report", source, again / "out", options=options)
    assert result.unmapped_rows == 1 and result.written["medications"] == 9


def test_without_an_as_of_date_the_conversion_stops(tmp_path):
    message = fails(tmp_path, GOOD, as_of=None, profile=PROFILE.replace('header_first_cell = "Patient ID"', ""))
    assert "--as-of" in message


def test_a_date_after_the_as_of_date_is_refused_with_its_line(tmp_path):
    lines = [*GOOD, "3,C Person,01/01/1970,Female,3 Street,01/04/2025,60,,"]
    message = fails(tmp_path, lines)
    assert "export.csv:8: column 'Latest eGFR date' (events[1].date)" in message and "after" in message
    # --as-of wins over the date in the file
    message = fails(tmp_path, GOOD, option_as_of=dt.date(2025, 3, 5))
    assert "export.csv:5: column 'NSAID date' (events[2].date)" in message


def test_a_date_in_another_format_is_refused_with_its_line(tmp_path):
    message = fails(tmp_path, [*GOOD, "3,C,1970-01-01,Female,S,,,,"])
    assert "export.csv:8: column 'Date of Birth'" in message and "'%d/%m/%Y'" in message


def test_other_bad_cells_name_line_and_column(tmp_path):
    assert "export.csv:5: column 'Gender'" in fails(tmp_path, ["1,P,01/01/1950,Mle,S,,,,"])
    assert "export.csv:5: column 'Latest eGFR value'" in fails(tmp_path, ["1,P,01/01/1950,Male,S,01/01/2025,high,,"])
    assert "export.csv:5: column 'Patient ID'" in fails(tmp_path, ["x1,P,01/01/1950,Male,S,,,,"])
    message = fails(tmp_path, ["1,P,01/01/1950,Male,S,,,,", "1,P,01/01/1951,Male,S,,,,"])
    assert "export.csv:6: the patient on line 5 appears again" in message


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("[patient]", "[patients]"), "[patients]: not a section of a report profile (did you mean [patient]?)"),
        (('sex = "Gender"', 'sex = "Gender"\ndob = "x"'), "patient.dob: not a key of [patient]"),
        (('date_of_birth = "Date of Birth"', ""), "patient.date_of_birth: map either date_of_birth or age"),
        (('code = "1011481000000105"', 'code = "44TB."'), "events[1].code: '44TB.' is not a SNOMED CT"),
        (('code = "1011481000000105"', 'code = "1011481000000106"'), "events[1].code"),  # check digit wrong
        (('table = "medications"', 'table = "prescriptions"'), "events[2].table: 'prescriptions'"),
        (('date_format = "%d/%m/%Y"', 'date_format = "%d/%m"'), "file.date_format"),
        (('system = "emis"', 'system = "vision"'), "profile.system"),
        (('code_column = "NSAID code"', 'code_column = "NSAID code"\ncode = "329653008"'), "events[2].code: give"),
        (('name = "NSAID"', 'name = "NSAID"\ncodelist = "pincer_fbc"'), "events[2].codelist: the code list"),
        (('date = "NSAID date"', 'date = "Latest eGFR date"'), "events[2].date: maps the column 'Latest eGFR date'"),
        (("[file]", "[file"), "not a valid TOML file"),
    ],
)
def test_every_profile_error_names_the_file_and_key(tmp_path, change, named):
    path = tmp_path / "bad.toml"
    path.write_text(PROFILE.replace(*change))
    with pytest.raises(InputError) as caught:
        load_profile(path)
    assert str(caught.value).startswith("bad.toml: ") and named in str(caught.value)
    assert str(path) in str(caught.value)


def test_a_profile_is_needed_and_names_are_checked(tmp_path):
    source, _ = report(tmp_path, GOOD)
    with pytest.raises(InputError, match="emis-pincer-nsaid"):
        convert("report", source, tmp_path / "out")
    with pytest.raises(InputError, match="did you mean 'emis-pincer-nsaid'"):
        convert("report", source, tmp_path / "out", options=ConvertOptions(profile="emis-pincer-nsaids"))


def test_the_shipped_profiles_load_and_are_listed_in_the_help(capsys):
    for name in shipped_profiles():
        profile = load_profile(name)
        assert profile.measures and profile.system in ("emis", "systmone")
    with pytest.raises(SystemExit):
        main(["convert", "--help"])
    shown = capsys.readouterr().out
    assert all(name in shown for name in shipped_profiles()) and "--profile NAME_OR_FILE" in shown


@pytest.mark.parametrize("profile", ["emis-pincer-nsaid", "systmone-methotrexate"])
def test_personal_columns_of_a_report_reach_nothing(network, tmp_path, capsys, caplog, monkeypatch, profile):
    source = tmp_path / "export.csv"
    as_of = dt.date(2025, 3, 31)
    write_report(network / "extract", source, profile, practice_id="Q10001", as_of=as_of, personal=MARKER)
    assert source.read_text(encoding="cp1252").count(MARKER) >= 3 * 2  # the canary is really there
    extra = ("--profile", profile, "--as-of", as_of.isoformat())
    output = run_everything(tmp_path, "report", source, capsys, caplog, monkeypatch, *extra)
    assert "a snapshot at 2025-03-31" in output and "not SPC charts" in output
    assert "column 'Name' (not in the profile; not read)" in output
    assert MARKER not in output


def test_import_names_the_practice_of_a_new_store_and_quality_says_snapshot(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("QILOOP_PROGRESS", "0")
    source, profile = report(tmp_path, GOOD)
    store = tmp_path / "store.duckdb"
    assert main(["import", "--from", "report", str(source), "--store", str(store), "--profile", profile,
                 "--practice", "A81001"]) == 0  # fmt: skip
    assert rows(store, "SELECT practice_id FROM practices") == [("A81001",)]
    assert main(["quality", "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "a snapshot at 2025-03-31 (a report export): it supports an audit collection at that date" in out
    assert "not SPC charts, which need monthly history" in out.split("Data quality of")[1]


def test_a_report_never_replaces_a_store_of_longitudinal_records(network, tmp_path):
    import shutil

    store = tmp_path / "network.duckdb"
    shutil.copy(network / "canonical.duckdb", store)
    before = store.read_bytes()
    source, profile = report(tmp_path, GOOD)
    options = ConvertOptions(profile=profile, practice="Q10001")
    with pytest.raises(InputError, match="holds longitudinal records"):
        import_from("report", source, store, options=options, practice="Q10001")
    assert store.read_bytes() == before
    # a store holding a snapshot is replaced by the next one
    snapshot = tmp_path / "audit.duckdb"
    import_from("report", source, snapshot, options=options)
    import_from("report", source, snapshot, options=options, practice="Q10001")
    assert rows(snapshot, "SELECT count(*) FROM patients") == [(2,)]


def test_nhs_numbers_become_pseudonyms_and_number_the_patients(tmp_path):
    from qiloop.records.pseudonym import is_valid_nhs_number, pseudonym

    numbers = ["9434765919", "4010232137"]
    assert all(is_valid_nhs_number(n) for n in numbers)
    profile = PROFILE.replace('patient_id = "Patient ID"', 'nhs_number = "Patient ID"')
    lines = [
        f"{numbers[0][:3]} {numbers[0][3:6]} {numbers[0][6:]},P,01/01/1950,Male,S,,,,",
        f"{numbers[1]},P,01/01/1960,Female,S,,,,",
    ]
    source, path = report(tmp_path, lines, profile=profile)
    with pytest.raises(InputError, match="written only as pseudonyms"):  # no key: refused
        convert("report", source, tmp_path / "refused", options=ConvertOptions(profile=path))
    key = b"report-test-key-0123456789abcdef"
    convert("report", source, tmp_path / "out", key=key, options=ConvertOptions(profile=path))
    written = (tmp_path / "out" / "patients.csv").read_text().splitlines()
    assert written[0] == "patient_id,date_of_birth,sex,date_of_death,nhs_number_pseudonym"
    assert written[1:] == [
        f"1,1950-01-01,male,,{pseudonym(key, numbers[0])}",
        f"2,1960-01-01,female,,{pseudonym(key, numbers[1])}",
    ]
    assert not any(
        n in (tmp_path / "out").joinpath(f).read_text() for n in numbers for f in ("patients.csv", "conversion.json")
    )


def test_a_broken_csv_line_and_a_wrong_encoding_are_named(tmp_path):
    assert "export.csv:5: not readable as CSV" in fails(tmp_path, ['1,P,01/01/1950,Male,"S,,,,'])
    source, profile = report(tmp_path, GOOD)
    source.write_bytes(source.read_bytes().replace(b"A Person", b"A Pers\xf6n"))  # Windows-1252, not UTF-8
    with pytest.raises(InputError, match="export.csv: not utf-8-sig text") as caught:
        convert("report", source, tmp_path / "out", options=ConvertOptions(profile=profile))
    assert "cp1252" in str(caught.value)
