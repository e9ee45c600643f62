"""``qiloop spc INPUT.csv``: an SPC chart from a CSV file.

The file needs a header row. Columns default to ``x`` (or ``date``,
``month``, ``period``), ``y`` (or ``value``, ``numerator``, ``count``) and,
for P/P′/U/U′ charts, ``n`` (or ``denominator``); name others with ``--x``,
``--y``, ``--n``. Dates may be ISO (yyyy-mm-dd) or UK (dd/mm/yyyy or
d/m/yyyy, always read day first) and must increase down the file; an x
column that is not all dates is read as labels. Prints the points, the plain-English reading and the
Making Data Count icons; ``--json`` prints everything as JSON, ``--csv`` the
per-point table; ``--svg``/``--png`` also write the chart.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from qiloop.charts.palette import ASSURANCE_ICON_LABELS, CHART_NAMES, VARIATION_ICON_LABELS
from qiloop.charts.text import format_number, format_x
from qiloop.commands.chart_output import add_output_options, write_chart_files
from qiloop.errors import InputError

if TYPE_CHECKING:
    from qiloop.commands.spc_input import CsvTable

CHARTS = ("run", "xmr", "p", "pp", "u", "up", "c", "g", "t")
DENOMINATOR_CHARTS = ("p", "pp", "u", "up")
PROFILES = ("mdc", "qicharts2", "plotthedots")

SIGNAL_WORDS = {
    "common_cause": "",
    "special_cause_improvement": "improvement",
    "special_cause_concern": "concern",
    "special_cause_neither": "special cause",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "spc",
        help="draw an SPC chart (run, XmR, P, U, C, G, T) from a CSV file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", metavar="INPUT.csv", help="CSV file with a header row, one row per point")
    parser.add_argument("--chart", choices=CHARTS, default="xmr", help="chart type (default: xmr)")
    parser.add_argument("--profile", choices=PROFILES, default="mdc", help="rule set (default: mdc)")
    parser.add_argument("--x", metavar="COL", help="column of dates or labels (default: x, date, month or period)")
    parser.add_argument("--y", metavar="COL", help="column of values or counts (default: y, value, numerator, count)")
    parser.add_argument("--n", metavar="COL", help="column of denominators for P/U charts (default: n, denominator)")
    parser.add_argument("--improvement", choices=("up", "down", "neither"), default="neither")
    parser.add_argument(
        "--target",
        type=float,
        metavar="V",
        help="target, on the plotted scale (after --multiply), for the assurance icon",
    )
    parser.add_argument("--multiply", type=float, default=1.0, metavar="K", help="scale P/U values (100 for %%)")
    parser.add_argument("--split", action="append", default=[], metavar="X", help="start a new phase at this x")
    parser.add_argument("--freeze", type=int, metavar="N", help="fix the limits from the first N points")
    parser.add_argument(
        "--exclude", type=int, nargs="+", default=[], metavar="I", help="leave out point I (1-based, as in the table)"
    )
    parser.add_argument("--title", help="chart title (and the measure's name in the text)")
    parser.add_argument("--y-label", help="y axis title")
    parser.add_argument(
        "--annotate", action="append", default=[], metavar="X=LABEL", help="mark a change, e.g. 2024-03-01='PDSA 1'"
    )
    add_output_options(parser, table="point")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    # heavy imports (pandas, scipy) only when the command runs, so `qiloop --help` stays quick
    import pandas as pd

    from qiloop.commands.spc_input import pick_column, read_csv_table, with_line
    from qiloop.spc import spc

    table = read_csv_table(args.input)
    y_col = pick_column(table, args.y, ("y", "value", "numerator", "count"), "values", "--y")
    if y_col is None:
        raise InputError(
            f"{table.path}: no column of values; the columns are {', '.join(map(repr, table.columns))}",
            hint="name it with --y COL",
        )
    x_col = pick_column(table, args.x, ("x", "date", "month", "period", "week"), "labels", "--x")
    n_col = None
    if args.chart in DENOMINATOR_CHARTS:
        n_col = pick_column(table, args.n, ("n", "denominator"), "denominators", "--n")
        if n_col is None:
            raise InputError(f"a {args.chart.upper()} chart needs denominators", hint="name the column with --n COL")
    if len(table) < 2:
        raise InputError(f"{table.path}: an SPC chart needs at least 2 points; the file has {len(table)} data rows")
    y = table.numbers(y_col, "--y")
    n = table.numbers(n_col, "--n", positive=True) if n_col else None
    x = table.x_values(x_col, "--x") if x_col else None
    exclude = _exclusions(args.exclude, len(table))
    annotations = [_annotation(text) for text in args.annotate]
    if x and isinstance(x[0], pd.Timestamp):
        # --split and --annotate name x values as the file does: dd/mm/yyyy is read day first there too
        args.split = [_as_date(value, "--split") for value in args.split]
        annotations = [{**note, "x": format_x(_as_date(note["x"], "--annotate"))} for note in annotations]
    try:
        result = spc(
            y,
            x=x,
            n=n,
            chart=args.chart,
            profile=args.profile,
            improvement=args.improvement,
            target=args.target,
            splits=args.split or None,
            freeze=args.freeze,
            exclude=exclude or None,
            measure_name=args.title,
            multiply=args.multiply,
        )
    except InputError as exc:
        raise InputError(with_line(exc.message, table), hint=exc.hint) from None

    if args.svg or args.png:
        _write_charts(result, args, annotations)
    if args.json:
        sys.stdout.write(result.to_json(indent=2) + "\n")
    elif args.csv:
        sys.stdout.write(result.points_csv())
    else:
        sys.stdout.write(render_text(result, table))
    return 0


def render_text(result: Any, table: CsvTable | None = None) -> str:
    """The default output: a points table, then the sentence, icons and runs analysis."""
    points = result.points
    header = ["#", "x", "y", "centre", "lower", "upper", "signal", "rules"]
    rows = []
    for i, row in enumerate(points.to_dict("records"), start=1):
        signal = SIGNAL_WORDS.get(str(row["variation"]), str(row["variation"]))
        if row["excluded"]:
            signal = (signal + " " if signal else "") + "(excluded)"
        rows.append(
            [
                str(i),
                format_x(row["x"]),
                format_number(row["y"]),
                _blank(row["cl"]),
                _blank(row["lcl"]),
                _blank(row["ucl"]),
                signal,
                str(row["rule"] or ""),
            ]
        )
    widths = [max(len(h), *(len(r[c]) for r in rows)) for c, h in enumerate(header)]
    lines = ["  ".join(cell.ljust(widths[c]) for c, cell in enumerate(line)).rstrip() for line in [header, *rows]]
    s = result.summary
    lines.append("")
    lines.append(f"{CHART_NAMES.get(s.chart, s.chart)} ({s.profile} rules), {s.n} points")
    lines.append(s.sentence)
    variation = VARIATION_ICON_LABELS.get(s.variation_icon, "none") if s.variation_icon else "none"
    assurance = ASSURANCE_ICON_LABELS.get(s.assurance_icon, "none") if s.assurance_icon else "none"
    lines.append(f"Variation icon: {variation}")
    lines.append(f"Assurance icon: {assurance}")
    lines.append(
        f"Runs analysis: longest run {s.longest_run} (signal above {s.longest_run_max}); "
        f"crossings {s.n_crossings} (signal below {s.n_crossings_min}) over {s.n_useful} useful points"
    )
    lines += [f"Note: {note}" for note in s.notes]
    return "\n".join(lines) + "\n"


def _blank(value: Any) -> str:
    text = format_number(value)
    return "" if text == "none" else text


def _exclusions(points: list[int], count: int) -> list[int]:
    out = []
    for point in points:
        if not 1 <= point <= count:
            raise InputError(f"--exclude {point}: there is no point {point}; the points are 1 to {count}")
        out.append(point - 1)
    return out


def _as_date(text: str, option: str) -> Any:
    """An option's x value as a date when it is written as one (ISO or dd/mm/yyyy), else the text unchanged."""
    from qiloop.commands.spc_input import DATE_FORMS, looks_like_date, parse_date

    if not looks_like_date(text):
        return text
    try:
        return parse_date(text)
    except ValueError as exc:
        raise InputError(f"{option} {text}: not a valid date: {exc}", hint=f"write dates as {DATE_FORMS}") from None


def _annotation(text: str) -> dict[str, str]:
    x, sep, label = text.partition("=")
    if not sep or not x.strip() or not label.strip():
        raise InputError(f"--annotate {text!r}: expected X=LABEL, e.g. 2024-03-01='PDSA 1: recall letters'")
    return {"x": x.strip(), "label": label.strip()}


def _write_charts(result: Any, args: argparse.Namespace, annotations: list[dict[str, str]]) -> None:
    from qiloop.charts import spc_chart_spec

    try:
        spec = spc_chart_spec(result, title=args.title, y_label=args.y_label, annotations=annotations)
    except ValueError as exc:
        raise InputError(f"--annotate: {exc}") from None
    write_chart_files(spec, args)
