"""Text alternatives: every chart says in words what it shows.

:func:`chart_text_alternative` returns a paragraph for an SPC result or a
funnel result: the chart type, what is plotted and over what range, the
centre line and limits, and the result's own plain-English sentence. Chart
specifications carry it as ``spec["description"]`` and exported SVGs embed
it as ``<title>``/``<desc>``, so screen readers and text-only readers get
the same message as the picture.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from qiloop.charts.palette import ASSURANCE_ICON_LABELS, CHART_NAMES, VARIATION_ICON_LABELS


def format_number(value: Any) -> str:
    """A short, readable number: 1,234 / 12.3 / 0.123 (no exponents for everyday values)."""
    if value is None:
        return "none"
    number = float(value)
    if math.isnan(number):
        return "none"
    magnitude = abs(number)
    if number.is_integer() and magnitude < 1e15:
        return f"{int(number):,}"
    if magnitude >= 100:
        return f"{number:,.0f}"
    if magnitude >= 10:
        return f"{number:.1f}"
    if magnitude >= 0.01 or magnitude == 0:
        return f"{number:.3g}"
    return f"{number:.2g}"


def format_x(value: Any) -> str:
    """An x value for prose: dates as ISO dates, anything else as text."""
    if hasattr(value, "date") and callable(value.date) and hasattr(value, "hour"):
        return str(value.date().isoformat()) if (value.hour, value.minute, value.second) == (0, 0, 0) else str(value)
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def chart_text_alternative(
    result: Any, *, measure: str | None = None, markers: Sequence[Mapping[str, Any]] = ()
) -> str:
    """A full-sentence description of an SPC or funnel result for people who cannot see the chart.

    ``markers`` (``{"x", "label"}`` dicts, e.g. PDSA cycles) are listed after the SPC description.
    """
    if hasattr(result, "units") and hasattr(result.summary, "n_units"):
        return _funnel_text(result, measure)
    text = _spc_text(result, measure)
    if markers:
        text += " " + markers_text(markers)
    return text


def markers_text(markers: Sequence[Mapping[str, Any]]) -> str:
    """'Marked on the chart: PDSA 1: reminders (2026-03-03); PDSA 2 (2026-05-01).'"""
    items = "; ".join(f"{marker['label']} ({format_x(marker['x'])})" for marker in markers)
    count = "1 marker" if len(markers) == 1 else f"{len(markers)} markers"
    return f"Marked on the chart ({count}): {items}."


def _spc_text(result: Any, measure: str | None) -> str:
    summary = result.summary
    points = result.points
    chart = CHART_NAMES.get(summary.chart, f"{summary.chart} chart")
    what = f" of {measure}" if measure else ""
    span = ""
    if len(points):
        span = f", from {format_x(points['x'].iloc[0])} to {format_x(points['x'].iloc[-1])}"
    parts = [f"{_capital(chart)}{what}: {summary.n} points{span}."]
    parts.append(_phase_text(summary, points))
    parts.append(summary.sentence.strip())
    icons = []
    if summary.variation_icon:
        icons.append(
            f"variation icon: {_lower(VARIATION_ICON_LABELS.get(summary.variation_icon, summary.variation_icon))}"
        )
    if summary.assurance_icon:
        icons.append(
            f"assurance icon: {_lower(ASSURANCE_ICON_LABELS.get(summary.assurance_icon, summary.assurance_icon))}"
        )
    if summary.target is not None:
        icons.append(f"target {format_number(summary.target)}")
    if icons:
        parts.append(_capital("; ".join(icons)) + ".")
    return " ".join(p for p in parts if p)


def _phase_text(summary: Any, points: Any) -> str:
    phases = list(summary.phases)
    if not phases:
        return ""
    texts = []
    for phase in phases:
        line = f"centre line {format_number(phase.cl)}"
        if phase.lcl is not None and phase.ucl is not None and not _isnan(phase.lcl) and not _isnan(phase.ucl):
            varying = _limits_vary(points, phase.phase)
            line += (
                f", control limits {'from ' if varying else ''}{format_number(phase.lcl)} to {format_number(phase.ucl)}"
            )
            if varying:
                line += " at the first point (they vary with the denominator)"
        else:
            line += ", no control limits"
        texts.append(line)
    if len(texts) == 1:
        return _capital(texts[0]) + "."
    joined = "; ".join(
        f"phase {i + 1} (from {format_x(p.start_x)}): {t}" for i, (p, t) in enumerate(zip(phases, texts, strict=True))
    )
    return f"In {len(texts)} phases: {joined}."


def _limits_vary(points: Any, phase: int) -> bool:
    ucl = points.loc[points["phase"] == phase, "ucl"].dropna()
    return bool(len(ucl) and (ucl.max() - ucl.min()) > 1e-12 * max(1.0, abs(float(ucl.max()))))


def _funnel_text(result: Any, measure: str | None) -> str:
    summary = result.summary
    kind = {"proportion": "proportion", "ratio": "standardised ratio", "rate": "rate"}[summary.data_type]
    what = measure or kind
    levels = " and ".join(f"{level * 100:.10g}%" for level in summary.limits)
    units = summary.unit_name
    parts = [
        f"Funnel plot of {what} for {summary.n_units} {units}, each plotted against its denominator, "
        f"with {levels} control limits around the {summary.centre_label} "
        f"of {format_number(summary.target)}.",
        summary.sentence.strip(),
    ]
    return " ".join(parts)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def _isnan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)
