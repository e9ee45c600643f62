"""One measure's monthly series as an SPC chart: the Vega-Lite spec, its text alternative, icons and sentence.

The chart is chosen from the monthly numerators and denominators
(:func:`qiloop.spc.read_counts`): an XmR chart (the Making Data Count default)
where denominators are large and steady, a P or P′ chart with limits per month
where they vary, and a run chart of the counts with no signals where the numbers
are too small. Values are percentages (or per ``measure.per`` when that is not 1),
limits are clipped to what is possible, the improvement direction comes from
``low_is_good``. Start-up months whose look-back reaches before the data start are
drawn faded and left out; accepted phases (recalculations) split the chart. Months
with no denominator (or suppressed counts in network views) are gaps, and a latest
month without a denominator reads "no patients".
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from qiloop.charts import chart_text_alternative, fit_to_column, spc_chart_spec
from qiloop.charts.palette import ASSURANCE_ICON_LABELS, CHART_NAMES, VARIATION_ICON_LABELS
from qiloop.measures.lookback import incomplete, lookback_months
from qiloop.measures.model import Measure, type_of
from qiloop.measures.results import ratio
from qiloop.spc import read_counts


def change_of(variation_icon: str | None) -> str:
    """What the latest point says: "improvement", "concern", "neither" (special cause, no direction) or ""."""
    icon = variation_icon or ""
    for word, change in (("improving", "improvement"), ("concerning", "concern"), ("neither", "neither")):
        if word in icon:
            return change
    return ""


def scale(measure: Measure) -> tuple[float, str]:
    """The multiplier from ratio to what is shown, and the unit's words."""
    if measure.per != 1:
        return float(measure.per), f"per {measure.per:,}"
    return 100.0, "%"


def safe_json(spec: dict[str, Any]) -> str:
    """JSON that can sit inside a <script type="application/json"> element (no "</script>" can close it)."""
    text = json.dumps(_rounded(spec), default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _rounded(value: Any) -> Any:
    """Floats to 4 significant digits (what a chart can show), which halves the size of the page's chart data."""
    if isinstance(value, float):
        return float(f"{value:.4g}") if value == value else None
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def kind_of(measure: Measure) -> str:
    """How the measure's counts behave: "proportion" (the numerator is a subset of the denominator's patients
    or appointments), "rate" (a count per patient) or "score" (a mean of per-patient values, e.g. continuity)."""
    numerator, denominator = type_of(measure.numerator), type_of(measure.denominator)
    if numerator == "float":
        return "score"
    if numerator == "int" and denominator == "bool":
        return "rate"
    return "rate" if measure.per != 1 else "proportion"


def counts_text(measure: Measure, numerator: Any, denominator: Any, value: str) -> str:
    """The latest month in counts: "4 of 36 (11.1%)", "no patients" (denominator 0), "counts suppressed"."""
    if denominator is None or pd.isna(denominator) or numerator is None or pd.isna(numerator):
        return "counts suppressed (small numbers)"
    if float(denominator) == 0:
        return "no patients" if type_of(measure.denominator) == "bool" else "none in the denominator"
    kind = kind_of(measure)
    if kind == "score":
        return f"{value} over {float(denominator):,.0f}"
    joint = "of" if kind == "proportion" else "in"
    return f"{_whole(numerator)} {joint} {_whole(denominator)} ({value})"


def _whole(number: Any) -> str:
    value = float(number)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"


def format_value(value: float | None, unit: str) -> str:
    if value is None or pd.isna(value):
        return "no data"
    text = f"{value:,.1f}"
    return f"{text}%" if unit == "%" else f"{text} {unit}"


@dataclass(frozen=True)
class Chart:
    """What a page needs to draw one SPC chart and say what it shows."""

    element_id: str
    spec_json: str
    text: str
    sentence: str
    kind = "spc"
    variation_icon: str | None
    assurance_icon: str | None
    latest_value: str
    latest_month: str
    changed: str  # "improvement", "concern", "neither" or "" (common cause, or too few points)
    latest_counts: str = ""  # "4 of 36 (11.1%)", "no patients"
    chart_kind: str = "xmr"  # the chart chosen from the data: run, xmr, p, pp, u, up
    chart_reason: str = ""  # why, in one sentence
    small_numbers: bool = False  # a run chart of small numbers: no signals, no icons
    nobody: bool = False  # no month has anyone in the denominator
    notes: tuple[str, ...] = ()  # sentences: the months left out, and why
    proposal_start: dt.date | None = None  # a recalculation (new phase) proposed from this month
    proposal_text: str = ""
    phases: tuple[dt.date, ...] = ()  # the accepted phases this chart was drawn with

    @property
    def chart_name(self) -> str:
        name = CHART_NAMES.get(self.chart_kind, self.chart_kind)
        return name[:1].upper() + name[1:]

    @property
    def variation_label(self) -> str:
        if self.nobody:
            return "No patients: nothing to chart"
        if self.small_numbers:
            return "Small numbers: no signals"
        if not self.variation_icon:
            return "Too few points for limits"
        return VARIATION_ICON_LABELS.get(self.variation_icon, self.variation_icon)

    @property
    def assurance_label(self) -> str:
        return ASSURANCE_ICON_LABELS.get(self.assurance_icon or "", "")

    @property
    def tag_class(self) -> str:
        """nhsuk-tag colour for the variation icon: blue improvement, orange concern, grey common cause."""
        if self.changed == "improvement":
            return "nhsuk-tag--blue"
        if self.changed == "concern":
            return "nhsuk-tag--orange"
        if self.changed == "neither":
            return "nhsuk-tag--purple"
        return "nhsuk-tag--grey"


def measure_chart(
    measure: Measure,
    series: pd.DataFrame,
    *,
    element_id: str,
    title: str | None = None,
    small: bool = False,
    phases: Sequence[dt.date] = (),
    data_start: dt.date | None = None,
) -> Chart | None:
    """An SPC chart of ``series`` (columns interval_start, numerator, denominator, and optionally interval_end
    and completeness), or None when it has fewer than two months with a denominator (unless no month has
    anyone: that chart says "no patients").

    ``phases`` – first days of accepted new phases; ``data_start`` – the first month of the data, from which
    the start-up months (look-back incomplete) are found.
    """
    series = series.sort_values("interval_start")
    if "ratio" not in series:
        series = series.assign(ratio=ratio(series["numerator"], series["denominator"]))
    multiplier, unit = scale(measure)
    x = list(pd.to_datetime(series["interval_start"]))
    if "interval_end" in series:
        references = [pd.Timestamp(d).date() for d in series["interval_end"]]
    else:
        references = [(pd.Timestamp(d) + pd.offsets.MonthEnd(0)).date() for d in x]
    startup = incomplete(measure, references, data_start) if data_start is not None else None
    reason = (
        f"the measure looks back {lookback_months(measure)} months and the data start in {data_start:%B %Y}"
        if data_start is not None
        else ""
    )
    reading = read_counts(
        x,
        series["numerator"].astype("float64").tolist(),
        series["denominator"].astype("float64").tolist(),
        kind=kind_of(measure),
        improvement="down" if measure.low_is_good else "up",
        multiply=multiplier,
        measure_name=measure.title[:1].lower() + measure.title[1:],
        splits=[pd.Timestamp(p) for p in phases],
        startup=startup,
        startup_reason=reason,
        completeness=series["completeness"].tolist() if "completeness" in series else None,
    )
    if reading is None:
        return None
    result = reading.result
    y_label = "%" if unit == "%" else unit.capitalize()
    width, height = (280, 140) if small else (640, 300)
    spec: dict[str, Any] = spc_chart_spec(
        result, title=title or measure.title, y_label=y_label, width=width, height=height
    )
    fit_to_column(spec, legend=False)  # the page's key and the tags say what colours mean
    summary = result.summary
    last = series.iloc[-1]
    denominator = last["denominator"]
    no_one = not pd.isna(denominator) and float(denominator) == 0
    latest_value = (
        counts_text(measure, last["numerator"], denominator, "")
        if no_one
        else format_value(None if pd.isna(last["ratio"]) else float(last["ratio"]) * multiplier, unit)
    )
    proposal = reading.proposal
    return Chart(
        element_id=element_id,
        spec_json=safe_json(spec),
        text=chart_text_alternative(result, measure=measure.title),
        sentence=reading.sentence,
        variation_icon=summary.variation_icon,
        assurance_icon=summary.assurance_icon,
        latest_value=latest_value,
        latest_month=pd.Timestamp(last["interval_start"]).strftime("%B %Y"),
        changed=change_of(summary.variation_icon),
        latest_counts=counts_text(measure, last["numerator"], denominator, latest_value),
        chart_kind=reading.chart,
        chart_reason=reading.choice.reason,
        small_numbers=reading.choice.small_numbers,
        nobody=reading.choice.points_used == 0,
        notes=tuple(reading.notes),
        proposal_start=pd.Timestamp(proposal.start).date() if proposal is not None else None,
        proposal_text=proposal.sentence if proposal is not None else "",
        phases=tuple(pd.Timestamp(s.start_x).date() for s in summary.phases[1:]),
    )
