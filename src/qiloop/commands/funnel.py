"""``qiloop funnel INPUT.csv``: a funnel plot comparing units with the target.

One row per unit (practice, clinician). Prints each unit in the file's own
order — never sorted into a league table — with its limits and whether it
lies within them, then a plain-English reading. ``--json`` prints
everything as JSON, ``--csv`` the per-unit table; ``--svg``/``--png`` also
write the chart (unit labels appear on it only with ``--show-labels``).
When every ``--label`` is a date (ISO, or UK dd/mm/yyyy read day first),
the units are periods: they are shown as ISO dates and must increase down
the file, one row per period.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from qiloop.charts.text import format_number
from qiloop.commands.chart_output import add_output_options, write_chart_files
from qiloop.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "funnel",
        help="draw a funnel plot (Spiegelhalter limits, overdispersion) from a CSV file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="INPUT.csv", help="CSV file with a header row, one row per unit")
    parser.add_argument("--numerator", required=True, metavar="COL", help="column of events (observed counts)")
    parser.add_argument(
        "--denominator", required=True, metavar="COL", help="column of people (proportions) or expected counts (ratios)"
    )
    parser.add_argument("--label", metavar="COL", help="column naming each unit")
    parser.add_argument("--type", dest="data_type", choices=("proportion", "ratio", "rate"), default="proportion")
    parser.add_argument("--method", choices=("exact", "normal"), default="exact", help="unadjusted limits")
    parser.add_argument("--scale", choices=("identity", "arcsine", "log", "sqrt"), help="scale for z-scores")
    parser.add_argument(
        "--overdispersion", choices=("none", "multiplicative", "additive"), default="none", help="widen the limits"
    )
    parser.add_argument("--trim", choices=("winsorise", "truncate"), default="winsorise")
    parser.add_argument("--trim-fraction", type=float, default=0.1, metavar="F", help="fraction trimmed at each end")
    parser.add_argument("--target", type=float, metavar="V", help="target (default: pooled value, or 1 for ratios)")
    parser.add_argument("--multiplier", type=float, default=1.0, metavar="K", help="scale values (100 for %%)")
    parser.add_argument("--unit-name", default="units", metavar="WORD", help="what the units are, e.g. practices")
    parser.add_argument("--title", help="chart title")
    parser.add_argument("--y-label", help="y axis title")
    parser.add_argument("--x-label", help="x axis title")
    parser.add_argument("--show-labels", action="store_true", help="label outlying units on the chart")
    add_output_options(parser, table="unit")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # heavy imports (pandas, scipy) only when the command runs, so `qiloop --help` stays quick
    from qiloop.commands.spc_input import read_csv_table, with_line
    from qiloop.spc.funnel import funnel

    table = read_csv_table(args.input)
    labels = table.date_labels(args.label, "--label") if args.label else None
    numerator = table.numbers(args.numerator, "--numerator")
    denominator = table.numbers(args.denominator, "--denominator", positive=True)
    if len(table) < 2:
        raise InputError(f"{table.path}: a funnel plot needs at least 2 units; the file has {len(table)} data rows")
    for i, (num, den) in enumerate(zip(numerator, denominator, strict=True)):
        where = f"{table.path}, line {table.lines[i]}"
        if num < 0:
            raise InputError(f"{where}, column {args.numerator!r}: {num:g} is negative; counts cannot be negative")
        if args.data_type == "proportion" and num > den:
            raise InputError(
                f"{where}: the numerator ({num:g}) is larger than the denominator ({den:g})",
                hint="check the columns are not swapped, or use --type ratio",
            )
    try:
        result = funnel(
            numerator,
            denominator,
            labels=labels,
            data_type=args.data_type,
            method=args.method,
            scale=args.scale,
            overdispersion=args.overdispersion,
            trim=args.trim,
            winsorise=args.trim_fraction,
            target=args.target,
            multiplier=args.multiplier,
            unit_name=args.unit_name,
        )
    except InputError as exc:
        message = exc.message.replace("unit ", "row ", 1) if exc.message.startswith("unit ") else exc.message
        raise InputError(with_line(message, table), hint=exc.hint) from None

    if args.svg or args.png:
        from qiloop.charts import funnel_chart_spec

        spec = funnel_chart_spec(
            result, title=args.title, y_label=args.y_label, x_label=args.x_label, show_labels=args.show_labels
        )
        write_chart_files(spec, args)
    if args.json:
        sys.stdout.write(result.to_json(indent=2) + "\n")
    elif args.csv:
        sys.stdout.write(result.units_csv())
    else:
        sys.stdout.write(render_text(result))
    return 0


def render_text(result: Any) -> str:
    """Units in input order with the widest limits and their position, then the summary."""
    from qiloop.spc.funnel_limits import level_key, level_label

    s = result.summary
    inner, outer = s.limits[0], s.limits[-1]
    ik, ok = level_key(inner), level_key(outer)
    header = ["unit", "numerator", "denominator", "value", f"{level_label(outer)} limits", "position"]
    rows = []
    for row in result.units.to_dict("records"):
        position = {"high": "above", "low": "below"}.get(row["signal"], "within")
        if position == "within" and row[f"outside_{ik}"] and inner != outer:
            position = f"within (outside {level_label(inner)})"
        rows.append(
            [
                str(row["label"]),
                format_number(row["numerator"]),
                format_number(row["denominator"]),
                format_number(row["value"]),
                f"{format_number(row[f'lower_{ok}'])} to {format_number(row[f'upper_{ok}'])}",
                position,
            ]
        )
    widths = [max(len(h), *(len(r[c]) for r in rows)) for c, h in enumerate(header)]
    lines = ["  ".join(cell.ljust(widths[c]) for c, cell in enumerate(line)).rstrip() for line in [header, *rows]]
    lines.append("")
    lines.append(f"Target {format_number(s.target)}; {s.data_type}, {s.method} limits on the {s.scale} scale")
    lines.append(s.sentence)
    lines.append(
        f"Overdispersion: φ = {format_number(s.phi)}, τ² = {s.tau2:.3g}, "
        f"{'applied' if s.overdispersion_applied else 'not applied'} ({s.overdispersion} requested)"
    )
    lines += [f"Note: {note}" for note in s.notes]
    return "\n".join(lines) + "\n"
