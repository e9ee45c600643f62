"""Network (PCN and ICB) views: built only from results under the library's disclosure control.

Nothing patient-level and no raw small count leaves this module: every row
is passed through :func:`qiloop.measures.disclosure.apply_disclosure_control`
(counts of 1–7 suppressed, others rounded to 5, ratios recomputed) before it
is charted. The funnel plot compares practices over the latest 12 months:
each practice's monthly numerators and denominators are summed (patient-months)
and the sums are put under disclosure control before the funnel is drawn.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from qiloop.charts import funnel_chart_spec
from qiloop.measures.disclosure import NETWORK, apply_disclosure_control, network_view
from qiloop.measures.model import Measure
from qiloop.spc.funnel import funnel
from qiloop_web.dashboard.series import Chart, fit_to_page, measure_chart, safe_json, scale

FUNNEL_MONTHS = 12


def published_monthly(results: pd.DataFrame, measure_id: str, practice_ids: list[str]) -> pd.DataFrame:
    """The practices' monthly rows plus a network total row per month, all under disclosure control."""
    rows = results[(results["measure"] == measure_id) & results["practice_id"].isin(practice_ids)]
    return network_view(rows[["measure", "interval_start", "practice_id", "numerator", "denominator", "ratio"]])


def published_totals(results: pd.DataFrame, measure_id: str, practice_ids: list[str]) -> pd.DataFrame:
    """Each practice's numerator and denominator summed over the latest 12 months, under disclosure control."""
    rows = results[(results["measure"] == measure_id) & results["practice_id"].isin(practice_ids)]
    months = sorted(rows["interval_start"].unique())[-FUNNEL_MONTHS:]
    recent = rows[rows["interval_start"].isin(months)]
    totals = recent.groupby("practice_id", as_index=False)[["numerator", "denominator"]].sum()
    totals["ratio"] = totals["numerator"] / totals["denominator"].where(totals["denominator"] > 0)
    return apply_disclosure_control(totals)


@dataclass(frozen=True)
class Funnel:
    element_id: str
    spec_json: str
    text: str
    sentence: str
    practices_shown: int
    practices_hidden: int
    kind = "funnel"


def funnel_chart(
    measure: Measure, totals: pd.DataFrame, labels: dict[str, str], *, element_id: str, small: bool = False
) -> Funnel | None:
    """A funnel plot of the practices whose published 12-month counts are usable (None when fewer than 2)."""
    usable = totals.dropna(subset=["numerator", "denominator"])
    usable = usable[usable["denominator"] > 0]
    hidden = len(totals) - len(usable)
    if len(usable) < 2:
        return None
    multiplier, unit = scale(measure)
    numerators = usable["numerator"].astype(float).tolist()
    denominators = usable["denominator"].astype(float).tolist()
    proportion = all(n <= d for n, d in zip(numerators, denominators, strict=True))
    if sum(numerators) == 0 or (proportion and sum(numerators) == sum(denominators)):
        return None  # nothing to compare: no events (or only events) anywhere
    result = funnel(
        numerators,
        denominators,
        labels=[labels.get(p, "Practice") for p in usable["practice_id"]],
        data_type="proportion" if proportion else "rate",
        method="exact" if all(float(n).is_integer() for n in numerators) else "normal",
        multiplier=multiplier,
        unit_name="practices",
    )
    y_label = "%" if unit == "%" else unit.capitalize()
    width, height = (280, 200) if small else (560, 360)
    spec = funnel_chart_spec(
        result,
        title=measure.title,
        y_label=y_label,
        x_label="Patient-months, latest 12 months",
        show_labels=True,
        width=width,
        height=height,
    )
    fit_to_page(spec)
    return Funnel(
        element_id=element_id,
        spec_json=safe_json(spec),
        text=spec["description"],
        sentence=result.summary.sentence,
        practices_shown=len(usable),
        practices_hidden=hidden,
    )


def small_multiples(
    measure: Measure,
    monthly: pd.DataFrame,
    labels: dict[str, str],
    *,
    prefix: str,
    data_start: dt.date | None = None,
) -> list[tuple[str, Chart | None]]:
    """The network total first, then one SPC chart per practice in label order, each chosen from the published
    (disclosure-controlled) counts: suppressed months are gaps."""
    named = [(NETWORK, "Whole network")] + sorted(
        ((p, labels[p]) for p in monthly["practice_id"].unique() if p != NETWORK), key=lambda pair: pair[1]
    )
    charts = []
    for i, (practice_id, label) in enumerate(named):
        series = monthly[monthly["practice_id"] == practice_id][["interval_start", "numerator", "denominator", "ratio"]]
        series = series.astype({"numerator": "float64", "denominator": "float64", "ratio": "float64"})
        chart = measure_chart(
            measure, series, element_id=f"{prefix}-{i}", title=label, small=True, data_start=data_start
        )
        charts.append((label, chart))
    return charts
