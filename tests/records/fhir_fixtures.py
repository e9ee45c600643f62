"""A small UK Core-shaped FHIR bulk export, written by tests (synthetic people; shapes follow NHS England's
UK Core examples: NHS number identifier, ethnic category extension, ODS-coded Organization, UKCore-Appointment).

``marker`` goes into every field that identifies a person or place (names, addresses, telecom, e-mail, contact,
narrative text): the canary test proves it reaches nothing qiloop writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synthetic_nhs_numbers import synthetic_nhs_numbers

NHS = "https://fhir.nhs.uk/Id/nhs-number"
ODS = "https://fhir.nhs.uk/Id/ods-organization-code"
SCT = "http://snomed.info/sct"
ETHNIC_URL = "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory"
ETHNIC_SYSTEM = "https://fhir.hl7.org.uk/CodeSystem/UKCore-EthnicCategoryEngland"
NUMBERS = synthetic_nhs_numbers(4)


def personal(marker: str) -> dict[str, Any]:
    """Every identifying field a Patient or Practitioner can carry, each holding the marker."""
    return {
        "text": {"status": "generated", "div": f"<div>{marker}</div>"},
        "name": [{"use": "official", "family": f"{marker}Family", "given": [f"{marker}Given"], "prefix": ["Mrs"]}],
        "telecom": [
            {"system": "phone", "value": f"01632 960{marker}"},
            {"system": "email", "value": f"{marker}@example.org"},
        ],
        "address": [{"line": [f"1 {marker} Street"], "city": f"{marker}ton", "postalCode": f"{marker} 1AA"}],
        "contact": [{"name": {"family": f"{marker}Kin"}, "telecom": [{"system": "phone", "value": f"{marker}07700"}]}],
    }


def patient(n: int, birth: str, gender: str, ethnic: str | None, marker: str, **extra: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": f"pat-{n}",
        "meta": {"profile": ["https://fhir.hl7.org.uk/StructureDefinition/UKCore-Patient"]},
        "identifier": [{"system": NHS, "value": NUMBERS[n - 1]}],
        "gender": gender,
        "birthDate": birth,
        "generalPractitioner": [{"reference": "Organization/org-1"}],
        **personal(marker),
        **extra,
    }
    if ethnic:
        resource["extension"] = [
            {"url": ETHNIC_URL, "valueCodeableConcept": {"coding": [{"system": ETHNIC_SYSTEM, "code": ethnic}]}}
        ]
    return resource


def export(folder: Path, marker: str = "CANARYNAME", *, extra: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    """Write the export; ``extra`` adds resources to a type's file (or makes a new file)."""
    resources: dict[str, list[dict[str, Any]]] = {
        "Organization": [
            {
                "resourceType": "Organization",
                "id": "org-1",
                "identifier": [{"system": ODS, "value": "A81001"}],
                "name": f"{marker} Surgery",
                "telecom": [{"system": "phone", "value": f"{marker}-0113"}],
                "address": [{"line": [f"{marker} Road"], "postalCode": f"{marker} 2BB"}],
            }
        ],
        "Practitioner": [{"resourceType": "Practitioner", "id": "gp-1", **personal(marker)}],
        "Patient": [
            patient(1, "1950-03-17", "female", "A", marker),
            patient(2, "1972-11-02", "male", "N", marker, deceasedDateTime="2024-05-06T10:00:00+01:00"),
            patient(3, "2001-01-31", "other", "Z", marker),
            patient(
                4, "1990-01-01", "female", "A", marker, meta={"tag": [{"system": "x", "code": "HTEST"}]}
            ),  # a test patient
        ],
        "Condition": [
            {
                "resourceType": "Condition",
                "id": "c1",
                "verificationStatus": {"coding": [{"code": "confirmed"}]},
                "code": {"coding": [{"system": SCT, "code": "195967001"}], "text": f"{marker} asthma"},
                "subject": {"reference": "Patient/pat-1", "display": f"{marker}Given {marker}Family"},
                "onsetDateTime": "2020-02-03",
                "note": [{"text": f"{marker} wrote this"}],
            },
            {
                "resourceType": "Condition",
                "id": "c2",
                "verificationStatus": {"coding": [{"code": "entered-in-error"}]},
                "code": {"coding": [{"system": SCT, "code": "44054006"}]},
                "subject": {"reference": "Patient/pat-1"},
                "recordedDate": "2021-01-01",
            },
            {
                "resourceType": "Condition",
                "id": "c3",
                "code": {"coding": [{"system": "http://read.info/readv2", "code": "H33.."}]},
                "subject": {"reference": "Patient/pat-2"},
                "recordedDate": "2019-06-01T09:00:00Z",
            },
            {
                "resourceType": "Condition",
                "id": "c4",
                "code": {"coding": [{"system": SCT, "code": "195967001"}]},
                "subject": {"reference": "Patient/pat-4"},
                "recordedDate": "2019-06-01",
            },
        ],
        "Observation": [
            {
                "resourceType": "Observation",
                "id": "o1",
                "status": "final",
                "code": {"coding": [{"system": SCT, "code": "75367002"}]},
                "subject": {"reference": "Patient/pat-1"},
                "effectiveDateTime": "2023-01-10T09:30:00+00:00",
                "performer": [{"reference": "Practitioner/gp-1", "display": f"Dr {marker}"}],
                "component": [
                    {"code": {"coding": [{"system": SCT, "code": "72313002"}]}, "valueQuantity": {"value": 142}},
                    {
                        "code": {"coding": [{"system": SCT, "code": "1091811000000102"}]},
                        "valueQuantity": {"value": 88},
                    },
                ],
            },
            {
                "resourceType": "Observation",
                "id": "o2",
                "status": "final",
                "code": {"coding": [{"system": SCT, "code": "1011481000000105"}]},
                "subject": {"reference": "Patient/pat-2"},
                "effectiveDateTime": "2023-02-01",
                "valueQuantity": {"value": 90, "comparator": ">", "unit": "mL/min"},
            },
        ],
        "MedicationRequest": [
            {
                "resourceType": "MedicationRequest",
                "id": "m1",
                "status": "active",
                "intent": "order",
                "medicationCodeableConcept": {"coding": [{"system": SCT, "code": "39113611000001102"}]},
                "subject": {"reference": "Patient/pat-1"},
                "authoredOn": "2023-03-01",
                "requester": {"reference": "Practitioner/gp-1", "display": f"Dr {marker}"},
            },
            {
                "resourceType": "MedicationRequest",
                "id": "m2",
                "status": "cancelled",
                "intent": "order",
                "medicationCodeableConcept": {"coding": [{"system": SCT, "code": "39113611000001102"}]},
                "subject": {"reference": "Patient/pat-1"},
                "authoredOn": "2023-03-02",
            },
            {
                "resourceType": "MedicationRequest",
                "id": "m3",
                "status": "active",
                "intent": "plan",
                "medicationCodeableConcept": {"coding": [{"system": SCT, "code": "39113611000001102"}]},
                "subject": {"reference": "Patient/pat-2"},
                "authoredOn": "2023-03-03",
            },
        ],
        "Appointment": [
            {
                "resourceType": "Appointment",
                "id": "a1",
                "status": "fulfilled",
                "start": "2023-04-03T09:00:00+01:00",
                "created": "2023-03-30T15:00:00+01:00",
                "description": f"{marker} review",
                "participant": [
                    {"actor": {"reference": "Patient/pat-1", "display": marker}, "status": "accepted"},
                    {"actor": {"reference": "Practitioner/gp-1", "display": marker}, "status": "accepted"},
                ],
            },
            {
                "resourceType": "Appointment",
                "id": "a2",
                "status": "noshow",
                "start": "2023-04-04T09:00:00Z",
                "created": "2023-04-04T08:00:00Z",
                "participant": [{"actor": {"reference": "Patient/pat-2"}, "status": "accepted"}],
            },
            {
                "resourceType": "Appointment",
                "id": "a3",
                "status": "cancelled",
                "cancelationReason": {"coding": [{"code": "pat-crs"}]},
                "start": "2023-04-05T09:00:00Z",
                "created": "2023-04-01T08:00:00Z",
                "participant": [{"actor": {"reference": "Patient/pat-3"}, "status": "accepted"}],
            },
            {
                "resourceType": "Appointment",
                "id": "a4",
                "status": "booked",
                "start": "2023-04-06T09:00:00Z",
                "participant": [{"actor": {"reference": "Patient/pat-3"}, "status": "accepted"}],
            },
        ],
    }
    for name, more in (extra or {}).items():
        resources.setdefault(name, []).extend(more)
    folder.mkdir(parents=True, exist_ok=True)
    for name, items in resources.items():
        with (folder / f"{name}.000.ndjson").open("w", encoding="utf-8") as f:
            for item in items:
                f.write(json.dumps(item) + "\n")
    return folder
