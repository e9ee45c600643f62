"""The canonical GP record tables: one schema, used by import, quality, synth and measures.

Every table is a list of typed columns. The interchange format is a directory
holding one file per table (``<table>.csv`` or ``<table>.parquet``); the CSV
headers of ehrQL's example data load unchanged (``practice_pseudo_id`` is
accepted as an alias of ``practice_id``).

Dates are ISO ``YYYY-MM-DD``. ``date_of_birth`` is the first of a month.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnType = Literal["str", "int", "float", "date"]

# a result reported as a bound (">90", "<5") keeps its comparator in clinical_events.numeric_comparator
COMPARATORS = ("<", "<=", ">=", ">")
COMPARATORS_SQL = "(" + ", ".join(f"'{c}'" for c in COMPARATORS) + ")"  # for converters' IN (...)

SEXES = ("female", "male", "intersex", "unknown")
ETHNICITIES = ("white", "mixed", "asian", "black", "other")  # ONS 5-group, lower case
APPOINTMENT_STATUSES = (
    "booked",
    "attended",
    "did_not_attend",
    "cancelled_by_patient",
    "cancelled_by_practice",
)
APPOINTMENT_MODES = ("face_to_face", "telephone", "video", "home_visit", "online")
HCP_ROLES = ("gp", "nurse", "pharmacist", "other")
# A converted source may not record the mode or the role (ehrQL, FHIR): ``unknown`` is allowed in the store.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Column:
    """One column of a canonical table.

    ``required``: the column must be present in the file and non-empty in every row.
    ``optional``: the column may be absent from the file (it is then all null).
    """

    name: str
    type: ColumnType
    required: bool = False
    optional: bool = False
    allowed: tuple[str, ...] | None = None
    min_value: float | None = None
    max_value: float | None = None
    aliases: tuple[str, ...] = ()
    first_of_month: bool = False
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""
    per_patient: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


PRACTICES = Table(
    name="practices",
    description="One row per practice, with its primary care network (PCN) and integrated care board (ICB).",
    key=("practice_id",),
    columns=(
        Column("practice_id", "str", required=True, description="ODS-like practice code, e.g. Q10001"),
        Column("name", "str", required=True),
        Column("pcn_id", "str", required=True),
        Column("pcn_name", "str", required=True),
        Column("icb_id", "str", required=True),
        Column("icb_name", "str", required=True),
    ),
)

PATIENTS = Table(
    name="patients",
    description="One row per patient. patient_id is pseudonymous.",
    key=("patient_id",),
    per_patient=True,
    columns=(
        Column("patient_id", "int", required=True, min_value=1),
        Column("date_of_birth", "date", required=True, first_of_month=True),
        Column("sex", "str", required=True, allowed=SEXES),
        Column("date_of_death", "date"),
        Column("ethnicity", "str", optional=True, allowed=ETHNICITIES),
        Column("imd_quintile", "int", optional=True, min_value=1, max_value=5),
    ),
)

PRACTICE_REGISTRATIONS = Table(
    name="practice_registrations",
    description="A patient's registration at a practice; end_date is empty while registered.",
    key=("patient_id", "practice_id", "start_date"),
    columns=(
        Column("patient_id", "int", required=True, min_value=1),
        Column("start_date", "date", required=True),
        Column("end_date", "date"),
        Column("practice_id", "str", required=True, aliases=("practice_pseudo_id",)),
    ),
)

CLINICAL_EVENTS = Table(
    name="clinical_events",
    description="Coded clinical events (diagnoses, reviews, observations with values).",
    columns=(
        Column("patient_id", "int", required=True, min_value=1),
        Column("date", "date", required=True),
        Column("snomedct_code", "str", required=True),
        Column("numeric_value", "float", optional=True),
        Column(
            "numeric_comparator",
            "str",
            optional=True,
            allowed=COMPARATORS,
            description="the value is a bound, not exact: '>90' is numeric_value 90 with comparator '>' "
            "(measures compare the number itself)",
        ),
    ),
)

MEDICATIONS = Table(
    name="medications",
    description="Prescription issues, one row per issue, coded in dm+d.",
    columns=(
        Column("patient_id", "int", required=True, min_value=1),
        Column("date", "date", required=True),
        Column("dmd_code", "str", required=True),
    ),
)

APPOINTMENTS = Table(
    name="appointments",
    description="GP practice appointments with booking date, slot date, status, mode and clinician.",
    key=("appointment_id",),
    columns=(
        Column("appointment_id", "int", required=True, min_value=1),
        Column("patient_id", "int", required=True, min_value=1),
        Column("practice_id", "str", required=True),
        Column("booked_date", "date", description="empty when the source has no booking date (EMIS Web)"),
        Column("start_date", "date", required=True),
        Column("status", "str", required=True, allowed=APPOINTMENT_STATUSES),
        Column("mode", "str", required=True, allowed=(*APPOINTMENT_MODES, UNKNOWN)),
        Column("hcp_role", "str", required=True, allowed=(*HCP_ROLES, UNKNOWN)),
        Column("clinician_id", "str"),
    ),
)

TABLES: tuple[Table, ...] = (
    PRACTICES,
    PATIENTS,
    PRACTICE_REGISTRATIONS,
    CLINICAL_EVENTS,
    MEDICATIONS,
    APPOINTMENTS,
)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

# Tables that must be present in every extract. The others may be absent
# (an extract without appointments cannot feed the access measures).
REQUIRED_TABLES: tuple[str, ...] = ("patients", "practice_registrations")

# A column that may appear in an extract but is never stored: it is replaced
# by a keyed pseudonym at import (see qiloop.records.pseudonym).
NHS_NUMBER_COLUMN = "nhs_number"
NHS_NUMBER_PSEUDONYM_COLUMN = "nhs_number_pseudonym"


def table(name: str) -> Table:
    """The canonical table called ``name`` (KeyError if there is none)."""
    return TABLES_BY_NAME[name]


# Version of the canonical schema, recorded in every store (qiloop.records.store).
SCHEMA_VERSION = "1"
