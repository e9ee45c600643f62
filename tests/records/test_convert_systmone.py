"""``qiloop import --from systmone``: a SystmOne Strategic Reporting extract (TPP v93 layout) converted to the
canonical tables. The synthetic network is written in the SR layout (qiloop.bench.layouts.systmone) and
converted back; the bad inputs are made by editing those files."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from convert_helpers import year_network
from test_convert_canary import MARKER, run_everything

from qiloop.bench.layouts.systmone import write as write_systmone
from qiloop.errors import InputError
from qiloop.measures import all_measures, run_measures
from qiloop.records.convert import ConvertOptions, convert, import_from
from qiloop.records.sql import connect

START, END = "2024-04", "2025-03"
Row = dict[str, str]


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    base = year_network(tmp_path_factory.mktemp("systmone"))
    write_systmone(base / "extract", base / "sr")
    return base


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """A small network in the SR layout, copied by each test that edits it."""
    base = year_network(tmp_path_factory.mktemp("systmone-small"), practices=1, patients=60, seed=3, canonical=False)
    write_systmone(base / "extract", base / "sr")
    return base / "sr"


@pytest.fixture
def sr(small, tmp_path) -> Path:
    return Path(shutil.copytree(small, tmp_path / "sr"))


def read(path: Path, delimiter: str = ",") -> tuple[list[str], list[Row]]:
    with path.open(newline="", encoding="cp1252") as f:
        reader = csv.DictReader(f, delimiter=delimiter)
        return list(reader.fieldnames or []), list(reader)


def rewrite(path: Path, change: Callable[[list[Row]], list[Row]], header: list[str] | None = None) -> None:
    """Edit an SR file's rows, keeping its layout (Windows-1252, every cell quoted, CRLF)."""
    old_header, rows = read(path)
    header = header or old_header
    rows = change(rows)
    with path.open("w", newline="", encoding="cp1252") as f:
        writer = csv.writer(f, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([[row.get(c, "") for c in header] for row in rows])


def table(store: Path, sql: str) -> list[tuple]:
    con = connect(str(store), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def canonical_rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


# what the SR layout carries: mode only as a telephone flag; clinicians as SystmOne's numeric ids
CARRIED = {
    "practices": ("practice_id, name", "practice_id, name"),
    "patients": ("patient_id, date_of_birth, sex, date_of_death", None),
    "practice_registrations": ("patient_id, start_date, end_date, practice_id", None),
    "clinical_events": ("patient_id, date, snomedct_code, numeric_value", None),
    "medications": ("patient_id, date, dmd_code", None),
    "appointments": (
        "appointment_id, patient_id, practice_id, booked_date, start_date, status, "
        "CASE WHEN mode = 'telephone' THEN 'telephone' ELSE 'unknown' END, hcp_role, "
        "dense_rank() OVER (ORDER BY clinician_id)",
        "appointment_id, patient_id, practice_id, booked_date, start_date, status, mode, hcp_role, "
        "CAST(clinician_id AS BIGINT)",
    ),
}
NOT_CARRIED = ("f2f_share",)  # reads the appointment mode, of which SystmOne's extract has only the telephone flag


def test_converted_network_matches_the_canonical_import(network):
    store = network / "systmone.duckdb"
    outcome = import_from("systmone", network / "sr", store)
    assert not outcome.report.unmapped
    assert outcome.report.mappings["clinical_events.snomedct_code: 'CTV3Code' -> SNOMED CT through SRCtv3ToSnomed"] > 0
    canonical = network / "canonical.duckdb"
    for name, (columns, converted) in CARRIED.items():
        expected = table(canonical, f"SELECT {columns} FROM {name} ORDER BY ALL")
        assert expected, name
        assert table(store, f"SELECT {converted or columns} FROM {name} ORDER BY ALL") == expected, name
    chosen = [m for m in all_measures().values() if m.id not in NOT_CARRIED and not m.id.startswith("gpad")]
    keys = ["measure", "interval_start", "practice_id"]

    def results(path):
        frame = run_measures(str(path), chosen, start=START, end=END)
        return frame[[*keys, "numerator", "denominator"]].sort_values(keys).reset_index(drop=True)

    expected = results(canonical)
    counted = expected[expected.numerator > 0]
    assert len(counted) >= 200 and counted.measure.nunique() >= 10  # a comparison worth making
    pd.testing.assert_frame_equal(results(store), expected, check_dtype=False)
    left_out = [all_measures()[m] for m in NOT_CARRIED]
    assert not run_measures(str(store), left_out, start=START, end=END).numerator.equals(
        run_measures(str(canonical), left_out, start=START, end=END).numerator
    )


def test_the_layout_is_windows_1252_quoted_with_status_ids(network):
    raw = (network / "sr" / "SRAppointment.csv").read_bytes()
    assert raw.startswith(b'"RowIdentifier","IDOrganisationVisibleTo","DateStart"') and b"\r\n" in raw
    _, appointments = read(network / "sr" / "SRAppointment.csv")
    _, mapping = read(network / "sr" / "SRMapping.csv")
    texts = {m["RowIdentifier"]: m["Mapping"] for m in mapping}
    assert all(a["AppointmentStatus"].isdigit() for a in appointments)
    assert {texts[a["AppointmentStatus"]] for a in appointments} >= {"Finished", "Did Not Attend"}


def test_personal_fields_reach_nothing(sr, tmp_path, capsys, caplog, monkeypatch):
    numbers = iter(n for n in (f"999{i:06d}" for i in range(10**6)) if _check_digit(n) is not None)
    personal = {
        "SRPatient": ("Title", "FirstName", "MiddleNames", "Surname", "PreviousSurname", "BirthPlace", "EmailAddress"),
        "SRCode": ("CTV3Text", "SNOMEDText", "TextualEventDoneBy"),
        "SRPrimaryCareMedication": ("NameOfMedication", "MedicationDosage", "TextualEventDoneBy"),
        "SRAppointment": ("RotaName", "RotaLocation", "BookingContactNumber"),
        "SROrganisation": ("HouseName", "NameOfRoad", "FullPostCode", "Telephone"),
    }
    for name, columns in personal.items():

        def mark(rows: list[Row], columns=columns, name=name) -> list[Row]:
            for row in rows:
                row.update({c: f"{MARKER} {c}" for c in columns})
                if name == "SRPatient":
                    number = next(numbers)
                    row["NHSNumber"] = number + str(_check_digit(number))
            return rows

        rewrite(sr / f"{name}.csv", mark)
    assert (sr / "SRPatient.csv").read_text(encoding="cp1252").count(MARKER) >= 7 * 60  # the canary is there
    output = run_everything(tmp_path, "systmone", sr, capsys, caplog, monkeypatch)
    assert "Conversion from systmone" in output
    assert MARKER not in output


def _check_digit(nine: str) -> int | None:
    check = (11 - sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11) % 11
    return None if check == 10 else check


def test_windows_1252_text_is_read_as_such(sr, tmp_path):
    rewrite(sr / "SRPatient.csv", lambda rows: [{**r, "FirstName": "Zoë"} for r in rows])
    rewrite(sr / "SROrganisation.csv", lambda rows: [{**r, "Name": "St Mary’s Surgery"} for r in rows])
    assert b"Zo\xeb" in (sr / "SRPatient.csv").read_bytes() and b"Mary\x92s" in (sr / "SROrganisation.csv").read_bytes()
    report = convert("systmone", sr, tmp_path / "out")
    assert report.written["patients"] == len(read(sr / "SRPatient.csv")[1])
    assert [r["name"] for r in canonical_rows(tmp_path / "out", "practices")] == ["St Mary’s Surgery"]


def test_cells_are_trimmed_and_other_columns_may_hold_any_windows_1252_text(sr, tmp_path):
    """Spaces around an id are trimmed whether the file is read as UTF-8 (a Windows-1252 character only in a column
    qiloop does not read) or as Latin-1 (one in a column it reads: a no-break space, 0xA0, trimmed too)."""
    before = convert("systmone", sr, tmp_path / "before")
    rewrite(sr / "SRCode.csv", lambda rows: [{**r, "IDPatient": f" {r['IDPatient']} "} for r in rows])
    rewrite(sr / "SRAppointment.csv", lambda rows: [{**r, "RotaName": "Zoë’s list"} for r in rows])
    rewrite(
        sr / "SRPrimaryCareMedication.csv", lambda rows: [{**r, "IDPatient": f"{r['IDPatient']}\u00a0"} for r in rows]
    )
    assert b"\xa0" in (sr / "SRPrimaryCareMedication.csv").read_bytes()
    after = convert("systmone", sr, tmp_path / "after")
    assert after.written == before.written
    for name in ("clinical_events", "medications", "appointments"):
        assert canonical_rows(tmp_path / "after", name) == canonical_rows(tmp_path / "before", name)


def test_pipe_delimited_unquoted_files_are_detected(sr, tmp_path):
    for path in sr.glob("*.csv"):
        header, rows = read(path)
        with path.open("w", newline="", encoding="cp1252") as f:
            writer = csv.writer(f, delimiter="|", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
            writer.writerow(header)
            writer.writerows([[r[c] for c in header] for r in rows])
    assert (sr / "SRCode.csv").read_text(encoding="cp1252").startswith("RowIdentifier|IDOrganisationVisibleTo|")
    piped = convert("systmone", sr, tmp_path / "piped")
    assert piped.written["clinical_events"] == len(read(sr / "SRCode.csv", "|")[1]) > 0
    assert piped.written["appointments"] == len(read(sr / "SRAppointment.csv", "|")[1]) > 0


def test_a_given_delimiter_and_text_qualifier_are_used(sr, tmp_path):
    for path in sr.glob("*.csv"):
        header, rows = read(path)
        if path.stem == "SRPatient":
            rows = [{**r, "Title": "Mr;Dr"} for r in rows]  # a delimiter inside a qualified cell
        with path.open("w", newline="", encoding="cp1252") as f:
            f.write(";".join(header) + "\r\n")
            csv.writer(f, delimiter=";", quotechar="'", quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(
                [[r[c] for c in header] for r in rows]
            )
    with pytest.raises(InputError, match=r"SRPatient.csv:2: expected 18 fields but found 19"):
        convert("systmone", sr, tmp_path / "guessed")  # the qualifier cannot be told from a bare header
    report = convert("systmone", sr, tmp_path / "given", options=ConvertOptions(delimiter=";", quote="'"))
    assert report.written["patients"] == len(read(sr / "SRPatient.csv", ";")[1]) > 0


def test_a_file_of_another_table_is_named(sr, tmp_path):
    (sr / "SRPatient.csv").unlink()
    shutil.copy(sr / "SRCode.csv", sr / "SRPatient.csv")
    with pytest.raises(InputError) as caught:
        convert("systmone", sr, tmp_path / "out")
    assert caught.value.message.startswith("SRPatient.csv:1: missing column 'DateBirth'")
    assert "looks like the SystmOne SRCode file, not SRPatient" in (caught.value.hint or "")


@pytest.mark.skipif(importlib.util.find_spec("qiloop.records.from_emis") is None, reason="no EMIS converter yet")
def test_an_emis_extract_given_as_systmone_is_named(tmp_path):
    folder = tmp_path / "emis"
    folder.mkdir()
    header = (  # EMIS Web v5.4 Admin_Patient, as the open-source transformer reads it
        "PatientGuid,OrganisationGuid,UsualGpUserInRoleGuid,Sex,DateOfBirth,DateOfDeath,Title,GivenName,MiddleNames,"
        "Surname,DateOfRegistration,NhsNumber,PatientNumber,PatientTypeDescription,DummyType,HouseNameFlatNumber,"
        "NumberAndStreet,Village,Town,County,Postcode,ResidentialInstituteCode,NHSNumberStatus,CarerName,"
        "CarerRelation,PersonGuid,DateOfDeactivation,Deleted,SpineSensitive,IsConfidential,EmailAddress,HomePhone,"
        "MobilePhone,ExternalUsualGPGuid,ExternalUsualGP,ExternalUsualGPOrganisation,ProcessingId"
    )
    (folder / "1_Admin_Patient_20250101000000_ABC.csv").write_text(header + "\r\n")
    with pytest.raises(InputError) as caught:
        convert("systmone", folder, tmp_path / "out")
    assert "missing the SystmOne table SRPatient" in caught.value.message
    assert "EMIS" in (caught.value.hint or "") and "--from emis" in (caught.value.hint or "")


def test_a_missing_column_names_the_closest_header(sr, tmp_path):
    header, _ = read(sr / "SRCode.csv")
    rewrite(sr / "SRCode.csv", lambda rows: [{**r, "DateEvnt": r["DateEvent"]} for r in rows],
            [("DateEvnt" if h == "DateEvent" else h) for h in header])  # fmt: skip
    with pytest.raises(InputError, match=r"SRCode.csv:1: missing column 'DateEvent' \(the closest header present is "
                       r"'DateEvnt'\)"):  # fmt: skip
        convert("systmone", sr, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_date_after_the_as_of_date_is_refused_with_its_line(sr, tmp_path):
    _, events = read(sr / "SRCode.csv")
    dates = [dt.datetime.strptime(e["DateEvent"], "%d %b %Y %H:%M:%S").date() for e in events]
    as_of = sorted(dates)[-3]  # two events fall after it
    line = next(i for i, d in enumerate(dates) if d > as_of) + 2
    with pytest.raises(
        InputError, match=rf"SRCode.csv:{line}: column DateEvent: a date after the extract's as-of date"
    ):
        convert("systmone", sr, tmp_path / "out", options=ConvertOptions(as_of=as_of))
    assert convert("systmone", sr, tmp_path / "ok", options=ConvertOptions(as_of=max(dates) + dt.timedelta(60)))


def test_a_date_that_is_not_a_date_names_its_line(sr, tmp_path):
    rewrite(
        sr / "SRPrimaryCareMedication.csv", lambda rows: [*rows[:4], {**rows[4], "DateEvent": "2024-13-45"}, *rows[5:]]
    )
    with pytest.raises(InputError, match=r"SRPrimaryCareMedication.csv:6: column DateEvent: .* is not a date"):
        convert("systmone", sr, tmp_path / "out")


def test_ctv3_without_a_mapping_is_unmapped_and_refused_above_the_limit(sr, tmp_path):
    _, events = read(sr / "SRCode.csv")
    ctv3_only = [e for e in events if not e["SNOMEDCode"]]
    assert ctv3_only
    rewrite(sr / "SRCtv3ToSnomed.csv", lambda rows: [])
    with pytest.raises(InputError, match=r"have codes that are not SNOMED CT or dm\+d \(CTV3 \(no SNOMED CT code"):
        convert("systmone", sr, tmp_path / "refused")
    report = convert("systmone", sr, tmp_path / "out", options=ConvertOptions(max_unmapped=60))
    unmapped = report.unmapped["CTV3 (no SNOMED CT code in the extract's SRCtv3ToSnomed)"]
    assert sum(unmapped.values()) == len(ctv3_only)
    assert set(unmapped) == {e["CTV3Code"] for e in ctv3_only}
    assert report.written["clinical_events"] == len(events) - len(ctv3_only)


def test_removed_rows_test_patients_and_temporary_residents_are_left_out(sr, tmp_path):
    _, events = read(sr / "SRCode.csv")
    _, patients = read(sr / "SRPatient.csv")
    test_patient = patients[0]["RowIdentifier"]

    def remove(rows: list[Row]) -> list[Row]:
        gone = [{**r, "RemovedData": "1"} for r in rows[:5]]
        return [*rows, *gone]  # five rows sent again, flagged removed: the later row wins

    rewrite(sr / "SRCode.csv", remove)
    rewrite(
        sr / "SRPatient.csv", lambda rows: [{**r, "TestPatient": "true" if r is rows[0] else "false"} for r in rows]
    )

    def temporary(rows: list[Row]) -> list[Row]:
        extra = {**rows[1], "RowIdentifier": "999999", "RegistrationStatus": "Temporary Resident < 16 days"}
        return [*rows, extra]

    rewrite(sr / "SRPatientRegistration.csv", temporary)
    report = convert("systmone", sr, tmp_path / "out")
    kept_events = [e for e in events[5:] if e["IDPatient"] != test_patient]
    assert report.written["clinical_events"] == len(kept_events)
    assert report.dropped["SRCode.csv: removed (RemovedData = 1)"] == 5
    assert report.skipped_patients["test patient (TestPatient = true)"] == 1
    assert report.dropped["SRPatientRegistration.csv: a temporary resident's registration"] == 1
    assert test_patient not in {r["patient_id"] for r in canonical_rows(tmp_path / "out", "patients")}
    assert "SRCode.csv: 5 rows repeat an earlier row's RowIdentifier; the last row of each was kept" in report.notes


def test_appointment_status_must_be_a_row_of_srmapping(sr, tmp_path):
    rewrite(sr / "SRAppointment.csv", lambda rows: [*rows[:2], {**rows[2], "AppointmentStatus": "4242"}, *rows[3:]])
    with pytest.raises(InputError, match=r"SRAppointment.csv:4: column AppointmentStatus: status 4242 is not a "):
        convert("systmone", sr, tmp_path / "out")
    (sr / "SRMapping.csv").unlink()
    with pytest.raises(InputError, match=r"SRAppointment.csv:2: .* a row of SRMapping, which is not in the extract"):
        convert("systmone", sr, tmp_path / "out")


def test_unexpected_columns_are_named_and_a_delta_is_refused(sr, tmp_path):
    header, _ = read(sr / "SRCode.csv")
    rewrite(sr / "SRCode.csv", lambda rows: rows, [*header, "IDNewThing"])
    report = convert("systmone", sr, tmp_path / "out")
    assert any("SRCode.csv" in n and "IDNewThing" in n for n in report.notes)
    rewrite(
        sr / "SRManifest.csv", lambda rows: [{**r, "IsDelta": "Y" if r["FileName"] == "SRCode" else "N"} for r in rows]
    )
    with pytest.raises(InputError, match=r"SRManifest.csv: SRCode is a delta \(IsDelta = Y\)"):
        convert("systmone", sr, tmp_path / "delta")


def test_an_id_that_is_not_a_number_names_its_line(sr, tmp_path):
    rewrite(sr / "SRCode.csv", lambda rows: [*rows[:6], {**rows[6], "IDPatient": "P123"}, *rows[7:]])
    with pytest.raises(InputError, match=r"SRCode.csv:8: column IDPatient: .* is not an id"):
        convert("systmone", sr, tmp_path / "out")


def test_a_status_text_qiloop_does_not_know_stops_at_its_line(sr, tmp_path):
    _, appointments = read(sr / "SRAppointment.csv")
    used = appointments[0]["AppointmentStatus"]
    rewrite(
        sr / "SRMapping.csv",
        lambda rows: [{**r, "Mapping": "Rejected"} if r["RowIdentifier"] == used else r for r in rows],
    )
    with pytest.raises(
        InputError, match=r"SRAppointment.csv:2: column AppointmentStatus: 'Rejected' is not an appoint"
    ):
        convert("systmone", sr, tmp_path / "out")


def test_a_delimiter_of_two_characters_is_given(sr, tmp_path):
    for path in sr.glob("*.csv"):
        header, rows = read(path)
        lines = ["~^".join(header), *("~^".join(f'"{r[c]}"' for c in header) for r in rows)]
        path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    code_lines = (sr / "SRCode.csv").read_text(encoding="cp1252").splitlines()
    code_lines[3] += "~^extra"  # one field too many on line 4
    (sr / "SRCode.csv").write_text("\r\n".join(code_lines) + "\r\n", encoding="cp1252")
    with pytest.raises(InputError, match=r"SRCode.csv:4: expected 27 fields but found 28"):
        convert("systmone", sr, tmp_path / "bad", options=ConvertOptions(delimiter="~^"))
    code_lines.pop(3)
    (sr / "SRCode.csv").write_text("\r\n".join(code_lines) + "\r\n", encoding="cp1252")
    report = convert("systmone", sr, tmp_path / "out", options=ConvertOptions(delimiter="~^"))
    assert report.written["clinical_events"] == len(code_lines) - 1 > 0
    assert report.written["appointments"] > 0


def test_the_practice_comes_from_the_extract_and_must_match_practice(sr, tmp_path):
    _, organisations = read(sr / "SROrganisation.csv")
    (practice,) = [o["ID"] for o in organisations]
    report = convert("systmone", sr, tmp_path / "out", options=ConvertOptions(practice=practice))
    assert [r["practice_id"] for r in canonical_rows(tmp_path / "out", "practices")] == [practice]
    assert report.written["practices"] == 1
    with pytest.raises(InputError, match=rf"--practice Z99999: the extract's registrations are with {practice}"):
        convert("systmone", sr, tmp_path / "wrong", options=ConvertOptions(practice="Z99999"))


def test_an_absent_snomed_code_written_as_minus_one_falls_back_to_ctv3(sr, tmp_path):
    _, events = read(sr / "SRCode.csv")
    rewrite(sr / "SRCode.csv", lambda rows: [{**r, "SNOMEDCode": r["SNOMEDCode"] or "-1"} for r in rows])
    report = convert("systmone", sr, tmp_path / "out")
    assert not report.unmapped
    assert report.written["clinical_events"] == len(events)
    converted = [e["snomedct_code"] for e in canonical_rows(tmp_path / "out", "clinical_events")]
    _, mapping = read(sr / "SRCtv3ToSnomed.csv")
    snomed_of = {m["Ctv3Code"]: m["SnomedCode"] for m in mapping}
    assert converted == [e["SNOMEDCode"] or snomed_of[e["CTV3Code"]] for e in events]


def test_empty_slots_and_appointments_without_a_status_are_left_out(sr, tmp_path):
    _, appointments = read(sr / "SRAppointment.csv")

    def slots(rows: list[Row]) -> list[Row]:
        empty = [{**rows[0], "RowIdentifier": "900001", "IDPatient": "-1", "AppointmentStatus": ""},
                 {**rows[0], "RowIdentifier": "900002", "IDPatient": "-1", "AppointmentStatus": "31337"}]  # fmt: skip
        return [{**rows[0], "AppointmentStatus": ""}, *rows[1:], *empty]

    rewrite(sr / "SRAppointment.csv", slots)
    report = convert("systmone", sr, tmp_path / "out")
    assert report.dropped["SRAppointment.csv: no patient (an empty slot)"] == 2
    assert report.dropped["SRAppointment.csv: no AppointmentStatus"] == 1
    assert report.written["appointments"] == len(appointments) - 1


def test_flags_are_read_in_any_case_with_spaces_and_an_absent_flag_is_false(sr, tmp_path):
    flags = ["Y", " TRUE ", "yes", "1", "no", "0", "", "t"]  # the first four are true
    _, events = read(sr / "SRCode.csv")
    header, appointments = read(sr / "SRAppointment.csv")
    ids = [a["RowIdentifier"] for a in appointments[: len(flags)]]
    rewrite(
        sr / "SRAppointment.csv",
        lambda rows: [{**r, "TelephoneAppointment": f} for r, f in zip(rows, flags, strict=False)] + rows[len(flags) :],
    )
    rewrite(sr / "SRCode.csv", lambda rows: [{**rows[0], "RemovedData": " y "}, *rows[1:]])
    report = convert("systmone", sr, tmp_path / "out")
    modes = {a["appointment_id"]: a["mode"] for a in canonical_rows(tmp_path / "out", "appointments")}
    assert [modes[i] for i in ids] == ["telephone"] * 4 + ["unknown"] * 4
    assert report.dropped["SRCode.csv: removed (RemovedData = 1)"] == 1
    assert report.written["clinical_events"] == len(events) - 1

    rewrite(sr / "SRAppointment.csv", lambda rows: rows, [h for h in header if h != "TelephoneAppointment"])
    convert("systmone", sr, tmp_path / "absent")
    assert {a["mode"] for a in canonical_rows(tmp_path / "absent", "appointments")} == {"unknown"}


def test_row_identifiers_repeat_only_as_the_same_text(sr, tmp_path):
    """012 and 12 are different ids (the same number); a repeat is found however far apart the ids are."""
    _, events = read(sr / "SRCode.csv")
    _, medications = read(sr / "SRPrimaryCareMedication.csv")

    def zero(rows: list[Row]) -> list[Row]:
        return [{**rows[0], "RowIdentifier": "0" + rows[1]["RowIdentifier"]}, *rows[1:]]

    def far(rows: list[Row]) -> list[Row]:
        return [{**rows[0], "RowIdentifier": "900000000000"}, *rows[1:], {**rows[2], "IDMultiLexDMD": "-1"}]

    rewrite(sr / "SRCode.csv", zero)
    rewrite(sr / "SRPrimaryCareMedication.csv", far)
    report = convert("systmone", sr, tmp_path / "out")
    assert not any(n.startswith("SRCode.csv:") and "repeat" in n for n in report.notes)
    assert report.written["clinical_events"] == len(events)
    assert (
        "SRPrimaryCareMedication.csv: 1 rows repeat an earlier row's RowIdentifier; the last row of each was kept"
        in report.notes
    )
    assert report.written["medications"] == len(medications) - 1


def test_a_table_of_no_rows_is_read(sr, tmp_path):
    rewrite(sr / "SRPrimaryCareMedication.csv", lambda rows: [])
    report = convert("systmone", sr, tmp_path / "out")
    assert report.read["SRPrimaryCareMedication.csv"] == 0
    assert report.written["medications"] == 0
