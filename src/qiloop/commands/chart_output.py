"""Output options shared by the chart commands (`qiloop spc`, `qiloop funnel`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from qiloop.errors import InputError


def add_output_options(parser: argparse.ArgumentParser, *, table: str) -> None:
    """--json | --csv (the per-``table`` rows), and --svg/--png chart files."""
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the full result as JSON")
    output.add_argument("--csv", action="store_true", help=f"print the per-{table} table as CSV")
    parser.add_argument("--svg", metavar="FILE", type=Path, help="also write the chart as SVG")
    parser.add_argument("--png", metavar="FILE", type=Path, help="also write the chart as PNG")


def write_chart_files(spec: dict[str, Any], args: argparse.Namespace) -> None:
    """Write the chart to the --svg and --png files the user asked for."""
    from qiloop.charts import to_png, to_svg

    if args.svg:
        write_output(args.svg, to_svg(spec).encode("utf-8"))
    if args.png:
        write_output(args.png, to_png(spec))


def write_output(path: Path, content: bytes) -> None:
    """Write a chart file; a missing folder is the user's to fix."""
    if not path.parent.exists():
        raise InputError(f"{path}: the folder {path.parent} does not exist", hint="create it or choose another path")
    path.write_bytes(content)
