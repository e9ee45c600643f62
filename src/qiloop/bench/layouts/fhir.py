"""A canonical extract written as a FHIR R4 bulk export (NDJSON, one file per resource type).

Organization (one per practice, with its ODS code), Patient (birth date, gender, death, UK Core ethnic
category, generalPractitioner: the practice of the patient's first registration), EpisodeOfCare (one per
registration), Observation (one per clinical event, with its value), MedicationRequest (one per issue) and
Appointment (status, start, created = the booking date, the clinician as a Practitioner participant). DuckDB
builds and writes every file, so a network of 1,000,000 patients streams through without being held in
memory. Synthetic data only: for round-trip tests and ``qiloop bench import --from fhir``.
"""

from __future__ import annotations

from pathlib import Path

from qiloop.bench.layouts._source import connect_extract, has_column

ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
SCT = "http://snomed.info/sct"
ETHNIC_URL = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
ETHNIC_LETTER = {"white": "A", "mixed": "D", "asian": "H", "black": "M", "other": "S"}
FHIR_STATUS = {
    "attended": ("fulfilled", None),
    "did_not_attend": ("noshow", None),
    "cancelled_by_patient": ("cancelled", "pat"),
    "cancelled_by_practice": ("cancelled", "prov"),
    "booked": ("booked", None),
}


def _case(column: str, mapping: dict[str, str | None]) -> str:
    whens = " ".join(f"WHEN '{k}' THEN {'NULL' if v is None else repr(v)}" for k, v in mapping.items())
    return f"CASE {column} {whens} END"


def _queries(with_ethnicity: bool) -> dict[str, str]:
    ethnicity = (
        f"CASE WHEN p.ethnicity IS NOT NULL THEN [{{'url': '{ETHNIC_URL}', 'valueCodeableConcept': "
        f"{{'coding': [{{'code': {_case('p.ethnicity', dict(ETHNIC_LETTER))}}}]}}}}] END"
        if with_ethnicity
        else "NULL"
    )
    status = _case("status", {k: v[0] for k, v in FHIR_STATUS.items()})
    reason = _case("status", {k: v[1] for k, v in FHIR_STATUS.items()})
    return {
        "Organization": f"""
            SELECT 'Organization' AS "resourceType", 'org-' || practice_id AS id,
                   [{{'system': '{ODS}', 'value': practice_id}}] AS identifier
            FROM (SELECT DISTINCT practice_id FROM practice_registrations) ORDER BY practice_id""",
        "Patient": f"""
            WITH first_practice AS (
                SELECT patient_id, arg_min(practice_id, start_date) AS practice_id
                FROM practice_registrations GROUP BY patient_id
            )
            SELECT 'Patient' AS "resourceType", 'p' || p.patient_id AS id, p.date_of_birth AS "birthDate",
                   CASE WHEN p.sex = 'intersex' THEN 'other' ELSE p.sex END AS gender,
                   p.date_of_death || 'T12:00:00+00:00' AS "deceasedDateTime",
                   {ethnicity} AS extension,
                   CASE WHEN f.practice_id IS NOT NULL
                        THEN [{{'reference': 'Organization/org-' || f.practice_id}}] END AS "generalPractitioner"
            FROM patients p LEFT JOIN first_practice f USING (patient_id)
            ORDER BY p.patient_id::BIGINT""",
        "EpisodeOfCare": """
            SELECT 'EpisodeOfCare' AS "resourceType", 'reg' || row_number() OVER () AS id,
                   CASE WHEN end_date IS NULL THEN 'active' ELSE 'finished' END AS status,
                   {'reference': 'Patient/p' || patient_id} AS patient,
                   {'reference': 'Organization/org-' || practice_id} AS "managingOrganization",
                   {'start': start_date, 'end': end_date} AS period
            FROM practice_registrations""",
        "Observation": f"""
            SELECT 'Observation' AS "resourceType", 'o' || row_number() OVER () AS id, 'final' AS status,
                   {{'coding': [{{'system': '{SCT}', 'code': snomedct_code}}]}} AS code,
                   {{'reference': 'Patient/p' || patient_id}} AS subject,
                   date AS "effectiveDateTime",
                   CASE WHEN numeric_value IS NOT NULL THEN {{'value': numeric_value::DOUBLE}} END AS "valueQuantity"
            FROM clinical_events""",
        "MedicationRequest": f"""
            SELECT 'MedicationRequest' AS "resourceType", 'm' || row_number() OVER () AS id,
                   'completed' AS status, 'order' AS intent,
                   {{'coding': [{{'system': '{SCT}', 'code': dmd_code}}]}} AS "medicationCodeableConcept",
                   {{'reference': 'Patient/p' || patient_id}} AS subject, date AS "authoredOn"
            FROM medications""",
        "Appointment": f"""
            SELECT 'Appointment' AS "resourceType", 'a' || appointment_id AS id, {status} AS status,
                   start_date || 'T09:00:00+00:00' AS start, booked_date || 'T08:00:00+00:00' AS created,
                   CASE WHEN clinician_id IS NULL
                        THEN [{{'actor': {{'reference': 'Patient/p' || patient_id}}, 'status': 'accepted'}}]
                        ELSE [{{'actor': {{'reference': 'Patient/p' || patient_id}}, 'status': 'accepted'}},
                              {{'actor': {{'reference': 'Practitioner/' || clinician_id}}, 'status': 'accepted'}}]
                   END AS participant,
                   CASE WHEN {reason} IS NOT NULL THEN {{'coding': [{{'code': {reason}}}]}} END
                       AS "cancelationReason"
            FROM appointments ORDER BY appointment_id::BIGINT""",
    }


def write(extract_dir: Path, out_dir: Path) -> None:
    """Write the extract in ``extract_dir`` as FHIR NDJSON files (``Patient.000.ndjson``, ...) into ``out_dir``
    (created; must not exist)."""
    out_dir.mkdir(parents=True)
    con = connect_extract(extract_dir)
    try:
        for name, query in _queries(has_column(con, "patients", "ethnicity")).items():
            con.execute(f"COPY ({query}) TO $out (FORMAT JSON)", {"out": str(out_dir / f"{name}.000.ndjson")})
    finally:
        con.close()
