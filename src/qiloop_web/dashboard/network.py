"""Network (PCN and ICB) views and a practice's place among its peers: built only from disclosure-controlled results.

Nothing patient-level and no raw small count leaves this module: every row
is passed through :func:`qiloop.measures.disclosure.apply_disclosure_control`
(counts of 1–7 suppressed, others rounded to 5, ratios recomputed) before it
is charted. The funnel plot compares practices on distinct patients (the
latest month's snapshot) or distinct appointments (the latest 12 months
summed), as :func:`qiloop.spc.funnel_basis.funnel_basis` reads from the
measure model, around the network average, with limits widened for
overdispersion when the χ² test finds it (docs/funnel.md).

A practice's own measure page shows the same funnel (:func:`practice_position`)
with its own point highlighted as "Your practice" and every other practice
anonymous: no names, no codes, no labels.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from qiloop.charts import fit_to_column, funnel_chart_spec
from qiloop.charts.text import format_number
from qiloop.measures.disclosure import NETWORK, network_view
from qiloop.measures.model import Measure
from qiloop.spc.funnel import FunnelResult
from qiloop.spc.funnel_basis import (
    MIN_PUBLISHED_SHARE,
    PublishedCounts,
    counts_published_population,
    network_funnel,
    published_counts,
)
from qiloop.spc.funnel_limits import level_key, level_label
from qiloop_web.dashboard.series import Chart, measure_chart, safe_json, scale

__all__ = ["published_counts", "published_monthly"]


def published_monthly(results: pd.DataFrame, measure_id: str, practice_ids: list[str]) -> pd.DataFrame:
    """The practices' monthly rows plus a network total row per month, all under disclosure control."""
    rows = results[(results["measure"] == measure_id) & results["practice_id"].isin(practice_ids)]
    return network_view(rows[["measure", "interval_start", "practice_id", "numerator", "denominator", "ratio"]])


@dataclass(frozen=True)
class Funnel:
    """A drawn funnel plot, or (``drawn`` False) the reason there is none."""

    element_id: str
    spec_json: str
    text: str
    sentence: str
    practices_shown: int
    practices_hidden: int
    axis: str  # what the x-axis counts and when: "Patients in the denominator, March 2026"
    basis: str  # why that count (one sentence)
    drawn: bool = True
    reason: str = ""
    kind = "funnel"


def not_drawn(counts: PublishedCounts, element_id: str) -> Funnel:
    """No funnel, with the reason in words."""
    shown, total = len(counts.usable), len(counts.table)
    if total == 0:
        reason = "There are no results for these practices yet."
    elif shown < 2 or shown < MIN_PUBLISHED_SHARE * total:
        reason = (
            f"Not drawn: only {shown} of {total} practices {'has' if shown == 1 else 'have'} counts large enough "
            f"to publish for "
            f"{counts.axis_title.split(', ', 1)[-1]} (counts from 1 to 7 are suppressed), too few for a fair "
            "comparison."
        )
    elif suppressed := int(counts.table[["numerator", "denominator"]].isna().any(axis=1).sum()):
        reason = (
            f"Not drawn: none of the {shown} practices whose counts can be published has any events (or every "
            f"patient counts there), and {suppressed} {'has' if suppressed == 1 else 'have'} counts from 1 to 7, "
            "which are suppressed: there is nothing fair to compare."
        )
    else:
        reason = "Not drawn: no practice has any events (or every patient counts), so there is nothing to compare."
    return Funnel(element_id, "", "", "", shown, total - shown, counts.axis_title, counts.basis.why, False, reason)


def _names_practices(counts: PublishedCounts, element_id: str) -> Funnel:
    """No network funnel where the denominator is the published list (by age and sex): it would name practices."""
    shown, total = len(counts.usable), len(counts.table)
    reason = (
        "Not drawn: this measure's denominator is each practice's registered list (by age and sex), which NHS "
        "England publishes every month, so a funnel would show which practice each point is. The network's "
        "total and each practice's own chart over time are below; each practice sees its place on its own "
        "measure page."
    )
    return Funnel(element_id, "", "", "", shown, total - shown, counts.axis_title, counts.basis.why, False, reason)


def funnel_chart(
    measure: Measure,
    counts: PublishedCounts,
    labels: dict[str, str],
    *,
    element_id: str,
    small: bool = False,
    highlight: str | None = None,
) -> Funnel:
    """The network funnel of the practices whose published counts are usable (see :func:`not_drawn` otherwise).

    With ``highlight`` (a practice code) that practice is "Your practice" and every other one is anonymous.
    """
    if highlight is None and counts_published_population(measure):
        return _names_practices(counts, element_id)
    usable = counts.usable
    names = [p if highlight else labels.get(p, "Practice") for p in usable["practice_id"]]
    multiplier, unit = scale(measure)
    result = network_funnel(counts, labels=names, multiplier=multiplier)
    if result is None:
        return not_drawn(counts, element_id)
    y_label = "%" if unit == "%" else unit.capitalize()
    width, height = (280, 200) if small else (560, 360)
    spec = funnel_chart_spec(
        result,
        title=measure.title,
        y_label=y_label,
        x_label=counts.axis_title,
        show_labels=highlight is None,
        highlight=highlight,
        width=width,
        height=height,
    )
    fit_to_column(spec, legend=False)
    return Funnel(
        element_id=element_id,
        spec_json=safe_json(spec),
        text=spec["description"],
        sentence=result.summary.sentence,
        practices_shown=len(usable),
        practices_hidden=counts.hidden,
        axis=counts.axis_title,
        basis=counts.basis.why,
    )


@dataclass(frozen=True)
class Position:
    """A practice among its peers: the funnel with its own point highlighted, and one sentence reading it."""

    funnel: Funnel
    reading: str
    peers: int  # practices in the comparison, the practice included


def practice_position(
    measure: Measure, results: pd.DataFrame, practice_id: str, peer_ids: list[str], *, element_id: str
) -> Position:
    """Where ``practice_id`` stands on its network's funnel, from the same published counts as the network view."""
    counts = published_counts(results, measure, peer_ids)
    chart = funnel_chart(measure, counts, {}, element_id=element_id, highlight=practice_id)
    if not chart.drawn:
        return Position(chart, chart.reason, len(peer_ids))
    own = counts.table[counts.table["practice_id"] == practice_id]
    period = counts.axis_title.split(", ", 1)[-1]
    if own.empty:
        return Position(chart, f"Your practice has no results for {period}, so it is not on the funnel.", len(peer_ids))
    if practice_id not in set(counts.usable["practice_id"]):
        reading = (
            f"Your practice is not on the funnel: its count for {period} is between 1 and 7 (or it has no one in the "
            "denominator), and such counts are not published outside the practice."
        )
        return Position(chart, reading, len(peer_ids))
    multiplier, unit = scale(measure)
    result = network_funnel(counts, labels=list(counts.usable["practice_id"]), multiplier=multiplier)
    assert result is not None  # the chart was drawn from the same counts
    return Position(chart, _reading(result, practice_id, unit, period), len(peer_ids))


def _reading(result: FunnelResult, practice_id: str, unit: str, period: str) -> str:
    row = result.units[result.units["label"] == practice_id].iloc[0]
    widest = result.summary.limits[-1]
    key = level_key(widest)
    value = _with_unit(float(row["value"]), unit)
    average = _with_unit(result.summary.target, unit)
    counts = f"{format_number(row['numerator'])} of {format_number(row['denominator'])}, as published"
    if row["signal"] == "high":
        where = f"above the {level_label(widest)} limits"
        what = "higher than chance alone would explain: worth a conversation about why"
    elif row["signal"] == "low":
        where = f"below the {level_label(widest)} limits"
        what = "lower than chance alone would explain: worth a conversation about why"
    else:
        where = f"within the {level_label(widest)} limits"
        what = "its difference from the network average is in line with chance"
    limits = f"{_with_unit(float(row[f'lower_{key}']), unit)} to {_with_unit(float(row[f'upper_{key}']), unit)}"
    return (
        f"In {period} your practice, at {value} ({counts}), is {where} for a practice of its size ({limits}) "
        f"around the network average of {average}: {what}."
    )


def _with_unit(value: float, unit: str) -> str:
    return f"{value:,.1f}%" if unit == "%" else f"{value:,.1f} {unit}"


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
