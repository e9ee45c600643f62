"""EMIS Web bulk extract: a synthetic network written in the EMIS layout converts back to the canonical
import's rows and measure results; personal columns reach nothing; bad extracts are refused with the file,
line and column, and what to do."""

from __future__ import annotations

import csv
import datetime as dt
import importlib.util
import shutil
from pathlib import Path

import pandas as pd
import pytest
from convert_helpers import rows, year_network

from qiloop.bench.layouts.emis import file_name, write, write_session_modes
from qiloop.errors import InputError
from qiloop.measures import all_measures, run_measures
from qiloop.records.convert import ConvertOptions, convert, import_from
from qiloop.records.from_emis import SCHEMA
from qiloop.records.pseudonym import pseudonym
from qiloop.records.sql import connect
from qiloop.synth import generate_network

START, END = "2024-04", "2025-03"
KEY = b"emis-test-key-0123456789abcdef"
# measures reading a field the layout does not carry: booking dates (waits) and clinician roles (continuity
# counts GP appointments)
NOT_CARRIED = ("wait_same_day", "wait_1d", "wait_7d", "wait_14d", "continuity_upc", "continuity_coc")


def nhs_number(n: int) -> str:
    """A valid NHS number starting with 9 (the test range, never issued to a person), one per ``n``."""
    for k in range(10):
        first = f"9{n:07d}{k}"
        check = (11 - sum(int(d) * (10 - i) for i, d in enumerate(first)) % 11) % 11
        if check != 10:
            return first + str(check)
    raise AssertionError(n)


table = rows


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    base = year_network(tmp_path_factory.mktemp("emis"))
    write(base / "extract", base / "emis")
    write_session_modes(base / "modes.csv")
    return base


def options(base: Path, **more) -> ConvertOptions:
    return ConvertOptions(session_modes=base / "modes.csv", **more)


CARRIED = {
    "patients": "patient_id, date_of_birth, sex, date_of_death",
    "practice_registrations": "patient_id, start_date, end_date, practice_id",
    "clinical_events": "patient_id, date, snomedct_code, numeric_value",
    "medications": "patient_id, date, dmd_code",
    "appointments": "appointment_id, patient_id, practice_id, start_date, status, mode",
}


def test_emis_layout_converts_back_to_the_canonical_import(network):
    store = network / "emis.duckdb"
    outcome = import_from("emis", network / "emis", store, options=options(network))
    report = outcome.report
    assert not report.unmapped
    assert report.skipped_patients == {"dummy patient (DummyType true)": 2, "deleted record (Deleted true)": 2}
    canonical = network / "canonical.duckdb"
    for name, columns in CARRIED.items():
        # EMIS frees a cancelled appointment's slot: cancellations are not in the extract
        where = " WHERE status NOT LIKE 'cancelled%'" if name == "appointments" else ""
        expected = table(canonical, f"SELECT {columns} FROM {name}{where} ORDER BY ALL")
        assert len(expected) > 100
        assert table(store, f"SELECT {columns} FROM {name} ORDER BY ALL") == expected, name
    assert table(store, "SELECT count(*) FROM appointments WHERE booked_date IS NOT NULL") == [(0,)]
    # clinicians are the sessions' users (EMIS GUIDs): one to one with the canonical clinicians
    pairs = _clinician_pairs(store, canonical)
    assert len(pairs) == len({a for a, _ in pairs}) == len({c for _, c in pairs}) > 5
    chosen = [m for m in all_measures().values() if m.id not in NOT_CARRIED and not m.id.startswith("gpad")]
    keys = ["measure", "interval_start", "practice_id"]

    def results(path):
        frame = run_measures(str(path), chosen, start=START, end=END)
        return frame[[*keys, "numerator", "denominator"]].sort_values(keys).reset_index(drop=True)

    expected = results(canonical)
    counted = expected[expected.numerator > 0]
    assert len(counted) >= 200 and counted.measure.nunique() >= 10
    assert {"f2f_share", "dna_rate"} <= set(counted.measure)  # modes from the session categories, DNAs from slots
    pd.testing.assert_frame_equal(results(store), expected, check_dtype=False)
    # no booking dates: the waits have no denominator (unavailable, not zero); continuity counts GP appointments
    waits = run_measures(
        str(store), [all_measures()[m] for m in NOT_CARRIED if m.startswith("wait")], start=START, end=END
    )
    assert len(waits) and (waits.denominator == 0).all()
    continuity = [all_measures()[m] for m in NOT_CARRIED if m.startswith("continuity")]
    assert not run_measures(str(store), continuity, start=START, end=END).numerator.equals(
        run_measures(str(canonical), continuity, start=START, end=END).numerator
    )


def _clinician_pairs(store: Path, canonical: Path) -> list[tuple]:
    con = connect(str(store), read_only=True)
    try:
        con.execute(f"ATTACH '{canonical}' AS canonical (READ_ONLY)")
        return con.execute(
            "SELECT DISTINCT a.clinician_id, c.clinician_id FROM appointments a "
            "JOIN canonical.appointments c USING (appointment_id)"
        ).fetchall()
    finally:
        con.close()


def test_without_session_modes_every_mode_is_unknown_and_the_report_says_how_to_map_them(network, tmp_path):
    report = convert("emis", network / "emis", tmp_path / "out")
    modes = {row["mode"] for row in csv.DictReader((tmp_path / "out" / "appointments.csv").open())}
    assert modes == {"unknown"}
    assert any("--session-modes" in note for note in report.notes)
    assert (
        report.as_dict()["value_mappings"][
            "appointments.booked_date: '(not in the EMIS extract)' -> empty: waits unavailable"
        ]
        > 0
    )


def copy_of(network: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "emis"
    shutil.copytree(network / "emis", folder)
    return folder


def path_of(folder: Path, table: str) -> Path:
    return folder / file_name(table)


def rewrite(path: Path, change) -> None:
    """Apply ``change(header, rows)`` (lists of cells) to an EMIS file, keeping CRLF line ends."""
    with path.open(newline="") as f:
        header, *rows = list(csv.reader(f))
    change(header, rows)
    with path.open("w", newline="") as f:
        csv.writer(f, lineterminator="\r\n").writerows([header, *rows])


def test_nhs_numbers_join_one_persons_records_at_two_practices(network, tmp_path):
    folder = copy_of(network, tmp_path)
    patients = path_of(folder, "Admin_Patient")

    def numbered(header, rows):
        i = header.index("NhsNumber")
        for n, row in enumerate(rows, start=1):
            row[i] = nhs_number(n) if row[header.index("DummyType")] == "false" else ""
        # the second record moved to the other practice: a second EMIS record with the first one's NHS number
        moved = list(rows[1])
        moved[header.index("PatientGuid")] = "{00000000-0000-4000-8000-000000000001}"
        moved[header.index("OrganisationGuid")] = next(
            r[header.index("OrganisationGuid")] for r in rows if r[1] != rows[1][1]
        )
        moved[header.index("DateOfRegistration")] = "2024-06-01"
        rows.insert(2, moved)

    rewrite(patients, numbered)
    with pytest.raises(InputError, match="holds NHS numbers"):
        import_from("emis", folder, tmp_path / "refused.duckdb", options=options(network))
    out = tmp_path / "out"
    report = convert("emis", folder, out, key=KEY, options=options(network))
    assert any("same NHS number" in note for note in report.notes)
    text = (out / "patients.csv").read_text()
    assert text.splitlines()[0].startswith("patient_id,nhs_number_pseudonym,") and pseudonym(KEY, nhs_number(2)) in text
    assert nhs_number(2) not in "".join(p.read_text() for p in out.iterdir())
    registrations = list(csv.DictReader((out / "practice_registrations.csv").open()))
    assert len([r for r in registrations if r["patient_id"] == "2"]) == 2
    assert report.written["patients"] == report.written["practice_registrations"] - 1


def test_a_file_of_another_emis_table_is_named(network, tmp_path):
    folder = copy_of(network, tmp_path)
    shutil.copy(path_of(folder, "CareRecord_Observation"), path_of(folder, "Admin_Patient"))
    with pytest.raises(InputError) as caught:
        convert("emis", folder, tmp_path / "out")
    assert "Admin_Patient" in caught.value.message and "CareRecord_Observation file" in caught.value.message


@pytest.mark.skipif(
    importlib.util.find_spec("qiloop.records.from_systmone") is None, reason="the SystmOne converter is not built"
)
def test_a_systmone_extract_given_as_emis_is_named(tmp_path):
    folder = tmp_path / "tpp"
    folder.mkdir()
    header = "RowIdentifier,IDOrganisationVisibleTo,Title,FirstName,MiddleNames,Surname,PreviousSurname,NHSNumber,DateBirth,DateDeath,BirthPlace,Gender,SpeaksEnglish,EmailAddress,TestPatient,SSRef,SpineMatched,RemovedData"  # noqa: E501
    (folder / "SRPatient.csv").write_text(header + "\r\n")
    with pytest.raises(InputError) as caught:
        convert("emis", folder, tmp_path / "out")
    assert "SystmOne" in caught.value.message and "--from systmone" in caught.value.message


def test_a_missing_column_names_the_closest_header(network, tmp_path):
    folder = copy_of(network, tmp_path)

    def misspell(header, rows):
        header[header.index("DateOfBirth")] = "DateOfBrith"

    rewrite(path_of(folder, "Admin_Patient"), misspell)
    with pytest.raises(InputError) as caught:
        convert("emis", folder, tmp_path / "out")
    assert caught.value.message == (
        f"{file_name('Admin_Patient')}:1: missing column 'DateOfBirth' (the closest header present is 'DateOfBrith')"
    )
    assert not (tmp_path / "out").exists()


def test_an_unexpected_column_is_named_in_the_report_and_not_read(network, tmp_path):
    folder = copy_of(network, tmp_path)

    def extra(header, rows):
        header.append("PreferredName")
        for row in rows:
            row.append("SECRETNAME")

    rewrite(path_of(folder, "Admin_Patient"), extra)
    report = convert("emis", folder, tmp_path / "out", options=options(network))
    assert (
        f"{file_name('Admin_Patient')}: column not expected in an EMIS Admin_Patient file (not read): PreferredName"
        in (report.notes)
    )
    assert b"SECRETNAME" not in b"".join(p.read_bytes() for p in (tmp_path / "out").iterdir())


def test_a_date_after_the_as_of_date_is_refused_with_its_line(network, tmp_path):
    folder = copy_of(network, tmp_path)
    observations = path_of(folder, "CareRecord_Observation")

    def late(header, rows):
        rows[6][header.index("EffectiveDate")] = "2025-05-02"

    rewrite(observations, late)
    as_of = dt.date(2025, 4, 30)
    with pytest.raises(InputError) as caught:
        convert("emis", folder, tmp_path / "out", options=options(network, as_of=as_of))
    assert caught.value.message.startswith(f"{observations.name}:8: column EffectiveDate: a date after")
    assert "2025-04-30" in caught.value.message
    # appointments may be booked ahead of the extract
    convert("emis", copy_of(network, tmp_path / "again"), tmp_path / "ok", options=options(network, as_of=as_of))


def test_a_date_not_in_emis_format_is_refused_with_its_line(network, tmp_path):
    folder = copy_of(network, tmp_path)

    def american(header, rows):
        rows[2][header.index("DateOfBirth")] = "03/04/1980"

    rewrite(path_of(folder, "Admin_Patient"), american)
    with pytest.raises(InputError, match=r"Admin_Patient_.*\.csv:4: column DateOfBirth: '03/04/1980' is not a date"):
        convert("emis", folder, tmp_path / "out")


DATES_AND_NOT = {
    "2024-02-29": True, "1000-01-01": True, "9999-12-31": True, "0999-01-01": True, "0000-01-01": True,
    "2024-01-01 10:00": True, "2024-01-01T10:00:00.5": True, "2024-01-01 10:00:00": True,
    "2023-02-29": False, "2024-13-01": False, "2024-1-01": False, " 2024-01-01": False, "2024-01-01 ": False,
    "2024/01/01": False, "01/02/2024": False, "-202-01-01": False, "+2024-01-1": False, "2024-01-01T": False,
    "20240101": False, "10000-01-01": False, "2024-01-01x": False, "": False, "2024-02-30 10:00": False,
}  # fmt: skip


def test_the_date_rule_takes_only_emis_dates():
    from qiloop.records.from_emis.convert import _date_rules

    ((_, _, broken),) = _date_rules("Appointment_Slot", ("AppointmentDate",), None)
    con = connect()
    con.execute("CREATE TABLE t (AppointmentDate VARCHAR)")
    con.executemany("INSERT INTO t VALUES (?)", [[value] for value in [*DATES_AND_NOT, None]])
    found = dict(con.execute(f"SELECT AppointmentDate, NOT ({broken}) FROM t").fetchall())
    assert found == {**DATES_AND_NOT, None: True}


def test_a_bad_date_or_line_in_the_issues_is_refused_with_its_line(network, tmp_path):
    """The issues are read and joined in one pass; a file breaking a rule is read again to name the line."""
    folder = copy_of(network, tmp_path)
    issues = path_of(folder, "Prescribing_IssueRecord")

    def american(header, rows):
        rows[9][header.index("EffectiveDate")] = "04/05/2024"

    rewrite(issues, american)
    with pytest.raises(InputError, match=rf"{issues.name}:11: column EffectiveDate: '04/05/2024' is not a date"):
        convert("emis", folder, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    lines = issues.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[5] = lines[5].replace(",", ',"', 1)  # an unclosed quote
    issues.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError, match=rf"{issues.name}:6: "):
        convert("emis", folder, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_bad_appointment_date_is_refused_with_its_line_and_one_ahead_of_as_of_kept(network, tmp_path):
    folder = copy_of(network, tmp_path)
    slots = path_of(folder, "Appointment_Slot")

    def ahead(header, rows):
        rows[3][header.index("AppointmentDate")] = "2031-01-06"  # booked ahead: may lie after --as-of

    rewrite(slots, ahead)
    as_of = dt.date(2025, 12, 31)
    report = convert("emis", folder, tmp_path / "ahead", options=options(network, as_of=as_of))
    assert report.written["appointments"] > 100

    def impossible(header, rows):
        rows[6][header.index("AppointmentDate")] = "2024-02-30"

    rewrite(slots, impossible)
    with pytest.raises(InputError, match=rf"{slots.name}:8: column AppointmentDate: '2024-02-30' is not a date"):
        convert("emis", folder, tmp_path / "out", options=options(network, as_of=as_of))


def test_slots_and_sessions_in_two_files_are_read_as_in_one(network, tmp_path):
    """One file is read in one pass, two are loaded first: each slot's appointment_id is its position, and each
    session's mode and clinician are the same."""
    one = convert("emis", network / "emis", tmp_path / "one", options=options(network))
    folder = copy_of(network, tmp_path)
    halves = []
    for table in ("Appointment_Slot", "Appointment_Session", "Appointment_SessionUser"):
        first = path_of(folder, table)
        header, *lines = first.read_text(encoding="utf-8").splitlines(keepends=True)
        half = len(lines) // 2
        first.write_text(header + "".join(lines[:half]), encoding="utf-8")
        second = first.with_name(first.name.replace(".csv", "_2.csv"))
        second.write_text(header + "".join(lines[half:]), encoding="utf-8")
        halves.append((first.name, second.name))
    two = convert("emis", folder, tmp_path / "two", options=options(network))
    for first_half, second_half in halves:
        assert two.read[first_half] + two.read[second_half] == one.read[first_half] > 100
    assert two.written == one.written and two.dropped == one.dropped and two.mappings == one.mappings

    def appointments(out: Path) -> list[dict[str, str]]:
        with (out / "appointments.csv").open(newline="") as f:
            return sorted(csv.DictReader(f), key=lambda row: int(row["appointment_id"]))

    assert appointments(tmp_path / "two") == appointments(tmp_path / "one")


def test_without_the_session_files_each_appointment_is_kept_with_mode_and_clinician_unknown(network, tmp_path):
    with_sessions = convert("emis", network / "emis", tmp_path / "with", options=options(network))
    folder = copy_of(network, tmp_path)
    path_of(folder, "Appointment_Session").unlink()
    path_of(folder, "Appointment_SessionUser").unlink()
    report = convert("emis", folder, tmp_path / "out", options=options(network))
    assert "no Appointment_Session file: every appointment's mode is unknown" in report.notes
    assert report.written["appointments"] == with_sessions.written["appointments"]
    with (tmp_path / "out" / "appointments.csv").open(newline="") as f:
        written = list(csv.DictReader(f))
    assert {(row["mode"], row["clinician_id"]) for row in written} == {("unknown", "")}
    modes = {k: n for k, n in report.mappings.items() if k.startswith("appointments.mode")}
    assert modes == {"appointments.mode (session category): '' -> unknown": len(written)}


def test_a_session_has_a_clinician_when_it_has_one_user(network, tmp_path):
    """One user (or one user twice, or a second user deleted): that user; two users: none."""
    folder = copy_of(network, tmp_path)
    with path_of(folder, "Appointment_Slot").open(newline="") as f:
        slots = list(csv.DictReader(f))
    with path_of(folder, "Appointment_SessionUser").open(newline="") as f:
        users = {row["SessionGuid"]: row["UserInRoleGuid"] for row in csv.DictReader(f)}
    booked = list(dict.fromkeys(s["SessionGuid"] for s in slots if s["PatientGuid"] and s["SessionGuid"] in users))
    two, twice, deleted = booked[:3]
    other = "{11111111-2222-3333-4444-555555555555}"

    def more_users(header, rows):
        rows.append([two, other, "false", "4021"])
        rows.append([twice, users[twice], "false", "4021"])
        rows.append([deleted, other, "true", "4021"])

    rewrite(path_of(folder, "Appointment_SessionUser"), more_users)
    baseline = convert("emis", network / "emis", tmp_path / "baseline", options=options(network))
    report = convert("emis", folder, tmp_path / "out", options=options(network))

    def written(out: Path) -> dict[str, tuple[str, str]]:
        with (out / "appointments.csv").open(newline="") as f:
            return {
                slots[int(a["appointment_id"]) - 1]["SessionGuid"]: (a["mode"], a["clinician_id"])
                for a in csv.DictReader(f)
            }

    before, after = written(tmp_path / "baseline"), written(tmp_path / "out")
    assert after[two] == (before[two][0], "")  # the mode is the session's whatever its users
    assert after[twice] == before[twice] == (before[twice][0], users[twice])
    assert after[deleted] == before[deleted] == (before[deleted][0], users[deleted])
    assert report.mappings == baseline.mappings
    users_file = path_of(folder, "Appointment_SessionUser")
    assert report.read[users_file.name] == baseline.read[users_file.name] + 3  # rows read, not sessions


def test_a_session_users_line_that_is_not_csv_is_refused_with_its_line(network, tmp_path):
    folder = copy_of(network, tmp_path)
    users = path_of(folder, "Appointment_SessionUser")
    lines = users.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[7] = lines[7].replace(",", ',"', 1)  # an unclosed quote
    users.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(InputError, match=rf"{users.name}:8: "):
        convert("emis", folder, tmp_path / "out", options=options(network))


def unknown_code_ids(network: Path, tmp_path: Path, share: float) -> tuple[Path, int]:
    """A copy whose observations use, in ``share`` of rows, a CodeId Coding_ClinicalCode does not decode."""
    folder = copy_of(network, tmp_path)
    changed = 0

    def local(header, rows):
        nonlocal changed
        step = round(1 / share)
        for n, row in enumerate(rows):
            if n % step == 0:
                row[header.index("CodeId")] = "77777" if changed % 2 else "99991"  # unknown; known without SNOMED CT
                changed += 1

    rewrite(path_of(folder, "CareRecord_Observation"), local)
    return folder, changed


def test_unknown_code_ids_are_reported_and_refused_above_max_unmapped(network, tmp_path):
    folder, changed = unknown_code_ids(network, tmp_path / "few", 0.02)
    report = convert("emis", folder, tmp_path / "out", options=options(network))
    (system,) = report.unmapped
    assert "EMIS clinical CodeId" in system
    assert set(report.unmapped[system]) == {"77777", "99991"}
    assert sum(report.unmapped[system].values()) == changed
    assert any("were left out" in note for note in report.notes)
    folder, _ = unknown_code_ids(network, tmp_path / "many", 0.2)
    with pytest.raises(InputError) as caught:
        import_from("emis", folder, tmp_path / "store.duckdb", options=options(network))
    assert "not SNOMED CT or dm+d" in caught.value.message and "--max-unmapped" in (caught.value.hint or "")
    assert not (tmp_path / "store.duckdb").exists()
    import_from("emis", folder, tmp_path / "store.duckdb", options=options(network, max_unmapped=50))


def test_year_only_dates_are_a_note_in_the_report(network, tmp_path):
    folder = copy_of(network, tmp_path)

    def year_only(header, rows):
        for row in rows[:3]:
            row[header.index("EffectiveDatePrecision")] = "Y"

    rewrite(path_of(folder, "CareRecord_Observation"), year_only)
    report = convert("emis", folder, tmp_path / "out", options=options(network))
    assert any(note.startswith("3 clinical_events rows have a year-only date") for note in report.notes)


def test_flags_precisions_and_code_ids_are_read_whatever_their_spelling(network, tmp_path):
    """Flags are true when 'true' in any case, spaces around; a precision is year-only when 'Y' so; CodeIds are
    trimmed, and one decoding to no SNOMED CT concept is named as the extract spells it, trimmed."""
    baseline = convert("emis", network / "emis", tmp_path / "baseline", options=options(network))
    folder = copy_of(network, tmp_path)
    deleted = [" TRUE", "True", "tRuE ", "yes", "1", "FALSE", "", "truth"]
    precisions = [" y", "y", "Y ", "YM", "YMD", " ymd", "", "D"]

    def spellings(header, rows):
        for row, flag in zip(rows[: len(deleted)], deleted, strict=True):
            row[header.index("Deleted")] = flag
        for row, precision in zip(rows[len(deleted) : len(deleted) + len(precisions)], precisions, strict=True):
            row[header.index("EffectiveDatePrecision")] = precision
        for row in rows[20:30]:
            row[header.index("CodeId")] = " 77777 "

    rewrite(path_of(folder, "CareRecord_Observation"), spellings)
    report = convert("emis", folder, tmp_path / "out", options=options(network))
    reason = "clinical_events: deleted (Deleted true)"
    assert report.dropped[reason] - baseline.dropped[reason] == 3
    assert any(note.startswith("3 clinical_events rows have a year-only date") for note in report.notes)
    assert not any("year-only" in note for note in baseline.notes)
    (system,) = report.unmapped
    assert set(report.unmapped[system]) == {"77777"}


def test_two_extract_runs_in_one_folder_are_refused(network, tmp_path):
    folder = copy_of(network, tmp_path)
    first = path_of(folder, "Admin_Patient")
    shutil.copy(first, folder / first.name.replace("4021_", "4022_"))
    with pytest.raises(InputError, match="Admin_Patient files from 2 extract runs"):
        convert("emis", folder, tmp_path / "out")


def test_a_folder_without_patients_says_what_an_emis_extract_holds(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.txt").write_text("nothing here")
    with pytest.raises(InputError) as caught:
        convert("emis", folder, tmp_path / "out")
    assert "no Admin_Organisation file" in caught.value.message and "Admin_Patient" in (caught.value.hint or "")


def test_session_modes_file_errors_name_the_line(network, tmp_path):
    modes = tmp_path / "modes.csv"
    modes.write_text("session_category,mode\nTelephone Consultations,telephone\nHome Visits,house call\n")
    with pytest.raises(InputError, match=r"modes.csv:3: column 2: 'house call' is not an appointment mode"):
        convert("emis", network / "emis", tmp_path / "out", options=ConvertOptions(session_modes=modes))


def test_one_practice_of_the_network(network, tmp_path):
    practice = table(network / "canonical.duckdb", "SELECT min(practice_id) FROM practices")[0][0]
    report = convert("emis", network / "emis", tmp_path / "out", options=options(network, practice=practice))
    kept = {row["practice_id"] for row in csv.DictReader((tmp_path / "out" / "practice_registrations.csv").open())}
    assert kept == {practice}
    assert {row["practice_id"] for row in csv.DictReader((tmp_path / "out" / "appointments.csv").open())} == {practice}
    assert report.skipped_patients == {"dummy patient (DummyType true)": 1, "deleted record (Deleted true)": 1}
    dropped = report.dropped
    assert dropped[f"clinical_events: another practice's patient (not {practice})"] > 0
    assert dropped[f"appointments: another practice's slot (not {practice})"] > 0
    assert not any("not in Admin_Patient" in reason for reason in dropped)


def test_canary_personal_columns_reach_nothing(tmp_path, capsys, caplog, monkeypatch):
    from test_convert_canary import MARKER, run_everything

    extract = tmp_path / "extract"
    generate_network(
        extract, practices=1, patients=80, seed=3, fmt="csv", start=dt.date(2024, 4, 1), end=dt.date(2025, 3, 31)
    )
    source = tmp_path / "emis"
    write(extract, source, personal=MARKER)
    personal = [
        c
        for c in SCHEMA["Admin_Patient"]
        if c
        in (
            "GivenName",
            "Surname",
            "Postcode",
            "EmailAddress",
            "HomePhone",
            "MobilePhone",
            "NumberAndStreet",
            "CarerName",
        )
    ]
    with path_of(source, "Admin_Patient").open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert all(MARKER in row[c] for row in rows for c in personal)  # the canary is really there
    for free_text in ("CareRecord_Observation", "Prescribing_IssueRecord", "Appointment_Session", "Admin_UserInRole"):
        assert MARKER in path_of(source, free_text).read_text(), free_text  # free text and staff names too
    modes = write_session_modes(tmp_path / "modes.csv")
    output = run_everything(tmp_path, "emis", source, capsys, caplog, monkeypatch, "--session-modes", str(modes))
    assert "Conversion from emis" in output
    assert MARKER not in output


def test_only_regular_registrations_make_a_practice_list(network, tmp_path):
    folder = copy_of(network, tmp_path)

    def temporary(header, rows):
        rows[4][header.index("PatientTypeDescription")] = " Temporary"  # EMIS sends leading spaces

    rewrite(path_of(folder, "Admin_Patient"), temporary)
    store = tmp_path / "store.duckdb"
    report = import_from("emis", folder, store, options=options(network)).report
    assert report.dropped["practice_registrations: not a regular (GMS) registration (PatientTypeDescription)"] == 1
    mapping = (
        "practice_registrations (PatientTypeDescription): 'Temporary' -> left out: not a regular (GMS) registration"
    )
    assert report.mappings[mapping] == 1
    canonical = table(network / "canonical.duckdb", "SELECT count(*) FROM practice_registrations")[0][0]
    assert table(store, "SELECT count(*) FROM practice_registrations")[0][0] == canonical - 1
    assert table(store, "SELECT count(*) FROM practice_registrations WHERE patient_id = 5") == [(0,)]


def test_observations_without_their_code_table_are_refused(network, tmp_path):
    folder = copy_of(network, tmp_path)
    path_of(folder, "Coding_ClinicalCode").unlink()
    with pytest.raises(InputError, match="has CareRecord_Observation but no Coding_ClinicalCode file"):
        convert("emis", folder, tmp_path / "out")


def test_a_record_without_a_registration_date_keeps_its_patient(network, tmp_path):
    folder = copy_of(network, tmp_path)

    def undated(header, rows):
        rows[0][header.index("DateOfRegistration")] = ""

    rewrite(path_of(folder, "Admin_Patient"), undated)
    report = convert("emis", folder, tmp_path / "out", options=options(network))
    assert report.dropped["practice_registrations: no DateOfRegistration"] == 1
    patients = list(csv.DictReader((tmp_path / "out" / "patients.csv").open()))
    expected = table(network / "canonical.duckdb", "SELECT date_of_birth, sex FROM patients WHERE patient_id = 1")
    assert [(str(expected[0][0]), expected[0][1])] == [
        (p["date_of_birth"], p["sex"]) for p in patients if p["patient_id"] == "1"
    ]


def test_the_doctests():
    import doctest

    from qiloop.records.from_emis import layout

    assert doctest.testmod(layout).failed == 0
