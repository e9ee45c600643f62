"""``qiloop quality``: the data-quality report of an imported store."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from qiloop.errors import InputError
from qiloop.records.quality import quality_report

DESCRIPTION = """\
Report the data quality of an imported store, for a practice manager to read:
the share of rows with a value in every column, and findings - dates in the
future, records before birth or after death, implausible blood pressure, HbA1c
and eGFR readings, overlapping registrations, duplicate rows, appointment
statuses that contradict their dates, patients with no registration, and codes
in none of qiloop's code lists. Each finding gives a count, an example row and
why it matters. Exit code 0 whatever is found (the report is the output).
"""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (expected YYYY-MM-DD)") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "quality",
        help="report the data quality of an imported store",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--store", required=True, type=Path, help="the DuckDB store written by 'qiloop import'")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of text")
    parser.add_argument(
        "--as-of",
        type=_date,
        default=None,
        metavar="DATE",
        help="the date the extract was taken (YYYY-MM-DD); later dates count as in the future (default: today)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.store.exists():
        raise InputError(f"{args.store}: no such store", hint="create it with 'qiloop import SOURCE_DIR --store STORE'")
    report = quality_report(args.store, as_of=args.as_of)
    print(report.to_json() if args.json else report.summary_text())
    return 0
