"""The FHIR conversion in bulk (DuckDB) gives exactly what the line-by-line reader gives: the same tables, row
for row, and the same report, on the UK Core fixture, edge cases of every mapped field, a synthetic network and
the Synthea sample; and it leaves what it does not handle to the line-by-line reader."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fhir_fixtures import ODS, SCT, export

from qiloop.bench.layouts import fhir as fhir_layout
from qiloop.records.convert import ConvertOptions
from qiloop.records.from_fhir import convert_fhir, convert_fhir_bulk, convert_fhir_lines
from qiloop.synth import generate_network

KEY = b"fhir-test-key-0123456789abcdef"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def edge_cases() -> dict[str, list[dict[str, Any]]]:
    """Resources that exercise each rule the converter applies (on top of the UK Core fixture)."""
    subject = {"reference": "Patient/pat-1"}
    return {
        "Patient": [
            {
                "resourceType": "Patient",
                "id": "pat-5",
                "birthDate": "1980-06",
                "gender": "unknown",
                "deceasedBoolean": True,
            },
            {"resourceType": "Patient", "id": "pat-6", "birthDate": "1931", "deceasedDateTime": "2020-04"},
            {"resourceType": "Patient", "id": "pat-7", "gender": "male"},  # no birthDate: skipped
            {
                "resourceType": "Patient",
                "id": "pat-8",
                "birthDate": "2000-02-29",
                "generalPractitioner": [
                    {"reference": "Organization/nowhere"},
                    {"identifier": {"system": ODS, "value": "C83003"}},
                ],
                "extension": [{"url": "x/Extension-UKCore-EthnicCategory", "valueCodeableConcept": {"coding": []}}],
            },
        ],
        "Medication": [
            {"resourceType": "Medication", "id": "med-1", "code": {"coding": [{"system": SCT, "code": "3911"}]}},
            {"resourceType": "Medication", "id": "med-2", "code": {"coding": [{"system": RXNORM, "code": "1049"}]}},
            {"resourceType": "Medication", "id": "med-3"},
        ],
        "Observation": [
            {
                "resourceType": "Observation",
                "id": "o10",
                "status": "final",
                "subject": subject,
                "effectivePeriod": {"start": "2022-05-05T10:00:00Z"},
                "code": {"coding": [{"system": SCT, "code": "75367002"}]},
                "component": [
                    {"code": {"coding": [{"system": SCT, "code": "72313002"}]}, "valueQuantity": {"value": 120}},
                    {
                        "code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                        "valueQuantity": {"value": 80, "comparator": "<"},
                    },
                    {"valueQuantity": {"value": 1}},
                ],
            },
            {
                "resourceType": "Observation",
                "id": "o11",
                "status": "final",
                "subject": subject,
                "issued": "2022-06-01",
                "code": {"coding": [{"code": "nosystem"}]},
                "valueQuantity": {"value": "12"},
            },
            {
                "resourceType": "Observation",
                "id": "o12",
                "status": "final",
                "subject": subject,
                "effectiveDateTime": "2022-07",
                "code": {"coding": [{"system": SCT, "code": "1"}]},
            },
            {
                "resourceType": "Observation",
                "id": "o13",
                "status": "refuted",
                "subject": {"reference": "Patient/x"},
                "code": {"text": "no coding"},
            },
            {
                "resourceType": "Observation",
                "id": "o14",
                "status": "final",
                "subject": {"reference": "Patient/x"},
                "effectiveDateTime": "2022-07-01",
                "code": {"coding": [{"system": SCT, "code": "1"}]},
            },
            {
                "resourceType": "Observation",
                "id": "o15",
                "status": "final",
                "subject": {"reference": "https://server/fhir/Patient/pat-2/_history/3"},
                "effectiveDateTime": "2022-08-01",
                "code": {"text": "nothing coded"},
            },
            {
                "resourceType": "Observation",
                "id": "o16",
                "status": "final",
                "subject": {"reference": "Patient/pat-6"},
                "effectiveDateTime": "2022-08-01",
                "code": {"coding": [{"system": SCT, "code": "2"}]},
                "valueQuantity": {"value": 0.1, "comparator": ">="},
            },
        ],
        "MedicationRequest": [
            {
                "resourceType": "MedicationRequest",
                "id": "m10",
                "status": "active",
                "intent": "order",
                "subject": subject,
                "authoredOn": "2023-03-04",
                "medicationReference": {"reference": "Medication/med-1"},
            },
            {
                "resourceType": "MedicationRequest",
                "id": "m11",
                "status": "active",
                "subject": subject,
                "authoredOn": "2023-03-05",
                "medicationReference": {"reference": "Medication/med-2"},
            },
            {
                "resourceType": "MedicationRequest",
                "id": "m12",
                "status": "active",
                "subject": subject,
                "authoredOn": "2023-03-06",
                "medicationReference": {"reference": "Medication/med-3"},
            },
            {
                "resourceType": "MedicationRequest",
                "id": "m13",
                "status": "active",
                "subject": subject,
                "authoredOn": "2023-03",
                "medicationCodeableConcept": {"coding": [{"system": SCT, "code": "5"}]},
            },
            {
                "resourceType": "MedicationRequest",
                "id": "m14",
                "status": "active",
                "subject": subject,
                "authoredOn": "2023-03-07",
                "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "7"}]},
            },
        ],
        "EpisodeOfCare": [
            {
                "resourceType": "EpisodeOfCare",
                "id": "e1",
                "status": "finished",
                "patient": {"reference": "Patient/pat-2"},
                "managingOrganization": {"reference": "Organization/org-1"},
                "period": {"start": "2001-04-01", "end": "2019-12-31"},
            },
            {
                "resourceType": "EpisodeOfCare",
                "id": "e2",
                "status": "entered-in-error",
                "patient": {"reference": "Patient/pat-2"},
            },
            {
                "resourceType": "EpisodeOfCare",
                "id": "e3",
                "status": "active",
                "patient": {"reference": "Patient/pat-2"},
                "period": {"start": "2020-01-01"},
            },
            {
                "resourceType": "EpisodeOfCare",
                "id": "e4",
                "status": "active",
                "patient": {"reference": "Patient/pat-5"},
                "period": {"end": "2020-01-01"},
            },
        ],
        "Appointment": [
            {
                "resourceType": "Appointment",
                "id": "a10",
                "status": "cancelled",
                "start": "2023-05-01T09:00:00Z",
                "created": "2023-04-01",
                "participant": [
                    {"actor": {"reference": "Practitioner/gp-2"}},
                    {"actor": {"reference": "Patient/pat-8"}},
                ],
            },
            {
                "resourceType": "Appointment",
                "id": "a11",
                "status": "cancelled",
                "start": "2023-05-02",
                "created": "2023-04-02",
                "cancelationReason": {"coding": [{"code": "prov"}]},
                "participant": [{"actor": {"reference": "Patient/pat-1"}}],
            },
            {
                "resourceType": "Appointment",
                "id": "a12",
                "status": "entered-in-error",
                "participant": [{"actor": {"reference": "Patient/pat-1"}}],
            },
            {
                "resourceType": "Appointment",
                "id": "a13",
                "status": "waitlist",
                "start": "2023-06-01",
                "created": "2023-05-01",
                "participant": [{"actor": {"reference": "Patient/pat-5"}}],
            },
            {
                "resourceType": "Appointment",
                "id": "a14",
                "status": "arrived",
                "created": "2023-05-01",
                "participant": [{"actor": {"reference": "Patient/pat-1"}}],
            },
        ],
        "Encounter": [{"resourceType": "Encounter", "id": "enc1", "status": "finished"}],
        "MedicationStatement": [{"resourceType": "MedicationStatement", "id": "s1", "status": "active"}],
    }


def network(folder: Path) -> Path:
    generate_network(folder / "extract", practices=2, patients=300, seed=7, fmt="parquet",
                     start=dt.date(2024, 4, 1), end=dt.date(2025, 3, 31))  # fmt: skip
    fhir_layout.write(folder / "extract", folder / "fhir")
    return folder / "fhir"


def tables(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    import duckdb

    found = {}
    for path in sorted(folder.iterdir()):
        if path.suffix in (".csv", ".parquet"):
            reader = "read_parquet" if path.suffix == ".parquet" else "read_csv_auto"
            rows = duckdb.sql(f"SELECT * FROM {reader}('{path}')").fetchall()
            found[path.stem] = [tuple(None if v is None else str(v) for v in row) for row in rows]
    return found


def both(source: Path, tmp: Path, options: ConvertOptions, key: bytes | None) -> tuple[Any, Any]:
    (tmp / "bulk").mkdir()
    (tmp / "lines").mkdir()
    bulk = convert_fhir_bulk(source, tmp / "bulk", options, "raw", key)
    assert bulk is not None, "the bulk conversion left this export to the line-by-line reader"
    lines = convert_fhir_lines(source, tmp / "lines", options, "raw", key)
    return bulk, lines


@pytest.mark.parametrize("case", ["uk-core", "edge-cases", "edge-cases-practice", "network", "synthea"])
@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_bulk_and_line_by_line_conversions_agree(case, fmt, tmp_path, reference_dir):
    key: bytes | None = KEY
    options = ConvertOptions(max_unmapped=100, tables=fmt)
    if case == "uk-core":
        source = export(tmp_path / "fhir")
    elif case.startswith("edge-cases"):
        source = export(tmp_path / "fhir", extra=edge_cases())
        if case == "edge-cases-practice":
            options = ConvertOptions(max_unmapped=100, tables=fmt, practice="P99999")
    elif case == "network":
        source, key = network(tmp_path), None
    else:
        source, key = reference_dir / "fhir" / "synthea-bulk-10-patients", None
        if not (source / "Patient.000.ndjson").is_file():
            pytest.skip(f"the Synthea sample is not under {source}")
    bulk, lines = both(source, tmp_path, options, key)
    assert bulk.as_dict() == lines.as_dict()
    assert json.dumps(bulk.as_dict()) == json.dumps(lines.as_dict())  # the same order, too (ties in top codes)
    converted, expected = tables(tmp_path / "bulk"), tables(tmp_path / "lines")
    assert converted.keys() == expected.keys()
    for name, rows in expected.items():
        if fmt == "csv":
            assert converted[name] == rows, name
        else:  # Parquet keeps the number, CSV its text; events and medications are written unsorted

            def number(v: str | None, name: str = name) -> str | None:
                return v if v is None or name != "clinical_events" else repr(float(v))

            def normal(found: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
                return sorted((tuple(number(v) if i == 3 else v for i, v in enumerate(r)) for r in found), key=str)

            assert normal(converted[name]) == normal(rows), name
            if name in ("patients", "practice_registrations"):
                assert converted[name] == rows, name
    if case == "edge-cases":  # the edge cases are really met
        assert lines.unmapped["LOINC"] and lines.unmapped["RxNorm"] and lines.unmapped["no system"]
        assert lines.skipped_patients["no birthDate"] == 1
        assert sum(n for reason, n in lines.dropped.items() if "not among" in reason) >= 2


@pytest.mark.parametrize(
    "extra",
    [
        {
            "Observation": [
                {
                    "resourceType": "Observation",
                    "id": "x",
                    "status": "final",
                    "subject": {"reference": "Patient/pat-1"},
                    "effectiveDateTime": "2022-02-30",
                    "code": {"coding": [{"system": SCT, "code": "1"}]},
                }
            ]
        },
        {
            "Appointment": [
                {
                    "resourceType": "Appointment",
                    "id": "x",
                    "status": "done",
                    "participant": [{"actor": {"reference": "Patient/pat-1"}}],
                }
            ]
        },
        {"Condition": [{"resourceType": "Condition", "id": "x", "code": {"coding": [{"system": SCT, "code": "1"}]}}]},
        {"Patient": [{"resourceType": "Patient", "id": "pat-1", "birthDate": "1990-01-01"}]},
        {"MedicationStatement": [{"resourceType": "Observation", "id": "x"}]},
    ],
    ids=["bad-date", "bad-status", "no-subject", "repeated-id", "wrong-type"],
)
def test_problems_are_left_to_the_line_by_line_reader(extra, tmp_path):
    source = export(tmp_path / "fhir", extra=extra)
    assert convert_fhir_bulk(source, tmp_path, ConvertOptions(max_unmapped=100), "raw", KEY) is None
    assert not any(tmp_path.glob("*.csv")) and not any(tmp_path.glob("*.parquet"))


def test_a_line_that_is_not_json_is_left_to_the_line_by_line_reader(tmp_path):
    source = export(tmp_path / "fhir")
    with (source / "Observation.000.ndjson").open("a") as f:
        f.write('{"resourceType": "Observation", "id": \n')
    out = tmp_path / "out"
    out.mkdir()
    assert convert_fhir_bulk(source, out, ConvertOptions(), "raw", KEY) is None
    from qiloop.errors import InputError

    with pytest.raises(InputError, match=r"Observation.000.ndjson:\d+: not JSON"):
        convert_fhir(source, out, ConvertOptions(), "raw", KEY)
