"""``qiloop synth``: write a synthetic network of practices to a directory."""

from __future__ import annotations

import argparse
import datetime as dt

from qiloop.errors import InputError
from qiloop.synth import DEFAULT_END, DEFAULT_START, generate_network
from qiloop.synth.writer import FORMATS

DESCRIPTION = """\
Write a synthetic network of GP practices: one file per canonical table
(practices, patients, practice_registrations, clinical_events, medications,
appointments) plus truth.json, which records the generation parameters, the
calibration targets, the changes planted in a few practices and the counts
of deliberately messy records. The same arguments always give the same bytes.
"""


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in YYYY-MM-DD form: {text!r}") from None


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "synth",
        help="generate a synthetic network of practices",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--practices", type=int, required=True, metavar="P", help="number of practices")
    parser.add_argument(
        "--patients", type=int, required=True, metavar="N", help="patients registered on the start date (all practices)"
    )
    parser.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory (created if missing)")
    parser.add_argument("--format", choices=FORMATS, default="parquet", help="file format (default parquet)")
    parser.add_argument(
        "--start",
        type=iso_date,
        default=DEFAULT_START,
        metavar="YYYY-MM-DD",
        help=f"first day (default {DEFAULT_START})",
    )
    parser.add_argument(
        "--end", type=iso_date, default=DEFAULT_END, metavar="YYYY-MM-DD", help=f"last day (default {DEFAULT_END})"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.out.strip() == "":
        raise InputError("--out must name a directory")
    summary = generate_network(
        args.out,
        practices=args.practices,
        patients=args.patients,
        seed=args.seed,
        start=args.start,
        end=args.end,
        fmt=args.format,
    )
    print(f"wrote {summary.practices} practices, {summary.patients:,} patients to {summary.out_dir}")
    for name, count in summary.rows.items():
        print(f"  {name:<24} {count:>12,} rows")
    print(f"  truth: {summary.truth_path}")
    return 0
