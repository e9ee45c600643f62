"""Round trip: a synthetic network written out as ehrQL tables and as a FHIR bulk export (test-only writers)
and converted back gives the canonical import's rows wherever the layout carries the field, and the same
measure results for every measure that uses only carried fields."""

from __future__ import annotations

import pandas as pd
import pytest
from convert_helpers import year_network
from roundtrip_writers import write_ehrql, write_fhir

from qiloop.measures import all_measures, run_measures
from qiloop.records.convert import import_from
from qiloop.records.sql import connect

START, END = "2024-04", "2025-03"


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    return year_network(tmp_path_factory.mktemp("roundtrip"))


def table(store, sql: str) -> list[tuple]:
    con = connect(str(store), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


CARRIED = {
    "ehrql": {
        "patients": "patient_id, date_of_birth, sex, date_of_death",
        "practice_registrations": "patient_id, start_date, end_date, practice_id",
        "clinical_events": "patient_id, date, snomedct_code, numeric_value",
        "medications": "patient_id, date, dmd_code",
        "appointments": "appointment_id, patient_id, practice_id, booked_date, start_date, status",
    },
    "fhir": {
        "patients": "patient_id, date_of_birth, CASE WHEN sex = 'intersex' THEN 'unknown' ELSE sex END, "
        "date_of_death, ethnicity",
        "practice_registrations": "patient_id, start_date, end_date, practice_id",
        "clinical_events": "patient_id, date, snomedct_code, numeric_value",
        "medications": "patient_id, date, dmd_code",
        "appointments": "appointment_id, patient_id, practice_id, booked_date, start_date, status, clinician_id",
    },
}
# measures that read a field the layout does not carry (appointment mode and clinician role)
NOT_CARRIED = {
    "ehrql": ("f2f_share", "continuity_upc", "continuity_coc"),
    "fhir": ("f2f_share", "continuity_upc", "continuity_coc"),
}


@pytest.mark.parametrize("kind", ["ehrql", "fhir"])
def test_converted_network_matches_the_canonical_import(network, kind):
    writer = write_ehrql if kind == "ehrql" else write_fhir
    source = writer(network / "extract", network / kind)
    store = network / f"{kind}.duckdb"
    outcome = import_from(kind, source, store)
    assert not outcome.report.unmapped
    canonical = network / "canonical.duckdb"
    for name, columns in CARRIED[kind].items():
        expected = table(canonical, f"SELECT {columns} FROM {name} ORDER BY ALL")
        assert table(store, f"SELECT {columns} FROM {name} ORDER BY ALL") == expected, name
    chosen = [m for m in all_measures().values() if m.id not in NOT_CARRIED[kind] and not m.id.startswith("gpad")]
    keys = ["measure", "interval_start", "practice_id"]

    def results(path):
        frame = run_measures(str(path), chosen, start=START, end=END)
        return frame[[*keys, "numerator", "denominator"]].sort_values(keys).reset_index(drop=True)

    expected = results(canonical)
    counted = expected[expected.numerator > 0]
    assert len(counted) >= 200 and counted.measure.nunique() >= 10  # a comparison worth making
    pd.testing.assert_frame_equal(results(store), expected, check_dtype=False)
    # and the measures left out really do differ: mode and role are unknown after conversion
    left_out = [all_measures()[m] for m in NOT_CARRIED[kind]]
    assert not run_measures(str(store), left_out, start=START, end=END).numerator.equals(
        run_measures(str(canonical), left_out, start=START, end=END).numerator
    )


def test_gpad_written_from_the_network_gives_its_appointment_figures(network):
    from roundtrip_writers import write_gpad

    from qiloop.records.gpad import comparator

    store = network / "gpad.duckdb"
    import_from("gpad", write_gpad(network / "extract", network / "gpad"), store)
    canonical = network / "canonical.duckdb"
    # computed independently from the canonical appointments (cancellations left out, as GPAD has none)
    sql = {
        "dna_rate": ("status = 'did_not_attend'", "status IN ('attended', 'did_not_attend')"),
        "wait_same_day": ("start_date = booked_date", "true"),
        "wait_7d": ("start_date - booked_date <= 7", "true"),
        "wait_14d": ("start_date - booked_date <= 14", "true"),
        "f2f_share": ("mode = 'face_to_face'", "true"),
    }
    for measure_id, (numerator, denominator) in sql.items():
        expected = table(
            canonical,
            f"SELECT date_trunc('month', start_date)::DATE, practice_id, count(*) FILTER (WHERE ({numerator}) AND "
            f"({denominator})), count(*) FILTER (WHERE {denominator}) FROM appointments WHERE status NOT LIKE "
            "'cancelled%' GROUP BY ALL ORDER BY 1, 2",
        )
        got = comparator(store, measure_id)
        assert [(m, p, n, d) for m, items in got.practices.items() for p, n, d in items] == expected, measure_id
        national = {}
        for month, _, n, d in expected:
            national[month] = (national.get(month, (0, 0))[0] + n, national.get(month, (0, 0))[1] + d)
        assert {f.month: (f.numerator, f.denominator) for f in got.national} == national, measure_id


def test_gpad_mismatch_finding_when_the_records_and_gpad_disagree(network, tmp_path):
    import shutil

    from roundtrip_writers import write_gpad

    from qiloop.records.quality import quality_report

    store = tmp_path / "store.duckdb"
    shutil.copy(network / "canonical.duckdb", store)
    source = write_gpad(network / "extract", tmp_path / "gpad")
    import_from("gpad", source, store)
    assert quality_report(store).finding("gpad_mismatch") == []  # the same appointments: no finding
    # one practice-month with 30% more appointments in GPAD than in the records
    path = next(source.iterdir())
    lines = path.read_text().splitlines()
    month, practice = lines[1].split(",")[:2]
    total = sum(int(line.split(",")[12]) for line in lines[1:] if line.split(",")[:2] == [month, practice])
    cells = lines[1].split(",")
    cells[12] = str(int(cells[12]) + round(0.3 * total))
    lines[1] = ",".join(cells)
    path.write_text("\r\n".join(lines) + "\r\n")
    import_from("gpad", source, store)
    (finding,) = quality_report(store).finding("gpad_mismatch")
    assert finding.count == 1 and finding.example.startswith(f"practice {practice}, ")
    assert f"{total:,} in the records" in finding.example
