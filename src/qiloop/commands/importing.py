"""``qiloop import`` and ``qiloop convert``: bring an extract (of any kind qiloop reads) into the analytics store."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from qiloop.errors import InputError
from qiloop.records.convert import DEFAULT_MAX_UNMAPPED, KINDS, ConvertOptions, convert, import_from
from qiloop.records.pseudonym import KEY_ENV_VAR, load_key

KINDS_TEXT = """\
KIND says what SOURCE_DIR (import) or SOURCE (convert) is (docs/importers.md):
  canonical  (default) a folder with one file per table, <table>.csv or
             <table>.parquet: practices, patients, practice_registrations,
             clinical_events, medications, appointments (patients and
             practice_registrations are required)
  ehrql      a folder of ehrQL tables (patients, practice_registrations,
             clinical_events, medications, appointments; other tables are
             reported as ignored)
  fhir       a FHIR R4 / UK Core bulk export: a folder of NDJSON files, one
             per resource type (Patient.ndjson, Condition.000.ndjson, ...)
  emis       an EMIS Web bulk extract: a folder of one extract run's CSV
             files (<id>_Admin_Patient_<timestamp>_<agreement>.csv, ...);
             appointment modes from --session-modes, no booking dates
  report     a report the practice exported itself (EMIS Web Population
             Reporting, SystmOne Clinical Reporting: one CSV file), read
             with a profile (--profile) and imported as a snapshot at its
             as-of date (--as-of); docs/report-exports.md
  systmone   a SystmOne Strategic Reporting extract, full not delta: a folder
             of SR<Table>.csv files (SRPatient, SRPatientRegistration, SRCode,
             SRPrimaryCareMedication, SRAppointment, SRMapping, ...); the
             delimiter and text qualifier are detected unless given
  gpad       NHS England's "Appointments in General Practice" practice-level
             CSV files (a file or a folder): stored as the national comparator
             table, beside the patient records already in the store
"""


def _profiles_text() -> str:
    from qiloop.records.report_profiles import describe_shipped

    lines = "\n".join(f"  {line}" for line in describe_shipped())
    return f"The shipped report profiles (--profile NAME):\n{lines}\n"


DESCRIPTION = f"""\
Validate an extract and write it to a DuckDB store.

{KINDS_TEXT}
{_profiles_text()}
Any kind other than canonical is first converted to the canonical tables
inside the importer's private build folder (removed afterwards, whatever
happens); then every row is checked (types, required cells, allowed values,
keys, references); problems are listed as FILE:LINE: column NAME: ... and
nothing is written. The store is replaced in one step only when the whole
extract is valid. A conversion's report (rows read, written and dropped,
unmapped codes, value mappings) is kept in the store and shown by 'qiloop
quality'.

An nhs_number column, in any table, is checked (10 digits, modulus-11 check
digit) and replaced by nhs_number_pseudonym = HMAC-SHA256(key, number); the key
comes from --key-file or the {KEY_ENV_VAR} environment variable and is never
stored.
"""

CONVERT_DESCRIPTION = f"""\
Convert an export to qiloop's canonical tables, to inspect them: writes
<table>.csv files and conversion.json (the conversion report) into --out.
Nothing is imported.

{KINDS_TEXT}
{_profiles_text()}
NHS numbers are never written as they are: with the practice's key
(--key-file or {KEY_ENV_VAR}) they are written as pseudonyms (column
nhs_number_pseudonym); without it a source holding NHS numbers is refused.
"""


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number (a percentage, e.g. 5)") from None
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text!r} is not a percentage between 0 and 100")
    return value


def _conversion_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-unmapped",
        type=_percent,
        default=DEFAULT_MAX_UNMAPPED,
        metavar="PERCENT",
        help="refuse a conversion when more than this share of coded rows has codes that are not SNOMED CT or "
        f"dm+d (default {DEFAULT_MAX_UNMAPPED:g})",
    )
    parser.add_argument(
        "--include-statements",
        action="store_true",
        help="fhir: read MedicationStatement resources as medications too (default: MedicationRequest only)",
    )
    parser.add_argument(
        "--key-file",
        type=Path,
        default=None,
        help=f"file holding the pseudonymisation key for NHS numbers (takes precedence over {KEY_ENV_VAR})",
    )
    parser.add_argument(
        "--as-of",
        type=_day,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day the extract was taken; a date after it is refused with its line",
    )
    parser.add_argument(
        "--profile",
        default=None,
        metavar="NAME_OR_FILE",
        help="report: how the export is laid out - a shipped profile's name (listed above) or a profile's TOML "
        "file (docs/report-exports.md)",
    )
    parser.add_argument(
        "--delimiter", default=None, metavar="CHAR", help="the field delimiter the export used (default: detected)"
    )
    parser.add_argument(
        "--quote", default=None, metavar="CHAR", help="the text qualifier the export used (default: detected)"
    )
    parser.add_argument(
        "--session-modes",
        type=Path,
        default=None,
        metavar="FILE",
        help="emis: a CSV of two columns, session category and appointment mode (face_to_face, telephone, video, "
        "home_visit, online, unknown), saying what the practice's session categories mean (default: mode unknown)",
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: write it as YYYY-MM-DD, e.g. 2026-03-31") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="validate an extract (canonical, ehrQL, FHIR, EMIS Web, SystmOne, a report export or GPAD) and write "
        "it to a DuckDB store",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--from", dest="kind", choices=KINDS, default="canonical", metavar="KIND", help="the kind of SOURCE_DIR (above)"
    )
    parser.add_argument(
        "source_dir", metavar="SOURCE_DIR", type=Path, help="the extract's folder (or GPAD or report file)"
    )
    parser.add_argument(
        "--store", required=True, type=Path, help="DuckDB file to create or replace (its directory must exist)"
    )
    parser.add_argument(
        "--practice",
        metavar="ODS",
        default=None,
        help="the extract is this one practice's: replace only its records in the existing store "
        "(gpad: keep only this practice's rows of a national file; report: the practice the export is from; "
        "a report replaces a store holding a snapshot, never one holding longitudinal records)",
    )
    _conversion_options(parser)
    parser.set_defaults(func=run)

    converter = subparsers.add_parser(
        "convert",
        help="convert an export (ehrQL, FHIR, EMIS Web, SystmOne, a report export, GPAD) to canonical tables and "
        "a report, to inspect",
        description=CONVERT_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    converter.add_argument(
        "kind", metavar="KIND", choices=[k for k in KINDS if k != "canonical"], help="the kind of SOURCE (above)"
    )
    converter.add_argument("source", metavar="SOURCE", type=Path, help="the export's folder (or GPAD or report file)")
    converter.add_argument("--out", required=True, type=Path, help="a new or empty folder for the tables and report")
    converter.add_argument(
        "--practice",
        metavar="ODS",
        default=None,
        help="gpad: keep only this practice's rows; ehrql, report: the practice's code",
    )
    _conversion_options(converter)
    converter.set_defaults(func=run_convert)


def _options(args: argparse.Namespace) -> ConvertOptions:
    return ConvertOptions(
        practice=args.practice,
        max_unmapped=args.max_unmapped,
        include_statements=args.include_statements,
        as_of=args.as_of,
        delimiter=args.delimiter,
        quote=args.quote,
        session_modes=args.session_modes,
        profile=args.profile,
    )


def run(args: argparse.Namespace) -> int:
    key = load_key(args.key_file)
    outcome = import_from(
        args.kind, args.source_dir, args.store, key=key, practice=args.practice, options=_options(args)
    )
    result = outcome.result
    verb = "imported" if args.kind == "canonical" else f"converted ({args.kind}) and imported"
    print(f"{verb} {result.total_rows:,} rows into {result.store} in {outcome.seconds:.1f} s")
    for name, rows in result.tables.items():
        note = " (NHS numbers pseudonymised)" if name in getattr(result, "pseudonymised", ()) else ""
        print(f"  {name:<24} {rows:>12,} rows{note}")
    if outcome.report is not None:
        print("\n".join(outcome.report.summary_lines()))
    sys.stdout.flush()
    return 0


def run_convert(args: argparse.Namespace) -> int:
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"{args.out}: not a folder", hint="give --out a new or empty folder")
    report = convert(args.kind, args.source, args.out, key=load_key(args.key_file), options=_options(args))
    print(f"converted {args.source} into {args.out} (report: {args.out / 'conversion.json'})")
    print("\n".join(report.summary_lines()))
    return 0
