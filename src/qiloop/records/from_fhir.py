"""A FHIR R4 / UK Core bulk export (NDJSON, one file per resource type, or Bundles) -> the canonical tables.

NDJSON exports are converted in bulk by DuckDB (:mod:`qiloop.records.from_fhir_bulk`: each file parsed once,
only the fields below picked out, every rule applied to whole columns). Bundles, and anything the bulk
conversion leaves aside (a line that is not JSON, a malformed date, a resource without a subject, NHS numbers
to pseudonymise for ``qiloop convert``, ...), are converted line by line here instead (one resource a line;
each resource parsed and only the fields below picked from it), which names the file and line of any
problem. Both give the same tables and the same report. The rest of a resource (names, addresses, telecom,
contacts, narrative text) is never written, logged or reported. Files of resource types qiloop does not use
(Practitioner, Immunization, Location, ...) are not opened at all and are listed as ignored.

==================  =====================================================================================
resource            canonical
==================  =====================================================================================
Patient             patients: id -> patient_id (1, 2, ... in file order); NHS number identifier
                    (``https://fhir.nhs.uk/Id/nhs-number``) -> nhs_number (pseudonymised by the import);
                    birthDate -> first of its month; gender male/female/unknown (other -> unknown);
                    deceasedDateTime -> date_of_death; UK Core ethnic category letter -> the 5 groups;
                    generalPractitioner Organization's ODS code -> the practice
EpisodeOfCare       practice_registrations: period start/end, managingOrganization's ODS code
(no EpisodeOfCare)  one registration per patient at its generalPractitioner (else ``--practice``), from
                    the patient's earliest record (else birth), open; reported as inferred
Condition           clinical_events: SNOMED CT code, onsetDateTime else recordedDate
Observation         clinical_events: SNOMED CT code, effectiveDateTime (or effectivePeriod.start, issued),
                    valueQuantity.value; each component with its own SNOMED CT code is an event too
MedicationRequest   medications: SNOMED CT / dm+d code of medicationCodeableConcept (or of the Medication
                    a medicationReference names), authoredOn; intent other than order skipped
MedicationStatement medications, only with ``include_statements``
Appointment         appointments: start, created -> booked_date, status, Practitioner participant ->
                    clinician_id; the patient's practice; mode and hcp_role unknown
==================  =====================================================================================

Skipped (counted in the report): entered-in-error, cancelled and refuted resources; patients tagged
``HTEST`` (test records); resources whose subject is not among the Patients. Codes of other systems
(RxNorm, Read, CTV3, LOINC, ...) are reported as unmapped and refused above ``max_unmapped`` percent.
Encounter resources are read but not converted: they carry no booking date (see docs/importers.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qiloop.errors import InputError
from qiloop.records.column_checks import shown
from qiloop.records.convert import ConversionReport, ConvertOptions, NhsMode, TableWriter, check_unmapped
from qiloop.records.schema import COMPARATORS

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
ODS_SYSTEMS = ("https://fhir.nhs.uk/Id/ods-organization-code", "https://fhir.nhs.uk/Id/ods-site-code")
SNOMED = "http://snomed.info/sct"
DMD_SYSTEMS = (SNOMED, "https://dmd.nhs.uk", "http://dmd.nhs.uk")
ETHNIC_EXTENSION = "Extension-UKCore-EthnicCategory"
SYSTEM_NAMES = {
    "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm",
    "http://read.info/readv2": "Read v2",
    "http://read.info/ctv3": "CTV3",
    "http://loinc.org": "LOINC",
    "http://hl7.org/fhir/sid/icd-10": "ICD-10",
}
# UK Core EthnicCategoryEngland (NHS data dictionary ethnic category) -> the ONS 5 groups; Z (not stated) -> missing
ETHNIC_GROUPS = {
    **dict.fromkeys("ABC", "white"),
    **dict.fromkeys("DEFG", "mixed"),
    **dict.fromkeys("HJKLR", "asian"),  # R (Chinese) is in the Asian group of the ONS 5-group classification
    **dict.fromkeys("MNP", "black"),
    **dict.fromkeys("S", "other"),
}
APPOINTMENT_STATUSES = {
    "fulfilled": "attended",
    "arrived": "attended",
    "checked-in": "attended",
    "noshow": "did_not_attend",
    "booked": "booked",
    "pending": "booked",
    "proposed": "booked",
    "waitlist": "booked",
}
# Appointment.cancelationReason (HL7 appointment-cancellation-reason): pat* = patient, everything else = practice
SKIP_STATUSES = {"entered-in-error", "cancelled", "refuted"}
# The order resource types are read in: what later resources refer to comes first.
ORDER = (
    "Organization",
    "Medication",
    "Patient",
    "EpisodeOfCare",
    "Condition",
    "Observation",
    "MedicationRequest",
    "MedicationStatement",
    "Appointment",
    "Encounter",
)
FILE_NAME = re.compile(r"(?P<type>[A-Za-z]+)(?:[._-][0-9A-Za-z_-]+)*\.ndjson")
_DECODER = json.JSONDecoder()
FHIR_DATE = re.compile(r"(?P<y>[0-9]{4})(?:-(?P<m>[0-9]{2})(?:-(?P<d>[0-9]{2}))?)?(?:T.*)?")


@dataclass
class _Patient:
    number: int
    practice: str | None
    birth: str
    earliest: str | None = None


@dataclass
class _State:
    report: ConversionReport
    options: ConvertOptions
    organisations: dict[str, str] = field(default_factory=dict)  # Organization id -> ODS code
    medications: dict[str, tuple[str, str] | None] = field(default_factory=dict)  # Medication id -> (system, code)
    patients: dict[str, _Patient] = field(default_factory=dict)
    skipped_patients: set[str] = field(default_factory=set)
    episodes: list[tuple[int, str, str | None, str]] = field(default_factory=list)
    coded_rows: int = 0
    appointment_id: int = 0
    with_nhs_numbers: bool = False


class _Where:
    """Where a resource came from, for messages: ``Patient.000.ndjson:12 (Patient/abc)``."""

    __slots__ = ("file", "line", "resource")

    def __init__(self, file: str, line: int, resource: dict[str, Any]) -> None:
        self.file, self.line, self.resource = file, line, resource  # worded only when a message needs it

    def __str__(self) -> str:
        return f"{self.file}:{self.line} ({self.resource.get('resourceType', '?')}/{self.resource.get('id', '?')})"


def convert_fhir(
    source: Path, out_dir: Path, options: ConvertOptions, nhs: NhsMode, key: bytes | None
) -> ConversionReport:
    """Convert in bulk (:func:`convert_fhir_bulk`) when it can, else line by line (:func:`convert_fhir_lines`)."""
    report = convert_fhir_bulk(source, out_dir, options, nhs, key)
    return report if report is not None else convert_fhir_lines(source, out_dir, options, nhs, key)


def convert_fhir_lines(
    source: Path, out_dir: Path, options: ConvertOptions, nhs: NhsMode, key: bytes | None
) -> ConversionReport:
    """The line-by-line conversion: every resource parsed and mapped in Python; any problem named by its file
    and line."""
    report = ConversionReport("fhir", source.name)
    files = _files(source, report)
    state = _State(report, options, with_nhs_numbers=key is not None)
    # NHS numbers are carried only when there is a key to pseudonymise them (by the import, or here for --out)
    patient_columns = ["patient_id", "nhs_number"] if key is not None else ["patient_id"]
    writers = {
        "patients": TableWriter(
            out_dir,
            "patients",
            [*patient_columns, "date_of_birth", "sex", "date_of_death", "ethnicity"],
            report,
            nhs,
            key,
        ),
        "clinical_events": TableWriter(
            out_dir,
            "clinical_events",
            ["patient_id", "date", "snomedct_code", "numeric_value", "numeric_comparator"],
            report,
        ),
        "medications": TableWriter(out_dir, "medications", ["patient_id", "date", "dmd_code"], report),
        "appointments": TableWriter(
            out_dir,
            "appointments",
            [
                "appointment_id",
                "patient_id",
                "practice_id",
                "booked_date",
                "start_date",
                "status",
                "mode",
                "hcp_role",
                "clinician_id",
            ],
            report,
        ),
    }
    try:
        for resource_type in ORDER:
            for where, resource in _resources(files.get(resource_type, []), resource_type, report):
                _HANDLERS[resource_type](state, where, resource, writers)
        _registrations(state, out_dir)
    finally:
        for writer in writers.values():
            writer.close()
    if not state.patients:
        raise InputError(
            f"{source}: no Patient resources found",
            hint="a bulk export needs Patient.ndjson (or a Bundle with Patient entries)",
        )
    if not report.written["appointments"]:
        (out_dir / "appointments.csv").unlink()
    _practices_row(options, out_dir, report)
    check_unmapped(report, state.coded_rows, options.max_unmapped, str(source))
    return report


def convert_fhir_bulk(
    source: Path, out_dir: Path, options: ConvertOptions, nhs: NhsMode, key: bytes | None
) -> ConversionReport | None:
    """The conversion done in bulk by DuckDB (:mod:`qiloop.records.from_fhir_bulk`); None, with ``out_dir``
    emptied again, when it leaves the export to the line-by-line reader (Bundles, and what
    :class:`~qiloop.records.from_fhir_bulk.Fallback` lists)."""
    from qiloop.records.from_fhir_bulk import Fallback, convert_bulk

    report = ConversionReport("fhir", source.name)
    files = _files(source, report)
    if not all(isinstance(f, Path) for found in files.values() for f in found):
        return None
    state = _State(report, options, with_nhs_numbers=key is not None)
    paths = {name: [p for p in found if isinstance(p, Path)] for name, found in files.items()}
    try:
        for resource_type in ("Organization", "Medication"):  # small, and what the others refer to
            for where, resource in _resources(files.get(resource_type, []), resource_type, report):
                _HANDLERS[resource_type](state, where, resource, {})
        coded = convert_bulk(
            paths,
            out_dir,
            options,
            nhs,
            key,
            report,
            state.organisations,
            state.medications,
            SYSTEM_NAMES,
            fmt=options.tables,
        )
    except Fallback:  # (an InputError reading Organization or Medication is the line-by-line reader's too)
        for path in out_dir.iterdir():
            if path.is_dir():
                import shutil

                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink()
        return None
    _spill = out_dir / ".spill"
    if _spill.exists():
        import shutil

        shutil.rmtree(_spill, ignore_errors=True)
    _practices_row(options, out_dir, report)
    check_unmapped(report, coded, options.max_unmapped, str(source))
    return report


def _practices_row(options: ConvertOptions, out_dir: Path, report: ConversionReport) -> None:
    if options.practice:
        from qiloop.records.from_ehrql import practices_row_sql
        from qiloop.records.sql import connect

        con = connect()
        try:
            con.execute(
                f"COPY ({practices_row_sql(options.practice)}) TO $out (HEADER)",
                {"out": str(out_dir / "practices.csv")},
            )
        finally:
            con.close()
        report.written["practices"] = 1
        report.mapped("practices.pcn_id, pcn_name, icb_id, icb_name", "(not in the source)", "unknown")


@dataclass
class _Bundled:
    """The entries of one resource type from a Bundle file (Bundles are small: read whole)."""

    name: str
    entries: list[tuple[int, dict[str, Any]]]


Source = Path | _Bundled


def _files(source: Path, report: ConversionReport) -> dict[str, list[Source]]:
    """NDJSON files by the resource type their names start with, and the entries of Bundles (.json)."""
    if source.is_file():
        candidates = [source]
    elif source.is_dir():
        candidates = sorted(p for p in source.iterdir() if p.is_file() and not p.name.startswith("."))
    else:
        raise InputError(f"{source}: no such file or folder")
    files: dict[str, list[Source]] = {}
    for path in candidates:
        match = FILE_NAME.fullmatch(path.name)
        if path.suffix == ".json":
            for resource_type, entries in _bundle(path).items():
                files.setdefault(resource_type, []).append(_Bundled(path.name, entries))
        elif match and match["type"] in ORDER:
            files.setdefault(match["type"], []).append(path)
        else:
            report.ignored.append(path.name)
    if not files:
        tables = [p.name for p in candidates if p.suffix in (".csv", ".parquet")]
        raise InputError(
            f"{source}: no FHIR NDJSON files (Patient.ndjson, Condition.000.ndjson, ...)"
            + (f"; it holds {', '.join(tables[:3])}, which look like tables" if tables else ""),
            hint="import tables with --from canonical or --from ehrql; a FHIR export names each file after "
            "its resource type",
        )
    return files


def _bundle(path: Path) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(
            f"{path.name}: not JSON ({_json_problem(exc)})", hint="give the export's files as they were written"
        ) from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InputError(f"{path.name}: not a FHIR Bundle", hint="give NDJSON files (one resource a line) or a Bundle")
    found: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for index, entry in enumerate(bundle.get("entry") or [], start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if isinstance(resource, dict) and resource.get("resourceType") in ORDER:
            found.setdefault(str(resource["resourceType"]), []).append((index, resource))
    return found


def _json_problem(exc: Exception) -> str:
    return f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else type(exc).__name__


def _resources(
    sources: list[Source], resource_type: str, report: ConversionReport
) -> Iterator[tuple[_Where, dict[str, Any]]]:
    for path in sources:
        if isinstance(path, _Bundled):
            for index, resource in path.entries:
                report.read[resource_type] += 1
                yield _Where(f"{path.name} entry", index, resource), resource
            continue
        line_number = 0
        with path.open(encoding="utf-8") as f:
            try:
                for line_number, raw in enumerate(f, start=1):  # noqa: B007 - used after the loop
                    if not raw or raw.isspace():
                        continue
                    try:
                        resource = _DECODER.decode(raw)
                    except ValueError as exc:
                        raise InputError(
                            f"{path.name}:{line_number}: not JSON ({_json_problem(exc)})",
                            hint="a bulk export has one JSON resource a line; give the files as the server wrote "
                            "them (nothing was imported)",
                        ) from None
                    if not isinstance(resource, dict) or resource.get("resourceType") != resource_type:
                        found = resource.get("resourceType") if isinstance(resource, dict) else type(resource).__name__
                        raise InputError(
                            f"{path.name}:{line_number}: a {found} where a {resource_type} resource was expected",
                            hint="each NDJSON file holds one resource type, named by the file's name",
                        )
                    report.read[resource_type] += 1
                    yield _Where(path.name, line_number, resource), resource
            except UnicodeDecodeError:
                raise InputError(
                    f"{path.name}:{line_number + 1}: not UTF-8 text", hint="FHIR bulk exports are UTF-8 NDJSON"
                ) from None


def _date(value: Any, where: _Where, what: str) -> tuple[str, str] | None:
    """(ISO date, precision) of a FHIR date/dateTime; None when absent; InputError when malformed."""
    if value is None or value == "":
        return None
    parsed = _parse_date(value) if isinstance(value, str) else "not a FHIR date"
    if isinstance(parsed, str):
        raise InputError(
            f"{where}: {what} {shown(str(value))} is {parsed}",
            hint="correct the resource in the export; nothing was imported",
        )
    return parsed


@functools.lru_cache(maxsize=65536)
def _parse_date(value: str) -> tuple[str, str] | str:
    """(ISO date, precision), or what is wrong (a string); cached: an export repeats its dates."""
    match = FHIR_DATE.fullmatch(value)
    if not match:
        return "not a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD or a dateTime)"
    y, m, d = match["y"], match["m"], match["d"]
    try:
        dt.date(int(y), int(m or 1), int(d or 1))
    except ValueError:
        return "not a real calendar date"
    if d:
        return f"{y}-{m}-{d}", "day"
    return f"{y}-{m or '01'}-01", "month" if m else "year"


def _ref_id(reference: Any, resource_type: str) -> str | None:
    """``Patient/abc`` or ``urn:uuid:abc`` -> ``abc``."""
    if not isinstance(reference, dict):
        return None
    ref = reference.get("reference")
    if not isinstance(ref, str):
        return None
    if ref.startswith(f"{resource_type}/"):
        return ref.split("/", 1)[1].split("/_history", 1)[0]
    if ref.startswith("urn:uuid:"):
        return ref[len("urn:uuid:") :]
    if "/" in ref and ref.rsplit("/", 2)[-2] == resource_type:
        return ref.rsplit("/", 1)[1]
    return None


def _ods(reference: Any, state: _State) -> str | None:
    if not isinstance(reference, dict):
        return None
    ident = reference.get("identifier")
    if isinstance(ident, dict) and ident.get("system") in ODS_SYSTEMS and ident.get("value"):
        return str(ident["value"])
    org = _ref_id(reference, "Organization")
    return state.organisations.get(org) if org else None


def _coding(concept: Any, systems: tuple[str, ...]) -> tuple[str | None, tuple[str, str] | None]:
    """(code in one of ``systems``, else None; the first other (system, code) for the unmapped report)."""
    other = None
    for coding in (concept or {}).get("coding") or [] if isinstance(concept, dict) else []:
        if not isinstance(coding, dict) or not coding.get("code"):
            continue
        if coding.get("system") in systems:
            return str(coding["code"]), None
        other = other or (
            SYSTEM_NAMES.get(str(coding.get("system")), str(coding.get("system") or "no system")),
            str(coding["code"]),
        )
    return None, other


def _status(resource: dict[str, Any], field_name: str = "status") -> str:
    value = resource.get(field_name)
    if isinstance(value, dict):  # Condition.verificationStatus is a CodeableConcept
        codes = [c.get("code") for c in value.get("coding") or [] if isinstance(c, dict)]
        return str(codes[0]) if codes else ""
    return str(value or "")


def _subject(state: _State, where: _Where, resource: dict[str, Any], table: str) -> _Patient | None:
    reference = resource.get("subject") or resource.get("patient")
    if not isinstance(reference, dict) or not reference.get("reference"):
        raise InputError(
            f"{where}: the resource has no subject (no patient it belongs to)",
            hint="every clinical resource in a bulk export names its patient in 'subject'; "
            "re-export, or remove the resource (nothing was imported)",
        )
    patient_id = _ref_id(reference, "Patient")
    if patient_id in state.skipped_patients:
        state.report.drop(table, "the patient was skipped (test record)")
        return None
    patient = state.patients.get(patient_id or "")
    if patient is None:
        state.report.drop(table, "its subject is not among the export's Patients")
    return patient


def _seen(patient: _Patient, date: str) -> None:
    if patient.earliest is None or date < patient.earliest:
        patient.earliest = date


def _organization(state: _State, where: _Where, resource: dict[str, Any], writers: dict[str, TableWriter]) -> None:
    for ident in resource.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("system") in ODS_SYSTEMS and ident.get("value"):
            state.organisations[str(resource.get("id"))] = str(ident["value"])
            return


def _medication(state: _State, where: _Where, resource: dict[str, Any], writers: dict[str, TableWriter]) -> None:
    code, other = _coding(resource.get("code"), DMD_SYSTEMS)
    state.medications[str(resource.get("id"))] = (SNOMED, code) if code else other


def _patient(state: _State, where: _Where, resource: dict[str, Any], writers: dict[str, TableWriter]) -> None:
    report = state.report
    fhir_id = str(resource.get("id") or "")
    meta = resource.get("meta") or {}
    tags = [t.get("code") for key in ("tag", "security") for t in meta.get(key) or [] if isinstance(t, dict)]
    if "HTEST" in tags:
        report.skipped_patients["test record (meta tag HTEST)"] += 1
        state.skipped_patients.add(fhir_id)
        return
    if not fhir_id or fhir_id in state.patients:
        raise InputError(
            f"{where}: a Patient without an id, or with the id of an earlier Patient",
            hint="each Patient needs its own id",
        )
    birth = _date(resource.get("birthDate"), where, "birthDate")
    if birth is None:
        report.skipped_patients["no birthDate"] += 1
        state.skipped_patients.add(fhir_id)
        return
    if birth[1] != "month":
        report.mapped("patients.date_of_birth", f"birthDate to the {birth[1]}", "first of the month")
    birth_date = birth[0][:8] + "01"
    gender = str(resource.get("gender") or "unknown")
    sex = gender if gender in ("male", "female", "unknown") else "unknown"
    if sex != gender:
        report.mapped("patients.sex", gender, "unknown")
    death = _date(resource.get("deceasedDateTime"), where, "deceasedDateTime")
    if death is None and resource.get("deceasedBoolean") is True:
        report.mapped("patients.date_of_death", "deceasedBoolean true without a date", "alive (no date)")
    nhs_number = ""
    for ident in resource.get("identifier") or []:
        if isinstance(ident, dict) and ident.get("system") == NHS_NUMBER_SYSTEM and ident.get("value"):
            nhs_number = str(ident["value"])
    ethnicity = None
    for extension in resource.get("extension") or []:
        if isinstance(extension, dict) and str(extension.get("url", "")).endswith(ETHNIC_EXTENSION):
            codes = [c.get("code") for c in (extension.get("valueCodeableConcept") or {}).get("coding") or []]
            letter = str(codes[0]) if codes else ""
            ethnicity = ETHNIC_GROUPS.get(letter)
            report.mapped("patients.ethnicity", letter, ethnicity or "missing")
    practice = None
    for gp in resource.get("generalPractitioner") or []:
        practice = practice or _ods(gp, state)
    number = len(state.patients) + 1
    state.patients[fhir_id] = _Patient(number, practice or state.options.practice, birth_date)
    row: list[object] = [number, birth_date, sex, death[0] if death else None, ethnicity]
    if state.with_nhs_numbers:
        row.insert(1, nhs_number)
    elif nhs_number:
        raise InputError(
            f"{where}: the export holds NHS numbers, and no pseudonymisation key was given",
            hint="give the practice's key with --key-file FILE or the QILOOP_PSEUDONYM_KEY environment variable: "
            "NHS numbers are stored only as pseudonyms (nothing was imported)",
        )
    writers["patients"].write(row, where)


def _episode(state: _State, where: _Where, resource: dict[str, Any], writers: dict[str, TableWriter]) -> None:
    if _status(resource) == "entered-in-error":
        state.report.drop("practice_registrations", "entered-in-error")
        return
    patient = _subject(state, where, resource, "practice_registrations")
    if patient is None:
        return
    period = resource.get("period") or {}
    start = _date(period.get("start"), where, "period.start")
    end = _date(period.get("end"), where, "period.end")
    practice = _ods(resource.get("managingOrganization"), state) or patient.practice
    if start is None or practice is None:
        state.report.drop("practice_registrations", "no period.start or no practice (managingOrganization)")
        return
    state.episodes.append((patient.number, start[0], end[0] if end else None, practice))


def _event(
    state: _State,
    where: _Where,
    patient: _Patient,
    concept: Any,
    date: str,
    value: tuple[float, str | None] | None,
    writers: dict[str, TableWriter],
) -> None:
    code, other = _coding(concept, (SNOMED,))
    state.coded_rows += 1
    if code is None:
        if other:
            state.report.unmapped_code(other[0], other[1])
        else:
            state.report.drop("clinical_events", "no code")
        return
    number, comparator = value if value is not None else (None, None)
    writers["clinical_events"].write([patient.number, date, code, number, comparator], where)
    _seen(patient, date)


def _condition(state: _State, where: _Where, resource: dict[str, Any], writers: dict[str, TableWriter]) -> None:
    status = _status(resource, "verificationStatus")
    if status in SKIP_STATUSES:
        state.report.drop("clinical_events", f"Condition {status}")
        return
    patient = _subject(state, where, resource, "clinical_events")
    if patient is None:
        return
    date = _date(resource.get("onsetDateTime"), where, "onsetDateTime") or _date(
        resource.get("recordedDate"), where, "recordedDate"
    )
    if date is None or date[1] != "day":
        state.report.drop("clinical_events", "Condition without a full onset or recorded date")
        return
    _event(state, where, patient, resource.get("code"), date[0], None, writers)


def _observation(state: _State, where: _Where, resource: dict[str, Any], writers: dict[str, TableWriter]) -> None:
    status = _status(resource)
    if status in SKIP_STATUSES:
        state.report.drop("clinical_events", f"Observation {status}")
        return
    patient = _subject(state, where, resource, "clinical_events")
    if patient is None:
        return
    date = (
        _date(resource.get("effectiveDateTime"), where, "effectiveDateTime")
        or _date((resource.get("effectivePeriod") or {}).get("start"), where, "effectivePeriod.start")
        or _date(resource.get("issued"), where, "issued")
    )
    if date is None or date[1] != "day":
        state.report.drop("clinical_events", "Observation without a full effective date")
        return
    _event(state, where, patient, resource.get("code"), date[0], _value(state, resource), writers)
    for component in resource.get("component") or []:
        if isinstance(component, dict) and component.get("code"):
            _event(state, where, patient, component.get("code"), date[0], _value(state, component), writers)


def _value(state: _State, holder: dict[str, Any]) -> tuple[float, str | None] | None:
    """(the number, its comparator or None); a comparator FHIR has but the store does not ('ad') is left off,
    counted."""
    quantity = holder.get("valueQuantity")
    if not isinstance(quantity, dict) or not isinstance(quantity.get("value"), int | float):
        return None
    comparator = quantity.get("comparator") or None
    if comparator is not None and comparator not in COMPARATORS:
        state.report.mapped("clinical_events.numeric_comparator", f"comparator {comparator}", "the number alone")
        comparator = None
    return float(quantity["value"]), comparator


def _medication_request(
    state: _State, where: _Where, resource: dict[str, Any], writers: dict[str, TableWriter]
) -> None:
    status = _status(resource)
    if status in SKIP_STATUSES:
        state.report.drop("medications", f"MedicationRequest {status}")
        return
    if resource.get("intent") not in (None, "order"):
        state.report.drop("medications", f"MedicationRequest intent {resource.get('intent')} (not an order)")
        return
    _prescription(state, where, resource, _date(resource.get("authoredOn"), where, "authoredOn"), writers)


def _medication_statement(
    state: _State, where: _Where, resource: dict[str, Any], writers: dict[str, TableWriter]
) -> None:
    if not state.options.include_statements:
        state.report.drop("medications", "MedicationStatement (read only with --include-statements)")
        return
    if _status(resource) in SKIP_STATUSES:
        state.report.drop("medications", f"MedicationStatement {_status(resource)}")
        return
    date = _date(resource.get("effectiveDateTime"), where, "effectiveDateTime") or _date(
        resource.get("dateAsserted"), where, "dateAsserted"
    )
    _prescription(state, where, resource, date, writers)


def _prescription(
    state: _State,
    where: _Where,
    resource: dict[str, Any],
    date: tuple[str, str] | None,
    writers: dict[str, TableWriter],
) -> None:
    patient = _subject(state, where, resource, "medications")
    if patient is None:
        return
    if date is None or date[1] != "day":
        state.report.drop("medications", f"{resource['resourceType']} without a full date")
        return
    state.coded_rows += 1
    code, other = _coding(resource.get("medicationCodeableConcept"), DMD_SYSTEMS)
    if code is None:
        medication = _ref_id(resource.get("medicationReference"), "Medication")
        found = state.medications.get(medication or "")
        if found and found[0] == SNOMED:
            code = found[1]
        else:
            other = other or found
    if code is None:
        if other:
            state.report.unmapped_code(other[0], other[1])
        else:
            state.report.drop("medications", "no medication code")
        return
    writers["medications"].write([patient.number, date[0], code], where)
    _seen(patient, date[0])


def _appointment(state: _State, where: _Where, resource: dict[str, Any], writers: dict[str, TableWriter]) -> None:
    report = state.report
    status = _status(resource)
    if status == "entered-in-error":
        report.drop("appointments", "entered-in-error")
        return
    patient_ref = clinician = None
    for participant in resource.get("participant") or []:
        actor = participant.get("actor") if isinstance(participant, dict) else None
        patient_ref = patient_ref or (_ref_id(actor, "Patient") and actor)
        clinician = clinician or _ref_id(actor, "Practitioner")
    patient = _subject(state, where, {"subject": patient_ref}, "appointments")
    if patient is None:
        return
    if status == "cancelled":
        reasons = [c.get("code") for c in (resource.get("cancelationReason") or {}).get("coding") or []]
        by_patient = bool(reasons) and str(reasons[0]).startswith("pat")
        canonical = "cancelled_by_patient" if by_patient else "cancelled_by_practice"
        report.mapped("appointments.status", f"cancelled ({reasons[0] if reasons else 'no reason'})", canonical)
    elif status in APPOINTMENT_STATUSES:
        canonical = APPOINTMENT_STATUSES[status]
        report.mapped("appointments.status", status, canonical)
    else:
        raise InputError(
            f"{where}: status {shown(status)} is not an Appointment status",
            hint=f"FHIR R4 Appointment statuses: {', '.join([*APPOINTMENT_STATUSES, 'cancelled', 'entered-in-error'])}",
        )
    start = _date(resource.get("start"), where, "start")
    booked = _date(resource.get("created"), where, "created")
    if start is None:
        report.drop("appointments", "no start")
        return
    if booked is None:
        report.drop("appointments", "no created date (the booking date)")
        return
    if patient.practice is None:
        report.drop("appointments", "the patient has no practice (generalPractitioner)")
        return
    state.appointment_id += 1
    _seen(patient, booked[0])
    writers["appointments"].write(
        [
            state.appointment_id,
            patient.number,
            patient.practice,
            booked[0],
            start[0],
            canonical,
            "unknown",
            "unknown",
            clinician,
        ],
        str(where),
    )


def _encounter(state: _State, where: _Where, resource: dict[str, Any], writers: dict[str, TableWriter]) -> None:
    state.report.drop("Encounter", "not converted (no booking date; appointments come from Appointment)")


_HANDLERS = {
    "Organization": _organization,
    "Medication": _medication,
    "Patient": _patient,
    "EpisodeOfCare": _episode,
    "Condition": _condition,
    "Observation": _observation,
    "MedicationRequest": _medication_request,
    "MedicationStatement": _medication_statement,
    "Appointment": _appointment,
    "Encounter": _encounter,
}


def _registrations(state: _State, out_dir: Path) -> None:
    writer = TableWriter(
        out_dir, "practice_registrations", ["patient_id", "start_date", "end_date", "practice_id"], state.report
    )
    with writer:
        recorded = set()
        for row in state.episodes:
            writer.write(list(row))
            recorded.add(row[0])
        inferred = 0
        for patient in state.patients.values():
            if patient.number in recorded:
                continue
            if patient.practice is None:
                state.report.drop("practice_registrations", "the patient has no practice (give --practice)")
                continue
            writer.write([patient.number, patient.earliest or patient.birth, None, patient.practice])
            inferred += 1
        if inferred:
            state.report.notes.append(
                f"{inferred:,} patients have no EpisodeOfCare: a registration was inferred for each, at its "
                "generalPractitioner practice from its earliest record, still open (inferred, not recorded)"
            )
