"""The EMIS Web extract's layout: tables, columns (v5.4, as the open-source transformer reads them), file names.

>>> table_of("4021_CareRecord_Observation_20250401093000_8B1F3C2E-5D0A-4C57-9E1B-2A6D7F9C0B13.csv")
('CareRecord_Observation', '4021')
>>> table_of("Admin_Patient.csv")
('Admin_Patient', None)
>>> table_of("Appointment_SessionUser_20250401093000.csv")
('Appointment_SessionUser', None)
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from qiloop.errors import InputError
from qiloop.records.schema import APPOINTMENT_MODES, UNKNOWN

# Each table's columns in order, EMIS extract v5.4 (endeavourhealth/Transforms, transform/emis/csv/schema).
SCHEMA: dict[str, tuple[str, ...]] = {
    "Admin_Organisation": (
        "OrganisationGuid", "CDB", "OrganisationName", "ODSCode", "ParentOrganisationGuid", "CCGOrganisationGuid",
        "OrganisationType", "OpenDate", "CloseDate", "MainLocationGuid", "ProcessingId",
    ),
    "Admin_Patient": (
        "PatientGuid", "OrganisationGuid", "UsualGpUserInRoleGuid", "Sex", "DateOfBirth", "DateOfDeath", "Title",
        "GivenName", "MiddleNames", "Surname", "DateOfRegistration", "NhsNumber", "PatientNumber",
        "PatientTypeDescription", "DummyType", "HouseNameFlatNumber", "NumberAndStreet", "Village", "Town", "County",
        "Postcode", "ResidentialInstituteCode", "NHSNumberStatus", "CarerName", "CarerRelation", "PersonGuid",
        "DateOfDeactivation", "Deleted", "SpineSensitive", "IsConfidential", "EmailAddress", "HomePhone",
        "MobilePhone", "ExternalUsualGPGuid", "ExternalUsualGP", "ExternalUsualGPOrganisation", "ProcessingId",
    ),
    "CareRecord_Observation": (
        "ObservationGuid", "PatientGuid", "OrganisationGuid", "EffectiveDate", "EffectiveDatePrecision",
        "EnteredDate", "EnteredTime", "ClinicianUserInRoleGuid", "EnteredByUserInRoleGuid", "ParentObservationGuid",
        "CodeId", "ProblemGuid", "AssociatedText", "ConsultationGuid", "Value", "NumericUnit", "ObservationType",
        "NumericRangeLow", "NumericRangeHigh", "DocumentGuid", "Deleted", "IsConfidential", "ProcessingId",
    ),
    "Coding_ClinicalCode": (
        "CodeId", "Term", "ReadTermId", "SnomedCTConceptId", "SnomedCTDescriptionId", "NationalCode",
        "NationalCodeCategory", "NationalDescription", "EmisCodeCategoryDescription", "ProcessingId", "ParentCodeId",
    ),
    "Prescribing_IssueRecord": (
        "IssueRecordGuid", "PatientGuid", "OrganisationGuid", "DrugRecordGuid", "EffectiveDate",
        "EffectiveDatePrecision", "EnteredDate", "EnteredTime", "ClinicianUserInRoleGuid", "EnteredByUserInRoleGuid",
        "CodeId", "Dosage", "Quantity", "QuantityUnit", "ProblemObservationGuid", "CourseDurationInDays",
        "EstimatedNhsCost", "IsConfidential", "Deleted", "ProcessingId",
    ),
    "Coding_DrugCode": ("CodeId", "Term", "DmdProductCodeId", "ProcessingId"),
    "Appointment_Slot": (
        "SlotGuid", "AppointmentDate", "AppointmentStartTime", "PlannedDurationInMinutes", "PatientGuid",
        "SendInTime", "LeftTime", "DidNotAttend", "PatientWaitInMin", "AppointmentDelayInMin",
        "ActualDurationInMinutes", "OrganisationGuid", "SessionGuid", "DnaReasonCodeId", "Deleted", "ProcessingId",
    ),
    "Appointment_Session": (
        "AppointmentSessionGuid", "Description", "LocationGuid", "SessionTypeDescription",
        "SessionCategoryDisplayName", "StartDate", "StartTime", "EndDate", "EndTime", "Private", "OrganisationGuid",
        "Deleted", "ProcessingId",
    ),
    "Appointment_SessionUser": ("SessionGuid", "UserInRoleGuid", "Deleted", "ProcessingId"),
    "Admin_UserInRole": (
        "UserInRoleGuid", "OrganisationGuid", "Title", "GivenName", "Surname", "JobCategoryCode", "JobCategoryName",
        "ContractStartDate", "ContractEndDate", "ProcessingId",
    ),
    "Agreements_SharingOrganisation": ("OrganisationGuid", "IsActivated", "LastModifiedDate", "Disabled", "Deleted"),
}  # fmt: skip
# spellings of older extract versions (5.0/5.1), accepted without a note
OLDER_SPELLINGS: dict[str, tuple[str, ...]] = {
    "Admin_Patient": ("ExternalUsusalGPGuid", "ExternalUsusalGP", "ExternalUsusalGPOrganisation"),
    "Prescribing_IssueRecord": ("ClinicanUserInRoleGuid",),
}

# The columns qiloop reads (nothing else is loaded), and which of them are dates (yyyy-MM-dd).
READ: dict[str, tuple[str, ...]] = {
    "Admin_Organisation": ("OrganisationGuid", "OrganisationName", "ODSCode"),
    "Admin_Patient": (
        "PatientGuid", "OrganisationGuid", "Sex", "DateOfBirth", "DateOfDeath", "DateOfRegistration",
        "DateOfDeactivation", "NhsNumber", "PatientTypeDescription", "DummyType", "Deleted",
    ),
    "CareRecord_Observation": ("PatientGuid", "EffectiveDate", "EffectiveDatePrecision", "CodeId", "Value", "Deleted"),
    "Coding_ClinicalCode": ("CodeId", "SnomedCTConceptId"),
    "Prescribing_IssueRecord": ("PatientGuid", "EffectiveDate", "EffectiveDatePrecision", "CodeId", "Deleted"),
    "Coding_DrugCode": ("CodeId", "DmdProductCodeId"),
    "Appointment_Slot": (
        "AppointmentDate", "PatientGuid", "SendInTime", "LeftTime", "DidNotAttend", "OrganisationGuid",
        "SessionGuid", "Deleted",
    ),
    "Appointment_Session": ("AppointmentSessionGuid", "SessionCategoryDisplayName", "Deleted"),
    "Appointment_SessionUser": ("SessionGuid", "UserInRoleGuid", "Deleted"),
}  # fmt: skip
DATES: dict[str, tuple[str, ...]] = {
    "Admin_Patient": ("DateOfBirth", "DateOfDeath", "DateOfRegistration", "DateOfDeactivation"),
    "CareRecord_Observation": ("EffectiveDate",),
    "Prescribing_IssueRecord": ("EffectiveDate",),
    "Appointment_Slot": ("AppointmentDate",),
}
# dates that may lie after the day the extract was taken (appointments booked ahead)
MAY_BE_AHEAD = {("Appointment_Slot", "AppointmentDate")}
REQUIRED = ("Admin_Organisation", "Admin_Patient")
# a table read only with the one that gives it meaning
NEEDS = {
    "CareRecord_Observation": "Coding_ClinicalCode",
    "Prescribing_IssueRecord": "Coding_DrugCode",
}

# qiloop.records.recognise: the headers that mark each table
HEADER_SIGNATURES: dict[str, list[str]] = {
    "Admin_Organisation": ["OrganisationGuid", "CDB", "ODSCode", "CCGOrganisationGuid"],
    "Admin_Patient": ["PatientGuid", "DummyType", "DateOfRegistration", "DateOfDeactivation", "NHSNumberStatus"],
    "CareRecord_Observation": ["ObservationGuid", "EffectiveDatePrecision", "ParentObservationGuid", "ObservationType"],
    "Coding_ClinicalCode": ["CodeId", "ReadTermId", "SnomedCTConceptId", "EmisCodeCategoryDescription"],
    "Prescribing_IssueRecord": ["IssueRecordGuid", "DrugRecordGuid", "CourseDurationInDays", "EstimatedNhsCost"],
    "Coding_DrugCode": ["CodeId", "Term", "DmdProductCodeId"],
    "Appointment_Slot": ["SlotGuid", "SendInTime", "LeftTime", "DidNotAttend"],
    "Appointment_Session": ["AppointmentSessionGuid", "SessionTypeDescription", "SessionCategoryDisplayName"],
    "Admin_UserInRole": ["UserInRoleGuid", "JobCategoryCode", "JobCategoryName", "ContractStartDate"],
}

_NAME = re.compile(r"^(?:(?P<pid>[0-9]+)_)?(?P<schema>[A-Za-z]+)_(?P<table>[A-Za-z]+)(?:_(?P<rest>.*))?\.csv$", re.I)
_KNOWN = {name.lower(): name for name in SCHEMA}


def table_of(file_name: str) -> tuple[str, str | None] | None:
    """(EMIS table, processing id or None) named by a file name, or None when it names no EMIS table."""
    found = _NAME.match(file_name)
    if not found:
        return None
    table = _KNOWN.get(f"{found['schema']}_{found['table']}".lower())
    return (table, found["pid"]) if table else None


def find_files(source: Path) -> tuple[dict[str, list[Path]], list[str]]:
    """The folder's EMIS files by table (one extract run's), and the names of every other file."""
    tables: dict[str, list[Path]] = {}
    runs: dict[str, set[str]] = {}
    other: list[str] = []
    for path in sorted(source.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        named = table_of(path.name)
        if named is None:
            other.append(path.name)
            continue
        table, pid = named
        tables.setdefault(table, []).append(path)
        if pid is not None:
            runs.setdefault(table, set()).add(pid)
    for table, pids in sorted(runs.items()):
        if len(pids) > 1:
            raise InputError(
                f"{source}: holds {table} files from {len(pids)} extract runs (processing ids "
                f"{', '.join(sorted(pids, key=int))})",
                hint="qiloop reads one full extract: put the files of one processing run in the folder "
                "(later runs of a delta extract are not merged)",
            )
    return tables, other


SESSION_MODES_HEADER = ("session_category", "mode")


def read_session_modes(path: Path) -> dict[str, str]:
    """A practice's mapping of EMIS session categories to appointment modes: a CSV of two columns
    (session category, mode), with or without the header ``session_category,mode``. Categories are
    matched without regard to case or surrounding spaces."""
    allowed = (*APPOINTMENT_MODES, UNKNOWN)
    if not path.is_file():
        raise InputError(f"{path}: no such file", hint="give --session-modes a CSV of session category, mode")
    modes: dict[str, str] = {}
    with path.open(newline="", encoding="utf-8-sig") as f:
        for number, row in enumerate(csv.reader(f), start=1):
            if not row or not any(cell.strip() for cell in row):
                continue
            cells = [cell.strip() for cell in row]
            if number == 1 and tuple(c.lower() for c in cells[:2]) == SESSION_MODES_HEADER:
                continue
            if len(cells) != 2 or not cells[0]:
                raise InputError(
                    f"{path.name}:{number}: expected two columns, a session category and a mode",
                    hint="one line per session category, e.g. Telephone Triage,telephone",
                )
            category, mode = cells[0].lower(), cells[1].lower()
            if mode not in allowed:
                raise InputError(
                    f"{path.name}:{number}: column 2: {cells[1]!r} is not an appointment mode",
                    hint=f"use one of: {', '.join(allowed)}",
                )
            if category in modes and modes[category] != mode:
                raise InputError(
                    f"{path.name}:{number}: the session category {cells[0]!r} is mapped twice, to different modes",
                    hint="keep one line per session category",
                )
            modes[category] = mode
    return modes
