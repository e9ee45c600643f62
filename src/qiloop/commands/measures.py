"""``qiloop measures``: run measures on a store, list and describe them, print action lists.

  qiloop measures run --store STORE --out results.parquet [--measure ID ...] [--from YYYY-MM --to YYYY-MM]
                      [--engine duckdb|spark] [--by age_band,sex,ethnicity,imd_quintile] [--aggregate network]
  qiloop measures actions ID --store STORE --practice P [--on YYYY-MM] [--csv]
                          [--reidentify-from FILE --key-file K] [--out FILE]
  qiloop measures list
  qiloop measures describe ID

``--aggregate network`` writes what may leave a practice: every practice row
plus network totals, with counts of 1–7 suppressed and others rounded to the
nearest 5 (docs/measures.md).

An action list holds, for one practice and month, the patients in the numerator
when low is good (a hazard: PINCER, missed appointments) and the patients in the
denominator but not the numerator when high is good (care to give); `measures
describe ID` states the rule for each measure.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from qiloop.commands import reidentify_option
from qiloop.errors import QiloopError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "measures",
        help="run quality measures on a store; list, describe, action lists",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    inner = parser.add_subparsers(dest="measures_command", metavar="SUBCOMMAND", required=True)

    run = inner.add_parser("run", help="compute measures for every practice and interval; write a results table")
    run.add_argument("--store", required=True, type=Path, help="DuckDB store (qiloop import) or Parquet directory")
    run.add_argument("--out", required=True, type=Path, help="results file: .parquet or .csv")
    run.add_argument("--measure", action="append", metavar="ID", help="measure id (repeat; default: every measure)")
    run.add_argument("--from", dest="start", metavar="YYYY-MM", help="first interval (default: 12 months to --to)")
    run.add_argument("--to", dest="end", metavar="YYYY-MM", help="last interval (default: latest month with data)")
    run.add_argument("--intervals", choices=("monthly", "financial_year"), default="monthly")
    run.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    run.add_argument("--by", default="", metavar="LIST", help="breakdowns: age_band,sex,ethnicity,imd_quintile")
    run.add_argument("--aggregate", choices=("network",), help="apply disclosure control and add network totals")
    run.add_argument(
        "--study-index-dates",
        action="store_true",
        help="add a study_index_date column: for PINCER measures, the published PINCER study's index date matching"
        " each month (the day after it ends), to compare with national PINCER figures; empty for other measures",
    )
    run.set_defaults(func=_run)

    actions = inner.add_parser(
        "actions",
        help="the patients of one practice to act on for a measure (patient-level: inside the practice only)",
        description="Print the patients to act on: those in the numerator when low is good (a hazard), those in "
        "the denominator but not the numerator when high is good (care to give). The first lines name the list and say "
        "whom it holds and in what order.",
    )
    actions.add_argument("measure", metavar="ID")
    actions.add_argument("--store", required=True, type=Path)
    actions.add_argument("--practice", required=True, metavar="P", help="practice id")
    actions.add_argument(
        "--on", metavar="YYYY-MM", help="month (or a date YYYY-MM-DD) (default: the latest month with data)"
    )
    actions.add_argument("--csv", action="store_true", help="print CSV (ISO dates) instead of the header and a table")
    reidentify_option.add_arguments(actions)
    actions.set_defaults(func=_actions)

    listing = inner.add_parser("list", help="list the known measures")
    listing.set_defaults(func=_list)

    describe = inner.add_parser("describe", help="show a measure's definition and governance metadata")
    describe.add_argument("measure", metavar="ID")
    describe.set_defaults(func=_describe)


def _run(args: argparse.Namespace) -> int:
    from qiloop.csv_safety import frame_to_csv
    from qiloop.measures.disclosure import network_view
    from qiloop.measures.registry import all_measures
    from qiloop.measures.run import default_range, run_measures

    if args.out.suffix not in (".parquet", ".csv"):
        raise QiloopError(f"--out must end in .parquet or .csv (got {args.out.name})")
    ids = args.measure or list(all_measures())
    if not ids:
        raise QiloopError("no measures are defined", hint="install the measure library or pass --measure")
    if args.study_index_dates and args.intervals != "monthly":
        raise QiloopError(
            "--study-index-dates needs monthly intervals: the published PINCER study reports months",
            hint="leave out --intervals financial_year",
        )
    breakdowns = tuple(b.strip() for b in args.by.split(",") if b.strip())
    start, end = args.start, args.end
    if start is None or end is None:
        start, end = default_range(args.store, start, end)
    results = run_measures(
        args.store, ids, start=start, end=end, engine=args.engine, breakdowns=breakdowns, intervals=args.intervals
    )
    if args.aggregate == "network":
        results = network_view(results)
    if args.study_index_dates:
        results = _with_study_index_dates(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    if args.out.suffix == ".csv":
        frame_to_csv(results, args.out)
    else:
        results.to_parquet(args.out, index=False)
    intervals = results["interval_end"].nunique()
    print(f"wrote {len(results):,} rows ({len(ids)} measures × {intervals} intervals) to {args.out}")
    return 0


def _with_study_index_dates(results: Any) -> Any:
    """The results with ``study_index_date`` (PINCER measures; empty for the others)."""
    import pandas as pd

    from qiloop.measures.registry import all_measures
    from qiloop.measures.study_months import follows_published_study, study_index_date

    library = all_measures()
    pincer = {m for m in results["measure"].unique() if m in library and follows_published_study(library[m])}
    ends = pd.to_datetime(results["interval_end"]).dt.date
    results = results.copy()
    results["study_index_date"] = [
        pd.Timestamp(study_index_date(end)) if measure in pincer else pd.NaT
        for measure, end in zip(results["measure"], ends, strict=True)
    ]
    return results


def _actions(args: argparse.Namespace) -> int:
    from qiloop.measures.actions import compute_action_list

    listed = compute_action_list(args.store, args.measure, args.practice, on=args.on)
    if reidentify_option.wanted(args):
        return reidentify_option.write_action_list(args, listed.csv_table())
    if args.csv:
        sys.stdout.write(listed.csv())  # text cells neutralised against CSV injection (qiloop.csv_safety)
    else:
        print(_as_text(listed))
    return 0


def _as_text(listed: Any) -> str:
    """The header sentence, then the list as aligned columns (no table when there is no one to list)."""
    lines = [listed.title, listed.header]
    if listed.count:
        rows = [listed.columns, *listed.display_rows()]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines.append("")
        lines += [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
        ]
    return "\n".join(lines)


def _list(args: argparse.Namespace) -> int:
    from qiloop.measures.registry import all_measures

    known = all_measures()
    if not known:
        print("no measures are defined")
        return 0
    width = max(len(i) for i in known)
    for measure_id, measure in known.items():
        topic = f"  [{measure.topic}]" if measure.topic else ""
        print(f"{measure_id:<{width}}  {measure.title}{topic}")
    return 0


def _describe(args: argparse.Namespace) -> int:
    from qiloop.measures.actions import rule_text
    from qiloop.measures.describe import describe
    from qiloop.measures.registry import get_measure

    m = get_measure(args.measure)
    lines = [f"{m.id}: {m.title}  (version {m.version})"]
    if m.description:
        lines.append(f"  how it is counted: {m.description}")
    lines += [
        f"  denominator: {describe(m.denominator)}",
        f"  numerator:   {describe(m.numerator)}",
    ]
    if m.exclusions is not None:
        lines.append(f"  exclusions:  {describe(m.exclusions)} (only when the numerator is not met)")
    lines.append(f"  low is good: {'yes' if m.low_is_good else 'no'}" + (f"; shown per {m.per}" if m.per != 1 else ""))
    lines.append(f"  action list: {rule_text(m)}")
    for label, value in (
        ("why it matters", m.why_it_matters),
        ("topic", m.topic),
        ("source", " ".join(v for v in (m.source_indicator, m.source_version) if v)),
        ("author", m.author),
        ("checked by", m.checked_by),
        ("review date", m.review_date.isoformat() if m.review_date else ""),
    ):
        if value:
            lines.append(f"  {label}: {value}")
    for name, version in m.codelist_versions.items():
        lines.append(f"  code list {name}: version {version}")
    print("\n".join(lines))
    return 0
