"""SystmOne Strategic Reporting extract (SRE) -> the canonical tables (``qiloop import --from systmone DIR``).

What maps (``docs/importers.md`` has the table and says what was checked and what is inferred):

* ``SRPatient``: RowIdentifier -> patient_id, DateBirth (first of its month), Gender M/F/I/U, DateDeath,
  NHSNumber (pseudonymised by the import); test patients (TestPatient = true) are skipped with all their rows;
* ``SRPatientRegistration``: IDPatient, DateRegistration, DateDeRegistration, IDOrganisation (an ODS code)
  -> practice_id, for the rows where IDOrganisation is the organisation whose files they are
  (IDOrganisationVisibleTo); temporary residents are left out;
* ``SRCode``: IDPatient, DateEvent, SNOMEDCode, or CTV3Code mapped through the extract's own
  ``SRCtv3ToSnomed``; NumericValue when IsNumeric is true (the comparator is counted in the report);
* ``SRPrimaryCareMedication``: IDPatient, DateEvent, IDMultiLexDMD (dm+d); hospital medication is skipped;
* ``SRAppointment``: RowIdentifier -> appointment_id, IDPatient, IDOrganisation, DateAppointmentBooked,
  DateStart, AppointmentStatus (a row of ``SRMapping``, whose text is one of TPP's 15 statuses),
  TelephoneAppointment -> mode telephone (otherwise unknown), IDClinician, and the StaffRole of
  IDProfileClinician in ``SRStaffMemberProfile`` -> hcp_role;
* the practices from the registrations, named from ``SROrganisation``.

Rows flagged RemovedData = 1 are skipped, and a RowIdentifier given twice is read once. Only the columns
above are read (names, addresses, telephone numbers and e-mail addresses never are); a column the TPP v93
layout does not have is named in the report's notes. The files are Windows-1252; the delimiter and text
qualifier the practice chose are read from each file's header unless given (``--delimiter``, ``--quote``).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from qiloop import progress
from qiloop.errors import InputError
from qiloop.records import pseudonym
from qiloop.records.convert import ConversionReport, ConvertOptions, NhsMode, check_unmapped
from qiloop.records.from_systmone import activity, tables
from qiloop.records.from_systmone.layout import HEADER_SIGNATURES, SMALL_TABLES
from qiloop.records.from_systmone.reading import SrFile, find_files, load, open_table, small_table
from qiloop.records.sql import connect

__all__ = ["HEADER_SIGNATURES", "convert_systmone"]
T = TypeVar("T")


def convert_systmone(
    source: Path, out_dir: Path, options: ConvertOptions, nhs: NhsMode, key: bytes | None
) -> ConversionReport:
    report = ConversionReport("systmone", source.name)
    paths = find_files(source, report)
    files: dict[str, SrFile] = {table: open_table(table, path, options, report) for table, path in paths.items()}
    small = {table: small_table(files[table]) for table in SMALL_TABLES if table in files}
    for table in SMALL_TABLES:
        if table in files:
            report.read[files[table].name] = len(small[table])
    _check_manifest(small.get("SRManifest", []), files, report)
    spill = out_dir / ".spill"  # DuckDB's overflow stays inside the (private) output folder, removed after
    con = connect()
    con.execute("SET temp_directory = ?", [str(spill)])  # noqa: S608 - bound parameter
    # a step per large table, and the practices: a large extract takes minutes
    large = ("SRPatient", "SRPatientRegistration", "SRCode", "SRPrimaryCareMedication", "SRAppointment")
    bar = progress.bar(total=1 + sum(name in files for name in large), desc="convert systmone", unit="step")
    try:
        t = tables.Tables(con, files, report, options.as_of)

        # CSV to read; Parquet when the importer asks for it in its private build folder (typed: not parsed again)
        parquet = getattr(options, "tables", "csv") == "parquet"

        def copy(table: str, sql: str) -> None:
            params: dict[str, object] = {"out": str(out_dir / f"{table}.{'parquet' if parquet else 'csv'}")}
            if "$inner" in sql:
                assert key is not None
                inner, outer = pseudonym.hmac_pads(key)
                params |= {"inner": inner, "outer": outer}
            how = "FORMAT PARQUET" if parquet else "HEADER, DELIMITER ','"
            row = con.execute(f"COPY ({sql}) TO $out ({how})", params).fetchone()
            report.written[table] = int(row[0]) if row else 0

        def step(names: tuple[str, ...], run: Callable[[], T], intermediate: tuple[str, ...] = ()) -> T:
            """Load the large tables ``names``, run a conversion step, then let go of what it loaded."""
            present = [n for n in names if n in files]
            bar.set_description(f"convert systmone: {names[0]}")
            for name in present:
                load(con, files[name], report)
            result = run()
            t.drop(*intermediate, *(f"k_{n}" for n in present), *(f"src_{n}" for n in present))
            bar.update(1)
            return result

        step(("SRPatient",), lambda: tables.patients(t, copy, nhs))
        step(("SRPatientRegistration",), lambda: tables.registrations(t, copy))
        coded = 0
        if "SRCode" in files:
            coded += step(("SRCode", "SRCtv3ToSnomed"), lambda: activity.events(t, copy), ("ev_all", "ev"))
        if "SRPrimaryCareMedication" in files:
            coded += step(("SRPrimaryCareMedication",), lambda: activity.medications(t, copy), ("meds_all", "meds"))
        check_unmapped(report, coded, options.max_unmapped, str(source))
        if "SRAppointment" in files:
            mapping = {r["RowIdentifier"]: r["Mapping"] for r in _kept(small.get("SRMapping", []))}
            roles = {r["RowIdentifier"]: r["StaffRole"] for r in _kept(small.get("SRStaffMemberProfile", []))}
            step(
                ("SRAppointment",),
                lambda: activity.appointments(t, copy, mapping, roles),
                ("appts_all", "appts"),
            )
        names = {r["ID"]: r["Name"] for r in _kept(small.get("SROrganisation", []))}
        bar.set_description("convert systmone: practices")
        activity.practices(t, copy, names, options.practice, report)
        bar.update(1)
    finally:
        bar.close()
        con.close()
        shutil.rmtree(spill, ignore_errors=True)
    return report


def _kept(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [r for r in rows if r.get("RemovedData", "").lower() not in ("1", "true")]


def _check_manifest(rows: list[dict[str, str]], files: dict[str, SrFile], report: ConversionReport) -> None:
    """Refuse a delta extract (it holds only the changes since the last one): qiloop needs a full extract."""
    if not rows:
        return
    delta = sorted(r["FileName"] for r in rows if r["IsDelta"].upper() == "Y" and r["FileName"] in files)
    if delta:
        raise InputError(
            f"SRManifest.csv: {', '.join(delta[:3])}{' and others' if len(delta) > 3 else ''} "
            f"{'is a delta' if len(delta) == 1 else 'are deltas'} (IsDelta = Y), holding only the changes since "
            "the previous extract",
            hint="ask for a full (bulk) Strategic Reporting extract; qiloop reads whole extracts",
        )
    taken = sorted(r.get("DateExtractTo", "") for r in rows if r.get("DateExtractTo"))
    if taken:
        report.notes.append(f"SRManifest.csv: a full extract, taken up to {taken[-1]} (yyyyMMdd_HHmm)")
