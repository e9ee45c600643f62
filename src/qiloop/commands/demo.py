"""``qiloop demo``: a synthetic demo network, imported and quality-checked, in one command."""

from __future__ import annotations

import argparse
from pathlib import Path

from qiloop.commands.arguments import at_least_one
from qiloop.errors import InputError

DEFAULT_DIR = Path("var/demo")  # the same defaults as qiloop.demo, which loads slowly (the generator)
DEFAULT_PRACTICES = 20
DEFAULT_PATIENTS = 40_000
DEFAULT_SEED = 1

DESCRIPTION = f"""\
Generate a synthetic network of practices, import it into DIR/store.duckdb and
print its data-quality summary. The synthetic extract is written to
DIR/extract (Parquet). A later run with the same settings reuses the store if it
is still valid (say --fresh to rebuild). Defaults: {DEFAULT_PRACTICES} practices,
{DEFAULT_PATIENTS:,} patients, seed {DEFAULT_SEED}, DIR {DEFAULT_DIR}.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="generate a synthetic demo network, import it and show its data quality",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"working directory (default: {DEFAULT_DIR})")
    parser.add_argument(
        "--practices",
        type=at_least_one,
        default=DEFAULT_PRACTICES,
        help=f"number of practices (default: {DEFAULT_PRACTICES})",
    )
    parser.add_argument(
        "--patients",
        type=at_least_one,
        default=DEFAULT_PATIENTS,
        help=f"patients registered at the start of the period (default: {DEFAULT_PATIENTS:,})",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    parser.add_argument("--fresh", action="store_true", help="rebuild even if a valid store with these settings exists")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.dir.exists() and not args.dir.is_dir():
        raise InputError(f"{args.dir}: exists and is not a directory", hint="give --dir a directory")
    from qiloop.demo import build_demo

    result = build_demo(args.dir, practices=args.practices, patients=args.patients, seed=args.seed, fresh=args.fresh)
    print()
    print(result.report.summary_text())
    print()
    print(f"store: {result.store}  ({sum(result.rows.values()):,} rows)")
    print(f"next: qiloop quality --store {result.store}")
    return 0
