"""Vega-Lite specification for an audit criterion: each round's met share with its 95% interval, and the standard.

:func:`audit_rounds_spec` draws one point per round (x: "Round 1, 31 Mar 2026"), a vertical bar for its Wilson
interval, and the standard as a horizontal line in the target colour with its label. The y axis is 0–100% (a
criterion's share is a percentage of patients); a point meeting the standard is drawn in the improvement blue, one
below it in the concern orange, so the colour says what the words beside it say.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from qiloop.charts.palette import ANNOTATION, CONCERN, IMPROVEMENT, TARGET_LINE, VEGA_LITE_SCHEMA


def round_label(number: int, day: Any) -> str:
    return f"Round {number}, {day:%-d %b %Y}"


def audit_rounds_spec(
    rounds: Sequence[Any],
    *,
    standard_percent: float | None,
    description: str,
    width: int | str = "container",
    height: int = 240,
) -> dict[str, Any]:
    """The chart of one criterion. ``rounds``: objects with ``round``, ``reference_date``, ``share``, ``lower``,
    ``upper``, ``met``, ``eligible`` and ``standard_met`` (:class:`qiloop.audit.reading.RoundReading`)."""
    rows = [
        {
            "round": round_label(r.round, r.reference_date),
            "percent": round(r.share * 100, 1),
            "lower": round(r.lower * 100, 1),
            "upper": round(r.upper * 100, 1),
            "met": r.met,
            "eligible": r.eligible,
            "against_standard": "meets the standard" if r.standard_met else "below the standard",
        }
        for r in rounds
    ]
    order = [row["round"] for row in rows]
    x = {
        "field": "round",
        "type": "ordinal",
        "sort": order,
        "title": None,
        "axis": {"labelAngle": 0, "labelLimit": 140},
    }
    y_scale = {"domain": [0, 100]}
    layers: list[dict[str, Any]] = [
        {
            "mark": {"type": "rule", "strokeWidth": 2, "color": ANNOTATION},
            "encoding": {"x": x, "y": {"field": "lower", "type": "quantitative", "scale": y_scale}, "y2": {"field": "upper"}},
        },
        {
            "mark": {"type": "point", "filled": True, "size": 110},
            "encoding": {
                "x": x,
                "y": {"field": "percent", "type": "quantitative", "scale": y_scale,
                      "title": "Patients meeting the criterion (%)"},
                "color": {
                    "field": "against_standard",
                    "type": "nominal",
                    "scale": {"domain": ["meets the standard", "below the standard"], "range": [IMPROVEMENT, CONCERN]},
                    "legend": {"orient": "bottom", "title": None},
                },
                "tooltip": [
                    {"field": "round", "title": "Round"},
                    {"field": "percent", "title": "Met (%)"},
                    {"field": "met", "title": "Met"},
                    {"field": "eligible", "title": "Eligible"},
                    {"field": "lower", "title": "95% interval from (%)"},
                    {"field": "upper", "title": "95% interval to (%)"},
                ],
            },
        },
    ]  # fmt: skip
    if standard_percent is not None:
        standard = {"standard": float(standard_percent), "label": f"Standard {standard_percent:g}%"}
        layers.append({
            "data": {"values": [standard]},
            "mark": {"type": "rule", "color": TARGET_LINE, "strokeDash": [6, 4], "strokeWidth": 2},
            "encoding": {"y": {"field": "standard", "type": "quantitative", "scale": y_scale}},
        })  # fmt: skip
        layers.append({
            "data": {"values": [standard]},
            "mark": {"type": "text", "align": "left", "dx": 4, "dy": -6, "x": 0, "color": TARGET_LINE, "fontSize": 11},
            "encoding": {"y": {"field": "standard", "type": "quantitative", "scale": y_scale}, "text": {"field": "label"}},
        })  # fmt: skip
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": description,
        "width": width,
        "height": height,
        "data": {"values": rows},
        "layer": layers,
        "config": {"view": {"stroke": None}},
    }
