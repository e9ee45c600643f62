"""Test-only writers: a canonical extract (CSV) written out as ehrQL tables and as a FHIR bulk export.

They are the inverse of the converters for every field the target layout carries, so converting their
output back must give the canonical rows again (tests/records/test_convert_roundtrip.py).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

TPP_STATUS = {
    "attended": "Finished",
    "did_not_attend": "Did Not Attend",
    "cancelled_by_patient": "Cancelled by Patient",
    "cancelled_by_practice": "Cancelled by Unit",
    "booked": "Booked",
}
ETHNIC_LETTER = {"white": "A", "mixed": "D", "asian": "H", "black": "M", "other": "S"}
FHIR_STATUS = {
    "attended": ("fulfilled", None),
    "did_not_attend": ("noshow", None),
    "cancelled_by_patient": ("cancelled", "pat"),
    "cancelled_by_practice": ("cancelled", "prov"),
    "booked": ("booked", None),
}


def read(extract: Path, table: str) -> list[dict[str, str]]:
    with (extract / f"{table}.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def write_ehrql(extract: Path, out: Path) -> Path:
    out.mkdir(parents=True)

    def table(name: str, header: list[str], rows: list[list[str]]) -> None:
        with (out / f"{name}.csv").open("w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)

    table(
        "patients",
        ["patient_id", "sex", "date_of_birth", "date_of_death"],
        [[p["patient_id"], p["sex"], p["date_of_birth"], p["date_of_death"]] for p in read(extract, "patients")],
    )
    table(
        "practice_registrations",
        ["patient_id", "start_date", "end_date", "practice_pseudo_id"],
        [
            [r["patient_id"], r["start_date"], r["end_date"], r["practice_id"]]
            for r in read(extract, "practice_registrations")
        ],
    )
    table(
        "clinical_events",
        ["patient_id", "date", "snomedct_code", "ctv3_code", "numeric_value"],
        [
            [e["patient_id"], e["date"], e["snomedct_code"], "", e["numeric_value"]]
            for e in read(extract, "clinical_events")
        ],
    )
    table(
        "medications",
        ["patient_id", "date", "dmd_code"],
        [[m["patient_id"], m["date"], m["dmd_code"]] for m in read(extract, "medications")],
    )
    table(
        "appointments",
        ["patient_id", "booked_date", "start_date", "seen_date", "status"],
        [
            [a["patient_id"], a["booked_date"], a["start_date"], "", TPP_STATUS[a["status"]]]
            for a in read(extract, "appointments")
        ],
    )
    return out


def write_fhir(extract: Path, out: Path) -> Path:
    out.mkdir(parents=True)
    ods = "https://fhir.nhs.uk/Id/ods-organization-code"
    sct = "http://snomed.info/sct"
    files: dict[str, list[dict[str, Any]]] = {"Organization": [], "Patient": [], "EpisodeOfCare": []}
    practices = sorted({r["practice_id"] for r in read(extract, "practice_registrations")})
    for practice in practices:
        files["Organization"].append(
            {
                "resourceType": "Organization",
                "id": f"org-{practice}",
                "identifier": [{"system": ods, "value": practice}],
            }
        )
    registrations = read(extract, "practice_registrations")
    first_practice: dict[str, str] = {}
    for r in registrations:
        first_practice.setdefault(r["patient_id"], r["practice_id"])
    for p in read(extract, "patients"):
        resource: dict[str, Any] = {
            "resourceType": "Patient",
            "id": f"p{p['patient_id']}",
            "birthDate": p["date_of_birth"],
            "gender": "other" if p["sex"] == "intersex" else p["sex"],
        }
        if p["date_of_death"]:
            resource["deceasedDateTime"] = p["date_of_death"] + "T12:00:00+00:00"
        if p.get("ethnicity"):
            resource["extension"] = [
                {
                    "url": "https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-EthnicCategory",
                    "valueCodeableConcept": {"coding": [{"code": ETHNIC_LETTER[p["ethnicity"]]}]},
                }
            ]
        if p["patient_id"] in first_practice:
            resource["generalPractitioner"] = [{"reference": f"Organization/org-{first_practice[p['patient_id']]}"}]
        files["Patient"].append(resource)
    for n, r in enumerate(registrations):
        period = {"start": r["start_date"], **({"end": r["end_date"]} if r["end_date"] else {})}
        files["EpisodeOfCare"].append(
            {
                "resourceType": "EpisodeOfCare",
                "id": f"reg{n}",
                "status": "finished" if r["end_date"] else "active",
                "patient": {"reference": f"Patient/p{r['patient_id']}"},
                "managingOrganization": {"reference": f"Organization/org-{r['practice_id']}"},
                "period": period,
            }
        )
    files["Observation"] = [
        {
            "resourceType": "Observation",
            "id": f"o{n}",
            "status": "final",
            "code": {"coding": [{"system": sct, "code": e["snomedct_code"]}]},
            "subject": {"reference": f"Patient/p{e['patient_id']}"},
            "effectiveDateTime": e["date"],
            **({"valueQuantity": {"value": float(e["numeric_value"])}} if e["numeric_value"] else {}),
        }
        for n, e in enumerate(read(extract, "clinical_events"))
    ]
    files["MedicationRequest"] = [
        {
            "resourceType": "MedicationRequest",
            "id": f"m{n}",
            "status": "completed",
            "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": sct, "code": m["dmd_code"]}]},
            "subject": {"reference": f"Patient/p{m['patient_id']}"},
            "authoredOn": m["date"],
        }
        for n, m in enumerate(read(extract, "medications"))
    ]
    appointments = []
    for a in read(extract, "appointments"):
        status, reason = FHIR_STATUS[a["status"]]
        participants = [{"actor": {"reference": f"Patient/p{a['patient_id']}"}, "status": "accepted"}]
        if a["clinician_id"]:
            participants.append({"actor": {"reference": f"Practitioner/{a['clinician_id']}"}, "status": "accepted"})
        resource = {
            "resourceType": "Appointment",
            "id": f"a{a['appointment_id']}",
            "status": status,
            "start": a["start_date"] + "T09:00:00+00:00",
            "created": a["booked_date"] + "T08:00:00+00:00",
            "participant": participants,
        }
        if reason:
            resource["cancelationReason"] = {"coding": [{"code": reason}]}
        appointments.append(resource)
    files["Appointment"] = appointments
    for name, resources in files.items():
        with (out / f"{name}.000.ndjson").open("w") as f:
            for resource in resources:
                f.write(json.dumps(resource) + "\n")
    return out


GPAD_HEADER = (
    "APPOINTMENT_MONTH_START_DATE,GP_CODE,GP_NAME,SUPPLIER,PCN_CODE,PCN_NAME,SUB_ICB_LOCATION_CODE,"
    "SUB_ICB_LOCATION_NAME,HCP_TYPE,APPT_MODE,NATIONAL_CATEGORY,TIME_BETWEEN_BOOK_AND_APPT,COUNT_OF_APPOINTMENTS,"
    "APPT_STATUS"
)
GPAD_MODE = {
    "face_to_face": "Face-to-Face",
    "telephone": "Telephone",
    "video": "Video Conference/Online",
    "online": "Video Conference/Online",
    "home_visit": "Home Visit",
}
GPAD_STATUS = {"attended": "Attended", "did_not_attend": "DNA", "booked": "Unknown"}


def _band(days: int) -> str:
    for limit, label in ((0, "Same Day"), (1, "1 Day"), (7, "2 to 7 Days"), (14, "8  to 14 Days"),
                         (21, "15  to 21 Days"), (28, "22  to 28 Days")):  # fmt: skip
        if days <= limit:
            return label
    return "More than 28 Days"


def write_gpad(extract: Path, out: Path, release: str = "Mar_25") -> Path:
    """The network's appointments (cancellations left out, as GPAD has none) as one GPAD practice-level file."""
    import datetime as dt
    from collections import Counter

    counts: Counter[tuple[str, ...]] = Counter()
    for a in read(extract, "appointments"):
        if a["status"] not in GPAD_STATUS:
            continue
        start = dt.date.fromisoformat(a["start_date"])
        days = (start - dt.date.fromisoformat(a["booked_date"])).days
        counts[
            (
                start.replace(day=1).strftime("%d%b%Y").upper(),
                a["practice_id"],
                "GP" if a["hcp_role"] == "gp" else "Other Practice staff",
                GPAD_MODE[a["mode"]],
                "General Consultation Routine",
                _band(days),
                GPAD_STATUS[a["status"]],
            )
        ] += 1
    out.mkdir(parents=True)
    path = out / f"Practice_Level_Crosstab_{release}.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")
        w.writerow(GPAD_HEADER.split(","))
        for (month, practice, hcp, mode, category, band, status), n in sorted(counts.items()):
            w.writerow(
                [month, practice, "NAME", "EMIS", "U1", "PCN", "00K", "SUB ICB", hcp, mode, category, band, n, status]
            )
    return out
