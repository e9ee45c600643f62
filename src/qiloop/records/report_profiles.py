"""Report profiles: where a practice's own report export keeps each field qiloop needs (a small TOML file).

A report the practice builds and exports itself (EMIS Web Population Reporting list reports, SystmOne
Clinical Reporting "open as CSV") is laid out by whoever built it. A profile says how to read one:

.. code-block:: toml

    [profile]
    description = "EMIS Web: oral NSAIDs in people aged 65 and over (PINCER A)"
    system = "emis"                    # emis | systmone | other: which advice to give
    measures = ["pincer_a_audit"]      # the measures the report feeds (documentation and checks)

    [file]
    header_first_cell = "Patient ID"   # or header_line = 3 (1 = the first line); default: line 1
    date_format = "%d-%b-%Y"           # Python strptime format of every date cell
    encoding = "utf-8-sig"             # SystmOne exports are often "cp1252"
    delimiter = ","

    [as_of]                            # optional: where the export says when it was run
    label = "Date run"                 # the first cell of a line above the header; the date is the next cell
    format = "%d-%b-%Y"                # default: file.date_format

    [patient]
    patient_id = "Patient ID"          # an integer identifier; and/or
    nhs_number = "NHS Number"          # written only as a keyed pseudonym
    date_of_birth = "Date of Birth"    # or age = "Age" (whole years on the as-of date)
    sex = "Gender"
    registration_date = "Registration Date"   # optional; else the registration is inferred

    [sex_values]                       # optional: more sex labels -> female | male | intersex | unknown
    "Indeterminate" = "intersex"

    [[events]]                         # one per column group: one event per row where its date is filled
    name = "Oral NSAID - latest issue"
    table = "medications"              # or clinical_events
    date = "NSAID Issue Date"
    code_column = "NSAID dm+d Code"    # the row's code; or code = "322299000" (the group stands for that code)
    # value = "Value"                  # clinical_events only: the numeric value column

Every error names the profile file and the key. Only the columns a profile names are ever read from the
export. The shipped profiles live in ``qiloop/records/profiles``; :func:`load_profile` takes a shipped
profile's name or a path.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from qiloop.errors import InputError, QiloopError

PROFILES_DIR = Path(__file__).parent / "profiles"
SYSTEMS = ("emis", "systmone", "other")
EVENT_TABLES = ("clinical_events", "medications")
SEX_VALUES: dict[str, str] = {
    "female": "female",
    "f": "female",
    "male": "male",
    "m": "male",
    "intersex": "intersex",
    "indeterminate": "intersex",
    "unknown": "unknown",
    "u": "unknown",
    "not known": "unknown",
    "not specified": "unknown",
}
CANONICAL_SEXES = ("female", "male", "intersex", "unknown")

_KEYS: dict[str, tuple[str, ...]] = {
    "profile": ("description", "system", "measures"),
    "file": ("header_line", "header_first_cell", "date_format", "encoding", "delimiter", "quote"),
    "as_of": ("label", "format"),
    "patient": ("patient_id", "nhs_number", "date_of_birth", "age", "sex", "registration_date"),
    "sex_values": (),
    "events": ("name", "table", "date", "code", "code_column", "value", "codelist", "months_ago"),
}


@dataclass(frozen=True)
class EventGroup:
    """A column group standing for one event per row: its date column, and its code (fixed or from a column)."""

    name: str
    table: str
    date: str
    code: str | None = None
    code_column: str | None = None
    value: str | None = None
    codelist: str | None = None  # the qiloop code list the report's column is built from (docs, test writers)
    months_ago: int = 0  # the column shows the latest event on or before this many months before the as-of date
    key: str = ""  # "events[1]", for messages

    @property
    def columns(self) -> dict[str, str]:
        """profile key -> export column."""
        found = {f"{self.key}.date": self.date}
        if self.code_column:
            found[f"{self.key}.code_column"] = self.code_column
        if self.value:
            found[f"{self.key}.value"] = self.value
        return found


@dataclass(frozen=True)
class Profile:
    name: str
    path: Path
    description: str = ""
    system: str = "other"
    measures: tuple[str, ...] = ()
    header_line: int | None = None
    header_first_cell: str | None = None
    date_format: str = "%Y-%m-%d"
    encoding: str = "utf-8-sig"
    delimiter: str = ","
    quote: str = '"'
    as_of_label: str | None = None
    as_of_format: str | None = None
    patient: dict[str, str] = field(default_factory=dict)  # field -> export column
    sex_values: dict[str, str] = field(default_factory=dict)  # lower-cased label -> canonical sex
    events: tuple[EventGroup, ...] = ()

    @property
    def columns(self) -> dict[str, str]:
        """Every mapped column: profile key -> export column (the only columns ever read)."""
        found = {f"patient.{name}": column for name, column in self.patient.items()}
        for group in self.events:
            found.update(group.columns)
        return found


def shipped_profiles() -> dict[str, Path]:
    """The profiles shipped with qiloop, by name."""
    return {p.stem: p for p in sorted(PROFILES_DIR.glob("*.toml"))}


def describe_shipped() -> list[str]:
    """One line per shipped profile: its name and description."""
    out = []
    for name in shipped_profiles():
        profile = load_profile(name)
        out.append(f"{name:<28} {profile.description}")
    return out


def load_profile(name_or_file: str | Path) -> Profile:
    """A shipped profile by name, or a profile file; every problem is an InputError naming the file and key."""
    text = str(name_or_file)
    shipped = shipped_profiles()
    if text in shipped:
        path = shipped[text]
    else:
        path = Path(text).expanduser()
        if not path.is_file():
            close = difflib.get_close_matches(text, list(shipped), n=1, cutoff=0.5)
            also = f" (did you mean {close[0]!r}?)" if close else ""
            raise InputError(
                f"{text}: no such profile file, and no shipped profile of that name{also}",
                hint=f"give a profile's TOML file or one of the shipped profiles: {', '.join(shipped)}",
            )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path.name}: not a valid TOML file ({exc})", hint=f"correct the profile {path}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path.name}: not a UTF-8 text file", hint=f"save the profile {path} as UTF-8") from None
    return _parse(path, data)


def _problem(path: Path, key: str, message: str, hint: str) -> InputError:
    return InputError(f"{path.name}: {key}: {message}", hint=f"{hint} (profile {path})")


def _parse(path: Path, data: dict[str, Any]) -> Profile:
    for section, value in data.items():
        if section not in _KEYS:
            close = difflib.get_close_matches(section, list(_KEYS), n=1, cutoff=0.5)
            also = f" (did you mean [{close[0]}]?)" if close else ""
            raise _problem(path, f"[{section}]", f"not a section of a report profile{also}",
                           f"the sections are {', '.join(f'[{s}]' for s in _KEYS)}")  # fmt: skip
        if section == "events":
            if not isinstance(value, list):
                raise _problem(
                    path, "events", "must be a list of tables ([[events]])", "write each group as [[events]]"
                )
        elif not isinstance(value, dict):
            raise _problem(path, section, "must be a table", f"write it as [{section}] followed by its keys")
        elif section != "sex_values":
            _known_keys(path, section, value, _KEYS[section])

    def text(section: str, key: str, default: str | None = None) -> str | None:
        value = data.get(section, {}).get(key, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise _problem(path, f"{section}.{key}", "must be a non-empty text in quotes", 'write e.g. key = "Text"')
        return value

    profile_section = data.get("profile", {})
    system = text("profile", "system", "other") or "other"
    if system not in SYSTEMS:
        raise _problem(path, "profile.system", f"{system!r} is not a system qiloop knows", f"use one of {SYSTEMS}")
    measures = profile_section.get("measures", [])
    if not isinstance(measures, list) or not all(isinstance(m, str) for m in measures):
        raise _problem(path, "profile.measures", "must be a list of measure ids", 'write e.g. ["pincer_a_audit"]')

    file = data.get("file", {})
    header_line = file.get("header_line")
    if header_line is not None and (
        not isinstance(header_line, int) or isinstance(header_line, bool) or header_line < 1
    ):
        raise _problem(path, "file.header_line", "must be a whole number from 1", "1 is the file's first line")
    header_first_cell = text("file", "header_first_cell")
    if header_line is not None and header_first_cell is not None:
        raise _problem(path, "file", "give header_line or header_first_cell, not both", "keep the one that fits")
    date_format = text("file", "date_format", "%Y-%m-%d") or "%Y-%m-%d"
    _check_format(path, "file.date_format", date_format)
    encoding = text("file", "encoding", "utf-8-sig") or "utf-8-sig"
    try:
        "".encode(encoding)
    except LookupError:
        raise _problem(path, "file.encoding", f"{encoding!r} is not a text encoding Python knows",
                       'use e.g. "utf-8-sig" or "cp1252"') from None  # fmt: skip
    delimiter = file.get("delimiter", ",")
    quote = file.get("quote", '"')
    for key, value in (("delimiter", delimiter), ("quote", quote)):
        if not isinstance(value, str) or len(value) != 1:
            raise _problem(path, f"file.{key}", "must be one character", 'write e.g. delimiter = ","')

    as_of_label = text("as_of", "label")
    as_of_format = text("as_of", "format")
    if as_of_format is not None:
        _check_format(path, "as_of.format", as_of_format)
    if "as_of" in data and as_of_label is None:
        raise _problem(path, "as_of.label", "is missing", "name the first cell of the line holding the export date")

    patient: dict[str, str] = {}
    for key in _KEYS["patient"]:
        value = text("patient", key)
        if value is not None:
            patient[key] = value
    if "patient_id" not in patient and "nhs_number" not in patient:
        raise _problem(path, "patient.patient_id", "is missing (and so is patient.nhs_number)",
                       "map the column identifying each patient: patient_id (a number) or nhs_number")  # fmt: skip
    if ("date_of_birth" in patient) == ("age" in patient):
        raise _problem(path, "patient.date_of_birth", "map either date_of_birth or age (one of them)",
                       "the measures need each patient's age on the as-of date")  # fmt: skip
    if "sex" not in patient:
        raise _problem(path, "patient.sex", "is missing", "map the column holding each patient's sex")

    sex_values = dict(SEX_VALUES)
    for label, sex in data.get("sex_values", {}).items():
        if sex not in CANONICAL_SEXES:
            raise _problem(path, f"sex_values.{label}", f"{sex!r} is not a sex qiloop records",
                           f"use one of {', '.join(CANONICAL_SEXES)}")  # fmt: skip
        sex_values[label.strip().lower()] = sex

    groups = [_event_group(path, i, item) for i, item in enumerate(data.get("events", []), start=1)]
    columns: dict[str, str] = {f"patient.{k}": v for k, v in patient.items()}
    for group in groups:
        for key, column in group.columns.items():
            for other, same in columns.items():
                if same == column and not (key.endswith(".code_column") and other.endswith(".code_column")):
                    raise _problem(path, key, f"maps the column {column!r}, already mapped by {other}",
                                   "each date, value and patient column stands for one thing")  # fmt: skip
            columns[key] = column
    return Profile(
        name=path.stem,
        path=path,
        description=text("profile", "description", "") or "",
        system=system,
        measures=tuple(measures),
        header_line=header_line,
        header_first_cell=header_first_cell,
        date_format=date_format,
        encoding=encoding,
        delimiter=delimiter,
        quote=quote,
        as_of_label=as_of_label,
        as_of_format=as_of_format,
        patient=patient,
        sex_values=sex_values,
        events=tuple(groups),
    )


def _known_keys(path: Path, section: str, value: dict[str, Any], allowed: tuple[str, ...]) -> None:
    for key in value:
        if key not in allowed:
            close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.5)
            also = f" (did you mean {close[0]!r}?)" if close else ""
            raise _problem(path, f"{section}.{key}", f"not a key of [{section}]{also}",
                           f"[{section}] takes {', '.join(allowed)}")  # fmt: skip


def _check_format(path: Path, key: str, fmt: str) -> None:
    sample = date(2024, 3, 9)
    try:
        written = sample.strftime(fmt)
        if datetime.strptime(written, fmt).date() != sample:
            raise ValueError
    except ValueError:
        raise _problem(path, key, f"{fmt!r} is not a date format that gives a whole date",
                       'use strptime codes with a day, month and year, e.g. "%d/%m/%Y" or "%d-%b-%Y"') from None  # fmt: skip


def _event_group(path: Path, number: int, item: Any) -> EventGroup:
    key = f"events[{number}]"
    if not isinstance(item, dict):
        raise _problem(path, key, "must be a table of keys", "write each group as [[events]] followed by its keys")
    _known_keys(path, key, item, _KEYS["events"])
    months_ago = item.pop("months_ago", 0)
    if not isinstance(months_ago, int) or isinstance(months_ago, bool) or not 0 <= months_ago <= 120:
        raise _problem(path, f"{key}.months_ago", "must be a whole number of months from 0",
                       "0: the latest event up to the as-of date; 3: the latest on or before 3 months before it")  # fmt: skip
    for name, value in item.items():
        if not isinstance(value, str) or not value.strip():
            raise _problem(path, f"{key}.{name}", "must be a non-empty text in quotes", 'write e.g. date = "Date"')
    name = item.get("name", key)
    table = item.get("table")
    if table not in EVENT_TABLES:
        raise _problem(path, f"{key}.table", f"{table!r} is not clinical_events or medications" if table else "is missing",
                       'write table = "clinical_events" (SNOMED CT) or table = "medications" (dm+d)')  # fmt: skip
    if "date" not in item:
        raise _problem(path, f"{key}.date", "is missing", "name the column holding the event's date")
    if ("code" in item) == ("code_column" in item):
        raise _problem(path, f"{key}.code", "give either code (the SNOMED CT or dm+d code the group stands for) or "
                       "code_column (the column holding each row's code)", "keep exactly one of them")  # fmt: skip
    if "code" in item and not is_concept_id(item["code"]):
        raise _problem(path, f"{key}.code", f"{item['code']!r} is not a SNOMED CT or dm+d identifier",
                       "write the concept's identifier (6 to 18 digits), not an EMIS, Read or CTV3 code")  # fmt: skip
    if "codelist" in item:
        _check_codelist(path, f"{key}.codelist", item["codelist"], table, item.get("code"))
    if "value" in item and table != "clinical_events":
        raise _problem(path, f"{key}.value", "only clinical events carry a value", "remove the value key")
    return EventGroup(
        name=name,
        table=table,
        date=item["date"],
        code=item.get("code"),
        code_column=item.get("code_column"),
        value=item.get("value"),
        codelist=item.get("codelist"),
        months_ago=months_ago,
        key=key,
    )


def _check_codelist(path: Path, key: str, name: str, table: str, code: str | None) -> None:
    try:
        from qiloop.codelists.registry import load
    except ImportError:  # the code lists are not installed: nothing to check against
        return
    try:
        codes = load(name)
    except (KeyError, ValueError, OSError, QiloopError):
        raise _problem(path, key, f"{name!r} is not one of qiloop's code lists",
                       "name a code list from docs/codelists.md, or remove the key") from None  # fmt: skip
    system = "dmd" if table == "medications" else "snomedct"
    if codes.system != system:
        raise _problem(path, key, f"the code list {name!r} is coded in {codes.system}, not {system}",
                       "check the group's table")  # fmt: skip
    if code is not None and code not in codes.codes:
        raise _problem(path, key.replace(".codelist", ".code"), f"{code!r} is not in the code list {name!r}",
                       "the group's fixed code must be one the measure counts: choose one from the code list")  # fmt: skip


# --- SNOMED CT identifiers (dm+d identifiers are SNOMED CT identifiers too) --------------------------------------

_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_DIGITS = re.compile(r"[1-9][0-9]{5,17}")
_READ = re.compile(r"[A-Za-z0-9.]{5}(-?[0-9]{1,2})?")


def is_concept_id(code: str) -> bool:
    """A SNOMED CT concept identifier (6-18 digits, concept partition, Verhoeff check digit); dm+d codes are too."""
    if not _DIGITS.fullmatch(code) or code[-3:-1] not in ("00", "10"):
        return False
    check = 0
    for i, digit in enumerate(reversed(code)):
        check = _D[check][_P[i % 8][int(digit)]]
    return check == 0


def code_system_guess(code: str) -> str:
    """What a code that is not a SNOMED CT identifier most looks like (for the advice): EMIS, Read/CTV3, other."""
    upper = code.upper()
    if upper.startswith(("EMIS", "^ESCT", "ESCT")) or (code.isdigit() and not is_concept_id(code)):
        return "EMIS"
    if _READ.fullmatch(code):
        return "Read/CTV3"
    return "other"
