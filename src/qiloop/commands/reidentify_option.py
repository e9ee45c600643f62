"""``qiloop measures actions … --reidentify-from FILE --key-file K [--out FILE]``: NHS numbers on the action list.

Kept apart from ``measures.py`` so the action-list command only registers these
options and hands its table over. The result is written only where the user
says (``--out``, replaced atomically, or standard output) and never on an error.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from qiloop.errors import QiloopError

if TYPE_CHECKING:
    import pandas as pd


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "NHS numbers (on the practice's own machine; nothing is stored; see docs/reidentify.md)"
    )
    group.add_argument(
        "--reidentify-from",
        type=Path,
        metavar="FILE",
        help="add an nhs_number column from the practice's extract patients file (CSV/Parquet with nhs_number) "
        "or a plain list of its NHS numbers, one a line",
    )
    group.add_argument(
        "--key-file",
        type=Path,
        metavar="K",
        help="the practice's pseudonymisation key, as given to qiloop import (default: $QILOOP_PSEUDONYM_KEY)",
    )
    group.add_argument("--out", type=Path, metavar="FILE", help="write the list as CSV to FILE instead of printing it")


def wanted(args: argparse.Namespace) -> bool:
    """Whether the command should hand its table to :func:`write_action_list`."""
    return bool(args.reidentify_from or args.out or args.key_file)


def write_action_list(args: argparse.Namespace, table: pd.DataFrame) -> int:
    """Add NHS numbers (with ``--reidentify-from``) and write the list to ``--out`` or standard output."""
    from qiloop.records.pseudonym import KEY_ENV_VAR, load_key
    from qiloop.records.reidentify import reidentify

    if args.key_file and not args.reidentify_from:
        raise QiloopError("--key-file is only used with --reidentify-from", hint="add --reidentify-from FILE")
    if args.out is not None and args.out.suffix.lower() != ".csv":
        raise QiloopError(f"--out must end in .csv (got {args.out.name})")
    if args.out is not None and not args.out.parent.is_dir():
        raise QiloopError(f"--out: the folder {args.out.parent} does not exist")
    summary = ""
    if args.reidentify_from:
        key = load_key(args.key_file)
        if key is None:
            raise QiloopError(
                "no pseudonymisation key: give --key-file K",
                hint=f"the key the practice's extract was imported with (or set {KEY_ENV_VAR}); nothing was written",
            )
        if not args.reidentify_from.is_file():
            raise QiloopError(f"{args.reidentify_from}: no such file", hint="nothing was written")
        found = reidentify(table, args.store, args.practice, key, args.reidentify_from)
        table = found.table
        summary = f"{len(table)} patients: {found.matched} with an NHS number, {found.unmatched} without (see nhs_number_note)"
    if args.out is not None:
        _write_atomically(table, args.out)
        print(f"wrote {summary or f'{len(table)} patients'} to {args.out}")
    else:
        if args.csv:
            table.to_csv(sys.stdout, index=False)
        else:
            print(table.to_string(index=False))
        if summary:
            print(summary, file=sys.stderr)
    return 0


def _write_atomically(table: pd.DataFrame, out: Path) -> None:
    """Write to a private file beside ``out`` and move it over ``out``: never a half-written list."""
    handle, temporary = tempfile.mkstemp(prefix=".qiloop-actions-", suffix=".csv", dir=out.parent)
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as f:
            table.to_csv(f, index=False)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
