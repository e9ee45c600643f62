"""GPAD (NHS England "Appointments in General Practice", practice-level CSV) as the national comparator.

The fixture is built by hand with the published header and value strings (double spaces in the lead-time bands,
``Unknown / Data Quality``, the older CCG columns, a release without APPT_STATUS); the expected figures are
worked by hand from its rows.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from pathlib import Path

import pytest

from qiloop.errors import InputError
from qiloop.records.convert import ConvertOptions, convert, import_from
from qiloop.records.gpad import COUNTS_TABLE, comparator
from qiloop.records.sql import connect
from qiloop.records.store import BUILD_PREFIX

HEADER = (
    "APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,"
    "SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,"
    "APPT_STATUS"
)
A = "A81001,{name} SURGERY,EMIS,U00001,{name} PCN,00K,{name} SUB ICB"
B = "B82002,{name} MEDICAL CENTRE,TPP,U00002,{name} PCN 2,00K,{name} SUB ICB"
FEB_24 = [
    ("01JAN2024", A, "GP,Face-to-Face,General Consultation Routine,Same Day,10,Attended"),
    ("01JAN2024", A, "GP,Telephone,Clinical Triage,8  to 14 Days,5,DNA"),
    ("01JAN2024", A, "Other Practice staff,Face-to-Face,Unmapped,Unknown / Data Quality,3,Unknown"),
    ("01JAN2024", A, "GP,Home Visit,Home Visit,1 Day,2,Attended"),
    ("01FEB2024", A, "GP,Face-to-Face,General Consultation Acute,2 to 7 Days,8,Attended"),
    ("01FEB2024", A, "GP,Video Conference/Online,General Consultation Acute,Same Day,2,DNA"),
    ("01JAN2024", B, "GP,Face-to-Face,General Consultation Acute,Same Day,20,Attended"),
    ("01JAN2024", B, "GP,Telephone,Clinical Triage,More than 28 Days,4,DNA"),
    ("01JAN2024", B, "Unknown,Unknown,Inconsistent Mapping,15  to 21 Days,6,Attended"),
    ("01FEB2024", B, "GP,Telephone,Walk-in,22  to 28 Days,10,Attended"),
]
JAN, FEB = dt.date(2024, 1, 1), dt.date(2024, 2, 1)


def gpad_file(folder: Path, name: str, rows, *, header: str = HEADER, marker: str = "CANARYNAME") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = [header] + [f"{month},{where.format(name=marker)},{rest}" for month, where, rest in rows]
    path = folder / name
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def fractions(figures) -> dict:
    return {f.month: Fraction(f.numerator, f.denominator) for f in figures}


def test_comparator_figures_worked_by_hand(tmp_path):
    store = tmp_path / "store.duckdb"
    gpad_file(tmp_path / "gpad", "Practice_Level_Crosstab_Feb_24.csv", FEB_24)
    (tmp_path / "gpad" / "Mapping.csv").write_text("SLOT_TYPE,NATIONAL_CATEGORY\n")
    outcome = import_from("gpad", tmp_path / "gpad", store)
    assert outcome.result.tables == {COUNTS_TABLE: 10}
    assert "Mapping.csv" in outcome.report.ignored
    assert outcome.report.mappings["lead_band (appointments): '8 to 14 Days' -> 8_14"] == 5
    dna = comparator(store, "dna_rate", practice_id="A81001")
    assert fractions(dna.national) == {JAN: Fraction(9, 47), FEB: Fraction(2, 20)}
    assert fractions(dna.practice) == {JAN: Fraction(5, 17), FEB: Fraction(2, 10)}
    assert dna.practices[JAN] == [("A81001", 5, 17), ("B82002", 4, 30)]
    assert "Unknown" in dna.differences
    same_day = comparator(store, "wait_same_day")
    assert fractions(same_day.national)[JAN] == Fraction(30, 47)  # the unknown band is left out
    assert fractions(comparator(store, "wait_14d").national)[JAN] == Fraction(37, 47)
    assert fractions(comparator(store, "f2f_share").national)[JAN] == Fraction(33, 50)
    assert fractions(comparator(store, "gpad_unmapped_share").national)[JAN] == Fraction(9, 50)
    assert all(f.provisional for f in dna.national)  # within two months of the Feb 24 release
    assert not list(tmp_path.glob(BUILD_PREFIX + "*"))


def test_older_release_with_ccg_columns_and_no_status(tmp_path):
    header = HEADER.replace("SUB_ICB_LOCATION_CODE", "CCG_CODE").replace("SUB_ICB_LOCATION_NAME", "CCG_NAME")
    header = header.removesuffix(",APPT_STATUS")
    rows = [("01NOV2022", A, "GP,Face-to-Face,General Consultation Routine,Same Day,7")]
    gpad_file(tmp_path / "gpad", "Practice_Level_Crosstab_Dec_22.csv", rows, header=header)
    store = tmp_path / "store.duckdb"
    outcome = import_from("gpad", tmp_path / "gpad", store)
    con = connect(str(store), read_only=True)
    try:
        assert con.execute(f"SELECT sub_icb_id, status, count, release::VARCHAR FROM {COUNTS_TABLE}").fetchall() == [
            ("00K", "unknown", 7, "2022-12-01")
        ]
    finally:
        con.close()
    assert any("no APPT_STATUS" in note for note in outcome.report.notes)
    assert fractions(comparator(store, "wait_same_day").national) == {dt.date(2022, 11, 1): Fraction(7, 7)}
    assert comparator(store, "dna_rate").national[0].denominator == 0  # no known status: no DNA rate


def test_latest_release_wins_for_a_restated_month_and_later_imports_merge(tmp_path):
    store = tmp_path / "store.duckdb"
    gpad_file(tmp_path / "feb", "Practice_Level_Crosstab_Feb_24.csv", FEB_24)
    import_from("gpad", tmp_path / "feb", store)
    restated = [("01JAN2024", A, "GP,Face-to-Face,General Consultation Routine,Same Day,11,Attended")]
    gpad_file(tmp_path / "mar", "Practice_Level_Crosstab_Mar_24.csv", restated)
    import_from("gpad", tmp_path / "mar", store)
    dna = comparator(store, "dna_rate", practice_id="A81001")
    assert fractions(dna.practice) == {JAN: Fraction(0, 11), FEB: Fraction(2, 10)}
    assert fractions(dna.national)[JAN] == Fraction(4, 41)  # B's January from the February release
    import_from("gpad", tmp_path / "mar", store)  # the same release again: no double counting
    assert fractions(comparator(store, "dna_rate").national)[JAN] == Fraction(4, 41)


def test_practice_filter_keeps_one_practice(tmp_path):
    gpad_file(tmp_path / "gpad", "Practice_Level_Crosstab_Feb_24.csv", FEB_24)
    store = tmp_path / "store.duckdb"
    import_from("gpad", tmp_path / "gpad", store, practice="B82002")
    assert [p for p, *_ in comparator(store, "dna_rate").practices[JAN]] == ["B82002"]
    with pytest.raises(InputError, match="no rows for practice Z99999"):
        import_from("gpad", tmp_path / "gpad", tmp_path / "other.duckdb", practice="Z99999")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("8  to 14 Days", "8 to 15 Days"),
            "Practice_Level_Crosstab_Feb_24.csv:3: column TIME_BETWEEN_BOOK_AND_APPT: "
            "'8 to 15 Days' is not a published value",
        ),
        (("DNA", "Did not attend"), "Practice_Level_Crosstab_Feb_24.csv:3: column APPT_STATUS: 'Did not attend'"),
        (
            ("01FEB2024", "02/01/2024"),
            "Practice_Level_Crosstab_Feb_24.csv:6: column APPOINTMENT_MONTH_START_DATE: '02/01/2024'",
        ),
        (
            ("COUNT_OF_APPOINTMENTS", "COUNT_OF_APPOINTMENT"),
            "missing column 'COUNT_OF_APPOINTMENTS' (the closest header present is 'COUNT_OF_APPOINTMENT')",
        ),
    ],
)
def test_bad_gpad_files_name_the_line_and_change_nothing(tmp_path, change, expected):
    store = tmp_path / "store.duckdb"
    gpad_file(tmp_path / "good", "Practice_Level_Crosstab_Feb_24.csv", FEB_24)
    import_from("gpad", tmp_path / "good", store)
    before = store.read_bytes()
    path = gpad_file(tmp_path / "bad", "Practice_Level_Crosstab_Feb_24.csv", FEB_24)
    path.write_text(path.read_text().replace(*change, 1))
    with pytest.raises(InputError) as caught:
        import_from("gpad", tmp_path / "bad", store)
    assert expected in str(caught.value)
    if "published value" in expected:
        assert "accepted values" in str(caught.value)
    assert store.read_bytes() == before
    assert not list(tmp_path.glob(BUILD_PREFIX + "*"))


def test_gpad_joins_a_patient_store_without_touching_it_and_names_are_never_read(tmp_path):
    from test_convert_ehrql import ehrql_tables

    store = tmp_path / "store.duckdb"
    import_from("ehrql", ehrql_tables(tmp_path / "ehrql"), store)
    con = connect(str(store), read_only=True)
    before = con.execute("SELECT * FROM clinical_events").fetchall()
    con.close()
    gpad_file(tmp_path / "gpad", "Practice_Level_Crosstab_Feb_24.csv", FEB_24, marker="CANARYNAME")
    import_from("gpad", tmp_path / "gpad", store)
    con = connect(str(store), read_only=True)
    try:
        assert con.execute("SELECT * FROM clinical_events").fetchall() == before
    finally:
        con.close()
    from qiloop.records.store import read_store_info

    assert "clinical_events" in read_store_info(store).tables
    assert b"CANARYNAME" not in store.read_bytes()
    out = tmp_path / "out"
    convert("gpad", tmp_path / "gpad", out, options=ConvertOptions())
    assert not any(b"CANARYNAME" in p.read_bytes() for p in out.iterdir())
    assert (out / f"{COUNTS_TABLE}.csv").read_text().count("\n") == 11


def test_a_patient_table_is_not_a_gpad_file(tmp_path):
    folder = tmp_path / "gpad"
    folder.mkdir()
    (folder / "Practice_Level_Crosstab_Feb_24.csv").write_text("patient_id,sex\n1,female\n")
    with pytest.raises(InputError, match="not a GPAD file"):
        import_from("gpad", folder, tmp_path / "store.duckdb")


def test_a_store_that_is_not_duckdb_is_refused_and_left_alone(tmp_path):
    store = tmp_path / "store.duckdb"
    store.write_text("not a database")
    gpad_file(tmp_path / "gpad", "Practice_Level_Crosstab_Feb_24.csv", FEB_24)
    with pytest.raises(InputError, match="not a DuckDB store"):
        import_from("gpad", tmp_path / "gpad", store)
    assert store.read_text() == "not a database"
    assert not list(tmp_path.glob(BUILD_PREFIX + "*"))
