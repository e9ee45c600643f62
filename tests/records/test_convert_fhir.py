"""``qiloop import --from fhir``: a FHIR R4 / UK Core bulk export through the one validated import."""

from __future__ import annotations

import json

import pytest
from convert_helpers import rows
from fhir_fixtures import NUMBERS, export

from qiloop.errors import InputError
from qiloop.records.convert import ConvertOptions, convert, import_from
from qiloop.records.pseudonym import pseudonym
from qiloop.records.store import BUILD_PREFIX

KEY = b"fhir-test-key-0123456789abcdef"
LENIENT = ConvertOptions(max_unmapped=20)  # the fixture's one Read code is 1 of 7 coded rows


def test_uk_core_export_maps_every_field_the_spec_names(tmp_path):
    store = tmp_path / "store.duckdb"
    outcome = import_from("fhir", export(tmp_path / "fhir"), store, key=KEY, options=LENIENT)
    assert rows(
        store,
        "SELECT patient_id, nhs_number_pseudonym, date_of_birth::VARCHAR, sex, date_of_death::VARCHAR, ethnicity "
        "FROM patients ORDER BY 1",
    ) == [
        (1, pseudonym(KEY, NUMBERS[0]), "1950-03-01", "female", None, "white"),
        (2, pseudonym(KEY, NUMBERS[1]), "1972-11-01", "male", "2024-05-06", "black"),
        (3, pseudonym(KEY, NUMBERS[2]), "2001-01-01", "unknown", None, None),
    ]
    # (the order of rows in the store is not the export's: the conversion writes them as they come)
    events = (
        "SELECT patient_id, date::VARCHAR, snomedct_code, numeric_value, numeric_comparator FROM clinical_events "
        "ORDER BY ALL"
    )
    assert rows(store, events) == [
        (1, "2020-02-03", "195967001", None, None),
        (1, "2023-01-10", "1091811000000102", 88.0, None),
        (1, "2023-01-10", "72313002", 142.0, None),
        (1, "2023-01-10", "75367002", None, None),
        (2, "2023-02-01", "1011481000000105", 90.0, ">"),  # eGFR ">90": the number and its comparator
    ]
    assert rows(store, "SELECT patient_id, date::VARCHAR, dmd_code FROM medications") == [
        (1, "2023-03-01", "39113611000001102")
    ]
    assert rows(
        store,
        "SELECT appointment_id, patient_id, practice_id, booked_date::VARCHAR, start_date::VARCHAR, status, mode, "
        "hcp_role, clinician_id FROM appointments ORDER BY 1",
    ) == [
        (1, 1, "A81001", "2023-03-30", "2023-04-03", "attended", "unknown", "unknown", "gp-1"),
        (2, 2, "A81001", "2023-04-04", "2023-04-04", "did_not_attend", "unknown", "unknown", None),
        (3, 3, "A81001", "2023-04-01", "2023-04-05", "cancelled_by_patient", "unknown", "unknown", None),
    ]
    # no EpisodeOfCare: one registration per patient from its earliest record, flagged as inferred
    assert rows(store, "SELECT patient_id, start_date::VARCHAR, end_date, practice_id FROM practice_registrations") == [
        (1, "2020-02-03", None, "A81001"),
        (2, "2023-02-01", None, "A81001"),
        (3, "2023-04-01", None, "A81001"),
    ]
    report = outcome.report
    assert report.skipped_patients == {"test record (meta tag HTEST)": 1}
    assert report.dropped == {
        "appointments: no created date (the booking date)": 1,
        "clinical_events: Condition entered-in-error": 1,
        "clinical_events: the patient was skipped (test record)": 1,
        "medications: MedicationRequest cancelled": 1,
        "medications: MedicationRequest intent plan (not an order)": 1,
    }
    assert report.unmapped == {"Read v2": {"H33..": 1}}
    assert not [m for m in report.mappings if "comparator" in m]  # '>' is kept, not mapped away
    assert report.mappings["patients.sex: 'other' -> unknown"] == 1
    assert report.mappings["appointments.status: 'cancelled (pat-crs)' -> cancelled_by_patient"] == 1
    assert "Practitioner.000.ndjson" in report.ignored
    assert any("inferred" in note for note in report.notes)
    assert not list(tmp_path.glob(BUILD_PREFIX + "*"))


def test_unmapped_codes_above_the_threshold_are_refused(tmp_path):
    with pytest.raises(InputError) as caught:
        import_from("fhir", export(tmp_path / "fhir"), tmp_path / "store.duckdb", key=KEY)
    assert "1 of 7 coded rows (14.3%)" in str(caught.value) and "Read v2" in str(caught.value)
    assert "--max-unmapped" in str(caught.value)
    assert not (tmp_path / "store.duckdb").exists()


def test_nhs_numbers_need_a_key_and_convert_writes_only_pseudonyms(tmp_path):
    source = export(tmp_path / "fhir")
    with pytest.raises(InputError) as caught:
        import_from("fhir", source, tmp_path / "store.duckdb", options=LENIENT)
    assert "Patient.000.ndjson:1 (Patient/pat-1): the export holds NHS numbers" in str(caught.value)
    with pytest.raises(InputError, match="NHS numbers"):
        convert("fhir", source, tmp_path / "refused", options=LENIENT)
    assert not (tmp_path / "refused").exists()
    out = tmp_path / "out"
    convert("fhir", source, out, key=KEY, options=LENIENT)
    text = (out / "patients.csv").read_text()
    assert text.splitlines()[0].startswith("patient_id,nhs_number_pseudonym,")
    assert pseudonym(KEY, NUMBERS[0]) in text
    for number in NUMBERS:
        assert number not in "".join(p.read_text() for p in out.iterdir())


@pytest.mark.parametrize(
    ("file", "line", "expected"),
    [
        ("Condition", "{not json", "Condition.000.ndjson:5: not JSON"),
        (
            "Condition",
            json.dumps({"resourceType": "Condition", "id": "nosubj", "code": {}, "recordedDate": "2020-01-01"}),
            "Condition.000.ndjson:5 (Condition/nosubj): the resource has no subject",
        ),
        (
            "Condition",
            json.dumps(
                {
                    "resourceType": "Condition",
                    "id": "d",
                    "subject": {"reference": "Patient/pat-1"},
                    "recordedDate": "03/04/2020",
                }
            ),
            "Condition.000.ndjson:5 (Condition/d): recordedDate '03/04/2020' is not a FHIR date",
        ),
        (
            "Patient",
            json.dumps({"resourceType": "Condition", "id": "x"}),
            "Patient.000.ndjson:5: a Condition where a Patient resource was expected",
        ),
    ],
)
def test_bad_resources_name_file_line_and_change_nothing(tmp_path, file, line, expected):
    store = tmp_path / "store.duckdb"
    import_from("fhir", export(tmp_path / "good"), store, key=KEY, options=LENIENT)
    before = store.read_bytes()
    source = export(tmp_path / "fhir")
    with (source / f"{file}.000.ndjson").open("a") as f:
        f.write(line + "\n")
    with pytest.raises(InputError) as caught:
        import_from("fhir", source, store, key=KEY, options=LENIENT)
    assert expected in str(caught.value)
    assert store.read_bytes() == before
    assert not list(tmp_path.glob(BUILD_PREFIX + "*"))


def test_a_folder_of_tables_is_not_a_fhir_export(tmp_path):
    folder = tmp_path / "tables"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,sex,date_of_birth,date_of_death\n")
    with pytest.raises(InputError, match="no FHIR NDJSON files .* look like tables"):
        import_from("fhir", folder, tmp_path / "store.duckdb")


def test_a_bundle_converts_like_ndjson(tmp_path):
    ndjson = export(tmp_path / "fhir")
    entries = [
        {"resource": json.loads(line)}
        for name in ("Organization", "Patient", "Condition", "Observation", "MedicationRequest", "Appointment")
        for line in (ndjson / f"{name}.000.ndjson").read_text().splitlines()
    ]
    bundle_dir = tmp_path / "bundle"
    bundle_dir.mkdir()
    (bundle_dir / "export.json").write_text(
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})
    )
    from_bundle = convert("fhir", bundle_dir, tmp_path / "b", key=KEY, options=LENIENT)
    from_ndjson = convert("fhir", ndjson, tmp_path / "n", key=KEY, options=LENIENT)
    assert from_bundle.written == from_ndjson.written
    for table in ("patients", "clinical_events", "medications", "appointments", "practice_registrations"):
        assert (tmp_path / "b" / f"{table}.csv").read_text() == (tmp_path / "n" / f"{table}.csv").read_text()


def test_synthea_sample_reports_rxnorm_medicines_as_unmapped(reference_dir, tmp_path):
    source = reference_dir / "fhir" / "synthea-bulk-10-patients"
    if not (source / "Patient.000.ndjson").is_file():
        pytest.skip(f"the Synthea sample is not under {source}")
    with pytest.raises(InputError, match="RxNorm"):
        import_from("fhir", source, tmp_path / "store.duckdb")
    # counted independently of the converter: every MedicationRequest line coded in RxNorm
    requests = [json.loads(line) for line in (source / "MedicationRequest.000.ndjson").read_text().splitlines()]
    rxnorm = sum(
        1
        for r in requests
        if r.get("medicationCodeableConcept", {}).get("coding", [{}])[0].get("system")
        == "http://www.nlm.nih.gov/research/umls/rxnorm"
    )
    patients = (source / "Patient.000.ndjson").read_text().count("\n")
    outcome = import_from(
        "fhir", source, tmp_path / "store.duckdb", options=ConvertOptions(max_unmapped=100, practice=None)
    )
    report = outcome.report
    assert report.unmapped["RxNorm"].total() == rxnorm > 0
    assert outcome.result.tables["patients"] == patients
    assert report.dropped["Encounter: not converted (no booking date; appointments come from Appointment)"] > 0


def test_one_practices_fhir_export_replaces_only_that_practice(tmp_path, capsys, monkeypatch):
    from records_fixtures import valid_extract, write_csv

    from qiloop.cli import main

    monkeypatch.setenv("QILOOP_PROGRESS", "0")
    store = tmp_path / "store.duckdb"
    assert main(["import", str(write_csv(tmp_path / "network", valid_extract())), "--store", str(store)]) == 0
    others = rows(store, "SELECT * FROM practice_registrations WHERE practice_id <> 'A81001' ORDER BY ALL")
    key_file = tmp_path / "key"
    key_file.write_bytes(KEY)
    source = export(tmp_path / "fhir")
    args = ["import", "--from", "fhir", str(source), "--store", str(store), "--key-file", str(key_file)]
    assert main([*args, "--practice", "A81001", "--max-unmapped", "20"]) == 0
    assert "converted (fhir) and imported" in capsys.readouterr().out
    assert rows(store, "SELECT * FROM practice_registrations WHERE practice_id <> 'A81001' ORDER BY ALL") == others
    assert rows(store, "SELECT count(*) FROM practice_registrations WHERE practice_id = 'A81001'") == [(3,)]
    assert rows(store, "SELECT name, pcn_id FROM practices WHERE practice_id = 'A81001'") == [("A81001", "unknown")]
    before = store.read_bytes()
    # the wrong practice: the export's registrations name A81001, so nothing changes
    assert main([*args, "--practice", "P1", "--max-unmapped", "20"]) == 1
    assert "A81001" in capsys.readouterr().err
    assert store.read_bytes() == before


def test_medication_statements_only_on_request(tmp_path):
    statement = {
        "resourceType": "MedicationStatement",
        "id": "s1",
        "status": "active",
        "medicationCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "322236009"}]},
        "subject": {"reference": "Patient/pat-2"},
        "effectiveDateTime": "2023-05-06",
    }
    source = export(tmp_path / "fhir", extra={"MedicationStatement": [statement]})
    without = convert("fhir", source, tmp_path / "a", key=KEY, options=LENIENT)
    assert without.written["medications"] == 1
    assert without.dropped["medications: MedicationStatement (read only with --include-statements)"] == 1
    options = ConvertOptions(max_unmapped=20, include_statements=True)
    with_statements = convert("fhir", source, tmp_path / "b", key=KEY, options=options)
    assert with_statements.written["medications"] == 2
    assert (tmp_path / "b" / "medications.csv").read_text().splitlines()[-1] == "2,2023-05-06,322236009"


def test_episodes_of_care_give_registrations_and_the_others_are_inferred(tmp_path):
    episode = {
        "resourceType": "EpisodeOfCare",
        "id": "e1",
        "status": "finished",
        "patient": {"reference": "Patient/pat-1"},
        "managingOrganization": {
            "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "B82002"}
        },
        "period": {"start": "2001-04-01", "end": "2019-12-31"},
    }
    source = export(tmp_path / "fhir", extra={"EpisodeOfCare": [episode]})
    store = tmp_path / "store.duckdb"
    outcome = import_from("fhir", source, store, key=KEY, options=LENIENT)
    assert rows(
        store, "SELECT patient_id, start_date::VARCHAR, end_date::VARCHAR, practice_id FROM practice_registrations"
    ) == [
        (1, "2001-04-01", "2019-12-31", "B82002"),
        (2, "2023-02-01", None, "A81001"),
        (3, "2023-04-01", None, "A81001"),
    ]
    assert any(note.startswith("2 patients have no EpisodeOfCare") for note in outcome.report.notes)
