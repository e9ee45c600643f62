"""How many practices fall outside a network funnel's 99.8% limits, per measure, before and after issue 13.

    python scripts/funnel_outliers.py RESULTS_DIR [--markdown]

RESULTS_DIR holds a workbench ``results.parquet`` (``qiloop_web`` computes it; see docs/funnel.md for the demo
recipe). Every practice in it is one network. For each library measure the table gives:

* **before**: the method on main before issue 13: each practice's numerator and denominator summed over the latest
  12 months (patient-months for patient measures), disclosure control, exact limits, no overdispersion adjustment;
* **after**: :func:`qiloop.spc.funnel_basis.network_funnel` on :func:`published_counts`: distinct patients (latest
  month) or distinct appointments (12 months), disclosure control, exact limits, Spiegelhalter's additive
  overdispersion adjustment when the χ² test finds overdispersion at 5%.

With no real differences between practices about 0.2% of them fall outside 99.8% limits by chance
(0.04 of 20 practices); overdispersion that is left in the data (real differences between practices, as in any
real network) is what the adjustment absorbs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from qiloop.measures import all_measures
from qiloop.measures.disclosure import apply_disclosure_control
from qiloop.spc.funnel import FunnelResult, funnel
from qiloop.spc.funnel_basis import network_funnel, published_counts


def before(results: pd.DataFrame, measure_id: str, practices: list[str]) -> tuple[FunnelResult | None, int]:
    """Main before issue 13 (dashboard/network.py at a60cfbd): 12 monthly rows summed, no adjustment."""
    rows = results[(results["measure"] == measure_id) & results["practice_id"].isin(practices)]
    months = sorted(rows["interval_start"].unique())[-12:]
    totals = (
        rows[rows["interval_start"].isin(months)]
        .groupby("practice_id", as_index=False)[["numerator", "denominator"]]
        .sum()
    )
    totals["ratio"] = totals["numerator"] / totals["denominator"].where(totals["denominator"] > 0)
    published = apply_disclosure_control(totals).dropna(subset=["numerator", "denominator"])
    published = published[published["denominator"] > 0]
    if len(published) < 2:
        return None, len(published)
    num = published["numerator"].astype(float).tolist()
    den = published["denominator"].astype(float).tolist()
    proportion = all(n <= d for n, d in zip(num, den, strict=True))
    if sum(num) == 0 or (proportion and sum(num) == sum(den)):
        return None, len(published)
    result = funnel(
        num,
        den,
        data_type="proportion" if proportion else "rate",
        method="exact" if all(float(n).is_integer() for n in num) else "normal",
        unit_name="practices",
    )
    return result, len(published)


def after(results: pd.DataFrame, measure_id: str, practices: list[str]) -> tuple[FunnelResult | None, int, str]:
    counts = published_counts(results, all_measures()[measure_id], practices)
    return network_funnel(counts), len(counts.usable), counts.basis.counts


def table(results: pd.DataFrame) -> pd.DataFrame:
    practices = sorted(results["practice_id"].unique())
    rows = []
    for measure_id in all_measures():
        old, old_shown = before(results, measure_id, practices)
        new, new_shown, counted = after(results, measure_id, practices)
        rows.append(
            {
                "measure": measure_id,
                "counts": counted,
                "before_shown": old_shown,
                "before_outside": _outside(old),
                "after_shown": new_shown,
                "after_outside": _outside(new),
                "phi": None if new is None else round(new.summary.phi, 2),
                "p": None if new is None else new.summary.dispersion_p_value,
                "adjustment": "–"
                if new is None
                else (new.model.adjustment if new.summary.overdispersion_applied else "none"),
            }
        )
    return pd.DataFrame(rows)


def _outside(result: FunnelResult | None) -> str:
    if result is None:
        return "not drawn"
    return f"{result.summary.n_above + result.summary.n_below} of {result.summary.n_units}"


def markdown(frame: pd.DataFrame) -> str:
    lines = [
        "| measure | counts | before: outside 99.8% | after: outside 99.8% | φ | χ² p | adjustment |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in frame.to_dict("records"):
        p = "–" if row["p"] is None or pd.isna(row["p"]) else ("< 0.001" if row["p"] < 0.001 else f"{row['p']:.2g}")
        phi = "–" if row["phi"] is None or pd.isna(row["phi"]) else f"{row['phi']:.2f}"
        lines.append(
            f"| `{row['measure']}` | {row['counts']} | {row['before_outside']} | {row['after_outside']} | {phi} | {p} "
            f"| {row['adjustment']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results_dir", type=Path, help="folder with results.parquet")
    parser.add_argument("--markdown", action="store_true", help="a Markdown table (default: plain text)")
    args = parser.parse_args(argv)
    frame = table(pd.read_parquet(args.results_dir / "results.parquet"))
    print(markdown(frame) if args.markdown else frame.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
