"""A practice's own report export (EMIS Web Population Reporting, SystmOne Clinical Reporting) -> canonical tables.

The report's layout is whoever built it's, so a profile (:mod:`qiloop.records.report_profiles`) says where the
header row is, which column holds which field, which code each column group stands for and how dates are
written. The export is a **snapshot** at its as-of date (``--as-of`` or the date the profile finds in the file):

* ``patients``: patient_id (or a number given in file order when only the NHS number is mapped), date of birth
  (first of the month; from the age on the as-of date when the report shows age only), sex; the NHS number,
  when mapped, is written only as a keyed pseudonym;
* ``practice_registrations``: one per patient, at the practice given (``--practice``), from the registration
  date the report shows, or from the as-of date (counted in the report as inferred), still registered;
* ``clinical_events`` / ``medications``: one event per column group per row where its date is filled, with the
  group's fixed code or the row's code from its code column (and a numeric value for clinical events);
  the same event shown by two groups (or two rows) is written once.

Only the columns the profile maps are read: every other cell of the export (names, addresses, telephone
numbers) is split off by the CSV reader and dropped unread, and never appears in a message. A date after the
as-of date, a date in another format, or a code column holding EMIS, Read or CTV3 codes instead of SNOMED CT
or dm+d stops the conversion, naming the line and column.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from qiloop.errors import InputError
from qiloop.records.column_checks import shown
from qiloop.records.convert import ConversionReport, ConvertOptions, NhsMode, TableWriter, check_unmapped, closest
from qiloop.records.report_profiles import Profile, code_system_guess, describe_shipped, is_concept_id, load_profile
from qiloop.records.schema import NHS_NUMBER_COLUMN

DEFAULT_PRACTICE = "PRACTICE"
COMPARATORS = ("<=", ">=", "<", ">", "~")
KEPT = ("<=", ">=", "<", ">")  # longest first; the canonical ones (schema.COMPARATORS)
ADVICE = {
    "emis": "in the EMIS Web report, add the feature's 'SNOMED CT concept ID' column (for medication, the "
    "'dm+d code' column) beside this one, export again and map that column as code_column",
    "systmone": "in the SystmOne report's table, add the 'SNOMED CT code' column (for medication, the 'dm+d code' "
    "column) beside this one, export again and map that column as code_column",
    "other": "add the column holding the SNOMED CT concept ID (dm+d code for medication), export again and map "
    "that column as code_column",
}


@dataclass
class _Patient:
    patient_id: int
    nhs_number: str
    date_of_birth: date
    sex: str
    registered: date | None
    line: int


def convert_report(
    source: Path, out_dir: Path, options: ConvertOptions, nhs: NhsMode, key: bytes | None
) -> ConversionReport:
    if not options.profile:
        raise InputError(
            f"{source}: a report export needs a profile saying how it is laid out",
            hint="give --profile NAME_OR_FILE; the shipped profiles are:\n    " + "\n    ".join(describe_shipped()),
        )
    profile = load_profile(options.profile)
    path = _the_file(source)
    report = ConversionReport("report", path.name)
    report.notes.append(f"read with the profile {profile.name} ({profile.description or profile.path.name})")
    reader = _Reader(path, profile, options, report)
    reader.read()
    _write(reader, out_dir, options, nhs, key, report)
    return report


def _the_file(source: Path) -> Path:
    if source.is_file():
        return source
    found = [p for p in sorted(source.iterdir()) if p.is_file() and p.suffix.lower() in (".csv", ".txt")]
    if len(found) != 1:
        raise InputError(
            f"{source}: holds {len(found)} CSV files; a report export is one file",
            hint="give the exported CSV file itself, or a folder holding only it",
        )
    return found[0]


class _Reader:
    """Reads the mapped columns of one report export, checking each cell against the profile."""

    def __init__(self, path: Path, profile: Profile, options: ConvertOptions, report: ConversionReport) -> None:
        self.path, self.profile, self.options, self.report = path, profile, options, report
        self.where = f"{path.name}"
        self.as_of: date | None = options.as_of
        self.patients: dict[str, _Patient] = {}
        self.events: dict[str, set[tuple[int, date, str, tuple[float, str | None] | None]]] = {
            "clinical_events": set(),
            "medications": set(),
        }
        self.event_rows: Counter[str] = Counter()
        self.codes: dict[str, Counter[str]] = {}  # code column -> "valid" / system guessed -> rows
        self.bad_codes: dict[str, Counter[str]] = {}  # code column -> code -> rows
        self.comparator_values = 0
        self.approximate_values = 0

    # --- the file ----------------------------------------------------------------------------------------------

    def _rows(self) -> Iterator[tuple[int, list[str]]]:
        delimiter = self.options.delimiter or self.profile.delimiter
        quote = self.options.quote or self.profile.quote
        try:
            with self.path.open(encoding=self.profile.encoding, newline="") as f:
                reader = csv.reader(f, delimiter=delimiter, quotechar=quote, strict=True)
                line = 1
                try:
                    for row in reader:
                        yield line, row
                        line = reader.line_num + 1
                except csv.Error as exc:
                    raise InputError(
                        f"{self.where}:{reader.line_num}: not readable as CSV ({exc})",
                        hint="check that the file is the report exactly as exported; nothing was imported",
                    ) from None
        except UnicodeDecodeError:
            raise InputError(
                f"{self.where}: not {self.profile.encoding} text",
                hint=f'set encoding in [file] of the profile {self.profile.path} (SystmOne exports are often "cp1252")',
            ) from None

    def read(self) -> None:
        rows = self._rows()
        header_line, header = self._header(rows)
        index = self._indices(header_line, header)
        if self.as_of is None:
            raise InputError(
                f"{self.where}: the day the report was run is not known",
                hint="give it with --as-of YYYY-MM-DD (a report export is a snapshot at that date), or say in "
                f"[as_of] of the profile {self.profile.path} which line of the export holds it",
            )
        self.report.snapshot_as_of = self.as_of
        unread = [name for i, name in enumerate(header) if i not in set(index.values()) and name]
        if unread:
            self.report.ignored.extend(f"column {name!r} (not in the profile; not read)" for name in unread)
        data_rows = 0
        for line, row in rows:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) < len(header):
                raise InputError(
                    f"{self.where}:{line}: {len(row)} cells, but the header (line {header_line}) has {len(header)}",
                    hint="check that the file is the report exactly as exported (no lines added below the table)",
                )
            data_rows += 1
            self._row(line, {key: row[i].strip() for key, i in index.items()})
        self.report.read[self.path.name] = data_rows
        self._check_code_columns()

    def _header(self, rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
        profile = self.profile
        wanted_line = profile.header_line or (None if profile.header_first_cell else 1)
        label = (profile.as_of_label or "").strip().rstrip(":").lower()
        for line, row in rows:
            first = row[0].strip() if row else ""
            if (
                wanted_line is not None
                and line >= wanted_line
                or (profile.header_first_cell is not None and first == profile.header_first_cell)
            ):
                return line, [cell.strip() for cell in row]
            if label and first.rstrip(":").strip().lower() == label and self.as_of is None:
                self.as_of = self._as_of_cell(line, row)
        where = (
            f"no line {wanted_line}"
            if wanted_line is not None
            else f"no line whose first cell is {profile.header_first_cell!r}"
        )
        raise InputError(
            f"{self.where}: {where} (the header row the profile {profile.name} expects)",
            hint=f"check that this is the report the profile is for, or correct [file] in {profile.path}",
        )

    def _as_of_cell(self, line: int, row: list[str]) -> date:
        fmt = self.profile.as_of_format or self.profile.date_format
        cell = next((c.strip() for c in row[1:] if c.strip()), "")
        try:
            return datetime.strptime(cell, fmt).date()
        except ValueError:
            raise InputError(
                f"{self.where}:{line}: the export date {shown(cell)} is not in the format {fmt!r} "
                f"(profile {self.profile.name}, as_of.format)",
                hint=f"correct as_of.format in {self.profile.path}, or give the date with --as-of YYYY-MM-DD",
            ) from None

    def _indices(self, line: int, header: list[str]) -> dict[str, int]:
        index: dict[str, int] = {}
        for key, column in self.profile.columns.items():
            positions = [i for i, name in enumerate(header) if name == column]
            if not positions:
                raise InputError(
                    f"{self.where}:{line}: the profile {self.profile.name} maps {key} to the column {column!r}, "
                    f"which is not in the header{closest(column, header)}",
                    hint=f"correct {key} in {self.profile.path}, or add the column to the report and export again",
                )
            if len(positions) > 1:
                raise InputError(
                    f"{self.where}:{line}: the header has {len(positions)} columns called {column!r} "
                    f"(mapped by {key} in the profile {self.profile.name})",
                    hint="rename the columns in the report so that each is called once, and export again",
                )
            index[key] = positions[0]
        return index

    # --- one row -----------------------------------------------------------------------------------------------

    def _fail(self, line: int, key: str, message: str, hint: str) -> InputError:
        column = self.profile.columns[key]
        return InputError(f"{self.where}:{line}: column {column!r} ({key}): {message}", hint=hint)

    def _date(self, line: int, key: str, cell: str) -> date:
        fmt = self.profile.date_format
        try:
            day = datetime.strptime(cell, fmt).date()
        except ValueError:
            raise self._fail(
                line, key, f"{shown(cell)} is not a date in the format {fmt!r}",
                f"every date in the export must be written one way; correct file.date_format in {self.profile.path}"
                " if the whole export uses another format (nothing was imported)",
            ) from None  # fmt: skip
        assert self.as_of is not None
        if day > self.as_of:
            raise self._fail(
                line, key, f"{shown(cell)} is after the export's as-of date {self.as_of.isoformat()}",
                "give the day the report was run with --as-of (a report holds nothing after it); nothing was imported",
            )  # fmt: skip
        return day

    def _row(self, line: int, cells: dict[str, str]) -> None:
        patient = self._patient(line, cells)
        for group in self.profile.events:
            day_cell = cells[f"{group.key}.date"]
            if not day_cell:
                continue
            day = self._date(line, f"{group.key}.date", day_cell)
            if group.code_column:
                code = cells[f"{group.key}.code_column"]
                if not code:
                    self.report.drop(group.table, f"{group.name}: a date but no code")
                    continue
                column = group.code_column
                if is_concept_id(code):
                    self.codes.setdefault(column, Counter())["valid"] += 1
                else:
                    self.codes.setdefault(column, Counter())[code_system_guess(code)] += 1
                    self.bad_codes.setdefault(column, Counter())[code] += 1
                    continue
            else:
                assert group.code is not None
                code = group.code
            value = self._value(line, f"{group.key}.value", cells[f"{group.key}.value"]) if group.value else None
            self.event_rows[group.table] += 1
            self.events[group.table].add((patient.patient_id, day, code, value))

    def _value(self, line: int, key: str, cell: str) -> tuple[float, str | None] | None:
        """(the number, its comparator: '>90' is (90.0, '>')); an approximate value ('~90') is left empty."""
        if not cell:
            return None
        text = cell.replace(",", "").strip()
        comparator = next((c for c in KEPT if text.startswith(c)), None)
        if comparator is not None:
            text = text[len(comparator) :].strip()
            self.comparator_values += 1
        elif text.startswith(COMPARATORS):
            self.approximate_values += 1
            return None
        try:
            return float(text), comparator
        except ValueError:
            raise self._fail(
                line, key, f"{shown(cell)} is not a number",
                "map only the numeric value column (the unit in a column of its own); nothing was imported",
            ) from None  # fmt: skip

    def _patient(self, line: int, cells: dict[str, str]) -> _Patient:
        mapped = self.profile.patient
        nhs = cells.get("patient.nhs_number", "").replace(" ", "")
        if "patient_id" in mapped:
            text = cells["patient.patient_id"]
            if not text.isdigit() or int(text) < 1:
                raise self._fail(line, "patient.patient_id", f"{shown(text)} is not a whole number from 1",
                                 "map a numeric patient identifier, or only the NHS number")  # fmt: skip
            identity = text
        else:
            if not nhs:
                raise self._fail(line, "patient.nhs_number", "empty",
                                 "every row needs the patient's NHS number (or map a patient_id column)")  # fmt: skip
            identity = nhs
        sex_cell = cells["patient.sex"]
        sex = self.profile.sex_values.get(sex_cell.lower()) if sex_cell else "unknown"
        if sex is None:
            raise self._fail(
                line, "patient.sex", f"{shown(sex_cell)} is not a sex the profile knows",
                f"add it to [sex_values] in {self.profile.path}, e.g. \"Label\" = \"unknown\"",
            )  # fmt: skip
        if "date_of_birth" in mapped:
            cell = cells["patient.date_of_birth"]
            if not cell:
                raise self._fail(line, "patient.date_of_birth", "empty", "every patient needs a date of birth")
            date_of_birth = self._date(line, "patient.date_of_birth", cell).replace(day=1)
        else:
            date_of_birth = self._from_age(line, cells["patient.age"])
        registered = None
        if "registration_date" in mapped and cells["patient.registration_date"]:
            registered = self._date(line, "patient.registration_date", cells["patient.registration_date"])
        known = self.patients.get(identity)
        if known is None:
            number = int(identity) if "patient_id" in mapped else len(self.patients) + 1
            known = _Patient(number, nhs, date_of_birth, sex, registered, line)
            self.patients[identity] = known
            self.report.mapped("patients.sex", sex_cell, sex)
            if "age" in mapped:
                self.report.mapped("patients.date_of_birth", "(age on the as-of date)", "first of the month")
        elif (known.nhs_number, known.date_of_birth, known.sex, known.registered) != (
            nhs, date_of_birth, sex, registered
        ):  # fmt: skip
            raise InputError(
                f"{self.where}:{line}: the patient on line {known.line} appears again with different details "
                "(NHS number, date of birth, sex or registration date)",
                hint="check the patient identifier column mapped in the profile; nothing was imported",
            )
        return known

    def _from_age(self, line: int, cell: str) -> date:
        assert self.as_of is not None
        years = cell.split()[0] if cell else ""
        if not years.isdigit() or int(years) > 130:
            raise self._fail(line, "patient.age", f"{shown(cell)} is not an age in whole years",
                             "map the column holding the age in years (or the date of birth)")  # fmt: skip
        # the first of the as-of month, that many years back: exactly that age on the as-of date
        return date(self.as_of.year - int(years), self.as_of.month, 1)

    def _check_code_columns(self) -> None:
        for column, counts in self.codes.items():
            bad = sum(n for what, n in counts.items() if what != "valid")
            if bad and bad > counts["valid"]:
                systems = Counter({what: n for what, n in counts.items() if what != "valid"})
                looks = ", ".join(f"{what} ({n:,})" for what, n in systems.most_common())
                examples = ", ".join(code for code, _ in self.bad_codes[column].most_common(3))
                raise InputError(
                    f"{self.where}: the column {column!r} holds codes that are not SNOMED CT or dm+d: "
                    f"{bad:,} of {bad + counts['valid']:,} look like {looks} codes, e.g. {examples}; "
                    "nothing was imported",
                    hint=f"{ADVICE[self.profile.system]} (profile {self.profile.path})",
                )
            for code, n in self.bad_codes.get(column, Counter()).items():
                self.report.unmapped_code(f"column {column!r}: {code_system_guess(code)}", code, n)


def _write(
    reader: _Reader, out_dir: Path, options: ConvertOptions, nhs: NhsMode, key: bytes | None, report: ConversionReport
) -> None:
    if not reader.patients:
        raise InputError(f"{reader.where}: the report holds no patients", hint="check that the search found patients")
    as_of = reader.as_of
    assert as_of is not None
    practice = options.practice or DEFAULT_PRACTICE
    if not options.practice:
        report.notes.append(f"no practice code was given (--practice), so the practice is called {practice}")
    with TableWriter(out_dir, "practices", ["practice_id", "name", "pcn_id", "pcn_name", "icb_id", "icb_name"],
                     report) as out:  # fmt: skip
        out.write([practice, practice, "unknown", "unknown", "unknown", "unknown"])
    with_nhs = "nhs_number" in reader.profile.patient
    columns = ["patient_id", "date_of_birth", "sex", "date_of_death", *([NHS_NUMBER_COLUMN] if with_nhs else [])]
    inferred = 0
    with (
        TableWriter(out_dir, "patients", columns, report, nhs, key) as patients,
        TableWriter(out_dir, "practice_registrations", ["patient_id", "start_date", "end_date", "practice_id"],
                    report) as registrations,
    ):  # fmt: skip
        for p in sorted(reader.patients.values(), key=lambda p: p.patient_id):
            row: list[object] = [p.patient_id, p.date_of_birth.isoformat(), p.sex, ""]
            patients.write([*row, p.nhs_number] if with_nhs else row, f"{reader.where}:{p.line}")
            inferred += p.registered is None
            registrations.write([p.patient_id, (p.registered or as_of).isoformat(), "", practice])
    if inferred:
        report.notes.append(
            f"{inferred:,} patients' registrations are inferred: the report does not say since when they were "
            f"registered, so they are registered from the as-of date {as_of.isoformat()}"
        )
    tables = {group.table for group in reader.profile.events}
    for table, code_column in (("clinical_events", "snomedct_code"), ("medications", "dmd_code")):
        if table not in tables:
            continue
        events = table == "clinical_events"
        header = ["patient_id", "date", code_column, *(["numeric_value", "numeric_comparator"] if events else [])]
        with TableWriter(out_dir, table, header, report) as out:
            for pid, day, code, value in sorted(
                reader.events[table],
                key=lambda e: (e[0], e[1], e[2], e[3][0] if e[3] else 0, (e[3] or (0, ""))[1] or ""),
            ):
                row = [pid, day.isoformat(), code]
                number, comparator = value if value is not None else (None, None)
                out.write([*row, "" if number is None else str(number), comparator or ""] if events else row)
        twice = reader.event_rows[table] - report.written[table]
        if twice:
            report.drop(table, "the same event shown twice (by two column groups or rows): written once", twice)
    if reader.comparator_values:
        report.notes.append(
            f"{reader.comparator_values:,} values with a comparator (such as >90) are kept as the number and its "
            "comparator (numeric_comparator); measures compare the number"
        )
    if reader.approximate_values:
        report.notes.append(
            f"{reader.approximate_values:,} approximate values (such as ~90) were left empty: the event is kept"
        )
    coded = sum(sum(c.values()) for c in reader.codes.values())
    check_unmapped(report, coded, options.max_unmapped, reader.where)
