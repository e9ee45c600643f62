"""A value reported as a bound (eGFR ">90") keeps its comparator: canonical import, converters, quality."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from qiloop.errors import InputError
from qiloop.records.convert import ConvertOptions
from qiloop.records.from_fhir import convert_fhir_lines
from qiloop.records.importer import import_extract
from qiloop.records.quality import quality_report


def _extract(folder: Path, comparators: list[str]) -> Path:
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,date_of_birth,sex,date_of_death\n1,1950-01-01,female,\n")
    (folder / "practice_registrations.csv").write_text(
        "patient_id,practice_id,start_date,end_date\n1,A81001,2010-01-01,\n"
    )
    lines = ["patient_id,date,snomedct_code,numeric_value,numeric_comparator"]
    lines += [f"1,2024-0{i + 1}-01,1011481000000105,90,{c}" for i, c in enumerate(comparators)]
    (folder / "clinical_events.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_a_canonical_extract_keeps_the_comparator_and_quality_reports_it(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    import_extract(_extract(tmp_path / "x", [">", "", "<="]), store)
    con = duckdb.connect(str(store), read_only=True)
    got = con.execute("SELECT numeric_value, numeric_comparator FROM clinical_events ORDER BY date").fetchall()
    con.close()
    assert got == [(90.0, ">"), (90.0, None), (90.0, "<=")]
    found = [f for f in quality_report(store).findings if f.id == "bounded_value"]
    assert len(found) == 1 and found[0].count == 2


def test_a_comparator_the_store_does_not_know_is_refused_with_its_line(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    with pytest.raises(InputError) as caught:
        import_extract(_extract(tmp_path / "x", [">", "=>"]), store)
    assert "numeric_comparator" in str(caught.value) and ":3" in str(caught.value)
    assert not store.exists()


def test_fhir_keeps_the_four_comparators_and_leaves_ad_off_on_both_paths(tmp_path: Path) -> None:
    source = tmp_path / "fhir"
    source.mkdir()
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1950-01-01", "gender": "female"}
    observations = [
        {
            "resourceType": "Observation",
            "id": f"o{i}",
            "status": "final",
            "subject": {"reference": "Patient/p1"},
            "effectiveDateTime": f"2024-0{i + 1}-01",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1011481000000105"}]},
            "valueQuantity": {"value": 90, **({"comparator": c} if c else {})},
        }
        for i, c in enumerate([">", "<", ">=", "<=", "ad", None])
    ]
    (source / "Patient.ndjson").write_text(json.dumps(patient) + "\n")
    (source / "Observation.ndjson").write_text("\n".join(json.dumps(o) for o in observations) + "\n")
    from qiloop.records.convert import convert

    for name, run in (
        ("bulk", lambda out: convert("fhir", source, out)),
        ("lines", lambda out: convert_fhir_lines(source, out, ConvertOptions(), "refuse", None)),
    ):
        out = tmp_path / name
        out.mkdir()
        report = run(out)
        rows = (out / "clinical_events.csv").read_text().splitlines()
        assert rows[0].endswith("numeric_value,numeric_comparator")
        assert sorted(r.rsplit(",", 1)[1] for r in rows[1:]) == ["", "", "<", "<=", ">", ">="], name
        comparators = {m: n for m, n in report.mappings.items() if "comparator" in m}
        assert comparators == {"clinical_events.numeric_comparator: 'comparator ad' -> the number alone": 1}, name
