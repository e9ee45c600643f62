"""The SystmOne Strategic Reporting extract (SRE) as qiloop reads it: files, columns and value codes.

The column lists are the TPP v93 column arrays of Endeavour Health's open-source transformer
(``endeavourhealth/Transforms``), which reads real extracts; TPP publishes no file specification.
``docs/importers.md`` says which facts were checked against that transformer and which are inferred.
"""

from __future__ import annotations

from dataclasses import dataclass

from qiloop.records.schema import COMPARATORS as SCHEMA_COMPARATORS

# Every column of the tables qiloop reads, in file order (TPP v93). A column not listed here is named in
# the conversion report's notes and never read.
ALL_COLUMNS: dict[str, tuple[str, ...]] = {
    "SRPatient": (
        "RowIdentifier", "IDOrganisationVisibleTo", "Title", "FirstName", "MiddleNames", "Surname",
        "PreviousSurname", "NHSNumber", "DateBirth", "DateDeath", "BirthPlace", "Gender", "SpeaksEnglish",
        "EmailAddress", "TestPatient", "SSRef", "SpineMatched", "RemovedData",
    ),
    "SRPatientRegistration": (
        "RowIdentifier", "IDOrganisationVisibleTo", "DateEventRecorded", "IDProfileEnteredBy", "DateRegistration",
        "DateDeRegistration", "RegistrationStatus", "PreferredPharmacy", "IDPatient", "IDOrganisation",
        "IDOrganisationRegisteredAt", "RemovedData",
    ),
    "SRCode": (
        "RowIdentifier", "IDOrganisationVisibleTo", "DateEventRecorded", "DateEvent", "IDProfileEnteredBy",
        "IDDoneBy", "TextualEventDoneBy", "IDOrganisationDoneAt", "CTV3Code", "CTV3Text", "SNOMEDCode",
        "SNOMEDText", "NumericComparator", "IsNumeric", "NumericValue", "NumericUnit", "EpisodeType",
        "IDTemplate", "IDQuestionnaire", "IDEvent", "IDPatient", "IDReferralIn", "IDAppointment", "IDVisit",
        "IDOrganisation", "IDOrganisationRegisteredAt", "RemovedData",
    ),
    "SRCtv3ToSnomed": ("RowIdentifier", "IDOrganisationVisibleTo", "Ctv3Code", "SnomedCode", "RemovedData"),
    "SRPrimaryCareMedication": (
        "RowIdentifier", "IDOrganisationVisibleTo", "DateEventRecorded", "DateEvent", "IDProfileEnteredBy",
        "IDDoneBy", "TextualEventDoneBy", "IDOrganisationDoneAt", "IDMultiLexProduct", "IDMultiLexPack",
        "IDMultiLexDMD", "NameOfMedication", "DateMedicationStart", "DateMedicationEnd", "MedicationDosage",
        "MedicationQuantity", "IsSupervised", "SupervisedDose", "UnsupervisedDose", "IsRepeatMedication",
        "IsOtherMedication", "IsDentalMedication", "IsHospitalMedication", "IDRepeatTemplate", "IDReferralIn",
        "IDEvent", "IDPatient", "IDOrganisation", "IDOrganisationRegisteredAt", "RemovedData",
    ),
    "SRAppointment": (
        "RowIdentifier", "IDOrganisationVisibleTo", "DateStart", "DateEnd", "AppointmentStatus",
        "DateAppointmentBooked", "DatePatientArrival", "DatePatientSeen", "FollowUpAppointment",
        "TelephoneAppointment", "IDClinician", "IDProfileClinician", "RotaName", "RotaType", "RotaLocation",
        "RotaCode", "IDRotaOwner", "IDProfileRotaOwner", "AllowsOverbooking", "BookingContactNumber",
        "DateAppointmentCancelled", "IDRota", "IDReferralIn", "IDPatient", "IDOrganisation",
        "IDOrganisationRegisteredAt", "RemovedData",
    ),
    "SRMapping": ("RowIdentifier", "IdMappingGroup", "Mapping"),
    "SROrganisation": (
        "RowIdentifier", "Name", "ID", "HouseName", "HouseNumber", "NameOfRoad", "NameOfLocality", "NameOfTown",
        "NameOfCounty", "FullPostCode", "Telephone", "SecondaryTelephone", "Fax", "MadeObsolete", "IDTrust",
        "IDCcg", "RemovedData",
    ),
    "SRStaffMemberProfile": (
        "RowIdentifier", "DateProfileCreated", "IdProfileCreatedBy", "IDStaffMemberProfileRole", "StaffRole",
        "DateEmploymentStart", "DateEmploymentEnd", "PPAID", "GPLocalCode", "IDStaffMember", "IDOrganisation",
        "GmpID", "RemovedData",
    ),
    # read by Endeavour's SFTP reader (FileName without extension, IsDelta Y/N, dates yyyyMMdd_HHmm)
    "SRManifest": ("FileName", "IsDelta", "IsReference", "DateExtractFrom", "DateExtractTo"),
}  # fmt: skip


@dataclass(frozen=True)
class Read:
    """One column qiloop reads: its name in the file, whether the file must have it, and what it holds."""

    name: str
    required: bool = True
    kind: str = "text"  # text | id (-1, 0 or empty = none) | date | flag (true/false) | number


# The only columns read from each table (names, addresses, telephone numbers, e-mail addresses and free text
# are never read). SRCode needs CTV3Code or SNOMEDCode (checked separately).
READ: dict[str, tuple[Read, ...]] = {
    "SRPatient": (
        Read("RowIdentifier", kind="id"),
        Read("NHSNumber", False),
        Read("DateBirth", kind="date"),
        Read("DateDeath", False, "date"),
        Read("Gender"),
        Read("TestPatient", False, "flag"),
        Read("RemovedData", False, "flag"),
    ),
    "SRPatientRegistration": (
        Read("RowIdentifier", kind="id"),
        Read("IDOrganisationVisibleTo", False),
        Read("DateRegistration", kind="date"),
        Read("DateDeRegistration", False, "date"),
        Read("RegistrationStatus", False),
        Read("IDPatient", kind="id"),
        Read("IDOrganisation", kind="id"),
        Read("RemovedData", False, "flag"),
    ),
    "SRCode": (
        Read("RowIdentifier", kind="id"),
        Read("DateEvent", kind="date"),
        Read("CTV3Code", False),
        Read("SNOMEDCode", False),
        Read("NumericComparator", False),
        Read("IsNumeric", False, "flag"),
        Read("NumericValue", False, "number"),
        Read("IDPatient", kind="id"),
        Read("RemovedData", False, "flag"),
    ),
    "SRCtv3ToSnomed": (Read("Ctv3Code"), Read("SnomedCode"), Read("RemovedData", False, "flag")),
    "SRPrimaryCareMedication": (
        Read("RowIdentifier", kind="id"),
        Read("DateEvent", kind="date"),
        Read("IDMultiLexProduct", False, "id"),
        Read("IDMultiLexDMD", kind="id"),
        Read("IsHospitalMedication", False, "flag"),
        Read("IDPatient", kind="id"),
        Read("RemovedData", False, "flag"),
    ),
    "SRAppointment": (
        Read("RowIdentifier", kind="id"),
        Read("IDOrganisationVisibleTo", False),
        Read("DateStart", kind="date"),
        Read("AppointmentStatus"),
        Read("DateAppointmentBooked", kind="date"),
        Read("TelephoneAppointment", False, "flag"),
        Read("IDClinician", False, "id"),
        Read("IDProfileClinician", False, "id"),
        Read("IDPatient", kind="id"),
        Read("IDOrganisation", False, "id"),
        Read("RemovedData", False, "flag"),
    ),
    "SRMapping": (Read("RowIdentifier", kind="id"), Read("Mapping"), Read("RemovedData", False, "flag")),
    "SROrganisation": (Read("ID"), Read("Name"), Read("RemovedData", False, "flag")),
    "SRStaffMemberProfile": (
        Read("RowIdentifier", kind="id"),
        Read("StaffRole"),
        Read("RemovedData", False, "flag"),
    ),
    "SRManifest": (Read("FileName"), Read("IsDelta"), Read("DateExtractTo", False)),
}
REQUIRED_TABLES = ("SRPatient", "SRPatientRegistration")
# small reference tables, read whole in Python (Windows-1252 decoded exactly)
SMALL_TABLES = ("SRMapping", "SROrganisation", "SRStaffMemberProfile", "SRManifest")

# Headers that mark each table, for telling one system's or table's file from another's
# (qiloop.records.recognise). SRCtv3ToSnomed is left out: its few columns are all in SRCode too.
HEADER_SIGNATURES: dict[str, list[str]] = {
    "SRPatient": ["IDOrganisationVisibleTo", "DateBirth", "Gender", "TestPatient", "SpineMatched"],
    "SRPatientRegistration": [
        "IDOrganisationVisibleTo", "DateRegistration", "DateDeRegistration", "RegistrationStatus",
        "IDOrganisationRegisteredAt",
    ],
    "SRCode": ["IDOrganisationVisibleTo", "CTV3Code", "NumericComparator", "IsNumeric", "IDReferralIn"],
    "SRPrimaryCareMedication": [
        "IDOrganisationVisibleTo", "IDMultiLexDMD", "IsHospitalMedication", "IsRepeatMedication", "IDMultiLexPack",
    ],
    "SRAppointment": [
        "IDOrganisationVisibleTo", "DateAppointmentBooked", "AppointmentStatus", "TelephoneAppointment",
        "IDProfileClinician",
    ],
    "SRMapping": ["RowIdentifier", "IdMappingGroup", "Mapping"],
    "SRStaffMemberProfile": ["IDStaffMemberProfileRole", "StaffRole", "PPAID", "GPLocalCode"],
}  # fmt: skip

# Dates are "30 Dec 2020 08:00:00" (SRPatient: "30 Dec 2020 08:00"); a date alone is accepted too.
DATE_FORMATS = ("%d %b %Y %H:%M:%S", "%d %b %Y %H:%M", "%d %b %Y")
DATE_EXAMPLE = "30 Dec 2020 08:00:00"

GENDERS = {"M": "male", "F": "female", "I": "intersex", "U": "unknown"}

# SRMapping's Mapping text for an appointment status -> canonical (the 15 statuses of ehrQL's TPP schema;
# compared without case or surrounding spaces)
APPOINTMENT_STATUSES: dict[str, str] = {
    "arrived": "attended",
    "in progress": "attended",
    "finished": "attended",
    "visit": "attended",
    "waiting": "attended",
    "patient walked out": "attended",
    "did not attend": "did_not_attend",
    "no access visit": "did_not_attend",
    "cancelled by patient": "cancelled_by_patient",
    "cancelled by unit": "cancelled_by_practice",
    "cancelled by other service": "cancelled_by_practice",
    "cancelled due to death": "cancelled_by_practice",
    "booked": "booked",
    "requested": "booked",
    "blocked": "booked",
}
# statuses that say the appointment has happened: its start may not be after the as-of date
HAPPENED = ("attended", "did_not_attend")

# RegistrationStatus: a temporary resident is not on the practice's registered list (inferred: the
# strings seen are "GMS", "Temporary Resident < 16 days", ...)
TEMPORARY_PREFIX = "temporary"

# StaffRole text -> canonical hcp_role, the first rule whose words appear (inferred from role names)
STAFF_ROLE_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("pharmacist", ("pharmacist",)),
    ("nurse", ("nurse",)),
    ("gp", ("gp", "general practitioner", "general medical practitioner", "doctor", "registrar", "physician")),
)
# comparators a numeric value may carry: the canonical ones (clinical_events.numeric_comparator)
COMPARATORS = SCHEMA_COMPARATORS


def staff_role(text: str) -> str:
    """The canonical hcp_role for a SystmOne StaffRole ('unknown' when empty).

    >>> staff_role("Salaried GP"), staff_role("Practice Nurse"), staff_role("Receptionist"), staff_role("")
    ('gp', 'nurse', 'other', 'unknown')
    """
    words = " ".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())
    if not words:
        return "unknown"
    padded = f" {words} "
    for role, keys in STAFF_ROLE_RULES:
        if any(f" {key} " in padded for key in keys):
            return role
    return "other"
