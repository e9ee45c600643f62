"""``qiloop import``: validate an extract and write it to the analytics store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from qiloop.records.importer import import_extract
from qiloop.records.pseudonym import KEY_ENV_VAR, load_key

DESCRIPTION = f"""\
Validate an extract and write it to a DuckDB store.

SOURCE_DIR holds one file per table, <table>.csv or <table>.parquet: practices,
patients, practice_registrations, clinical_events, medications, appointments
(patients and practice_registrations are required). ehrQL example-data CSV
headers load unchanged. Every row is checked (types, required cells, allowed
values, keys, references); problems are listed as FILE:LINE: column NAME: ...
and nothing is written. The store is replaced in one step only when the whole
extract is valid.

An nhs_number column, in any table, is checked (10 digits, modulus-11 check
digit) and replaced by nhs_number_pseudonym = HMAC-SHA256(key, number); the key
comes from --key-file or the {KEY_ENV_VAR} environment variable and is never
stored.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "import",
        help="validate an extract (CSV/Parquet) and write it to a DuckDB store",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("source_dir", metavar="SOURCE_DIR", type=Path, help="directory holding the extract's files")
    parser.add_argument(
        "--store", required=True, type=Path, help="DuckDB file to create or replace (its directory must exist)"
    )
    parser.add_argument(
        "--key-file",
        type=Path,
        default=None,
        help=f"file holding the pseudonymisation key for NHS numbers (takes precedence over {KEY_ENV_VAR})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    key = load_key(args.key_file)
    result = import_extract(args.source_dir, args.store, key=key)
    print(f"imported {result.total_rows:,} rows into {result.store} in {result.seconds:.1f} s")
    for name, rows in result.tables.items():
        note = " (NHS numbers pseudonymised)" if name in result.pseudonymised else ""
        print(f"  {name:<24} {rows:>12,} rows{note}")
    sys.stdout.flush()
    return 0
