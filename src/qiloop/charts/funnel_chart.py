"""Vega-Lite v5 specification for a funnel plot.

:func:`funnel_chart_spec` draws a :class:`~qiloop.spc.funnel.FunnelResult`:
each unit's value against its denominator, the target line and the limit
curves (95% dashed, 99.8% solid by default; overdispersion-adjusted when the
result applied an adjustment). Units inside the widest limits are grey,
units outside it purple — deliberately not red–amber–green, because a
funnel plot starts a conversation, not a league table.

Unit labels are shown only with ``show_labels=True`` (and then only beside
units outside the widest limits); otherwise every unit is anonymised as
"Unit 1", "Unit 2", … in input order, in the tooltips as well.
"""

from __future__ import annotations

import math
from typing import Any

from qiloop.charts.palette import COMMON_CAUSE, LIMIT_LINE, NEITHER, TARGET_LINE, VEGA_LITE_SCHEMA
from qiloop.charts.text import chart_text_alternative, format_number
from qiloop.spc.funnel_limits import level_key, level_label

INSIDE = "inside"
OUTSIDE = "outside"


def funnel_chart_spec(
    result: Any,
    *,
    title: str | None = None,
    y_label: str | None = None,
    x_label: str | None = None,
    show_labels: bool = False,
    width: int = 560,
    height: int = 360,
) -> dict[str, Any]:
    """A Vega-Lite v5 spec (a dict) drawing the funnel plot ``result``."""
    summary = result.summary
    widest = level_key(summary.limits[-1])
    points = []
    for i, row in enumerate(result.units.to_dict("records")):
        outside = bool(row[f"outside_{widest}"])
        points.append(
            {
                "label": str(row["label"]) if show_labels else f"Unit {i + 1}",
                "denominator": float(row["denominator"]),
                "value": _clean(row["value"]),
                "status": OUTSIDE if outside else INSIDE,
            }
        )
    x_title = x_label or ("Denominator" if summary.data_type == "proportion" else "Expected count")
    if summary.data_type == "rate":
        x_title = x_label or "Exposure"
    y_title = (
        y_label
        or {"proportion": "Proportion", "ratio": "Ratio (observed / expected)", "rate": "Rate"}[summary.data_type]
    )
    x_enc = {"field": "denominator", "type": "quantitative", "title": x_title}
    layers = _curve_layers(result, x_enc)
    layers.append(_target_layer(summary.target))
    layers.append(_points_layer(points, x_enc, y_title, level_label(summary.limits[-1])))
    if show_labels and any(p["status"] == OUTSIDE for p in points):
        layers.append(
            {
                "data": {"values": [p for p in points if p["status"] == OUTSIDE]},
                "mark": {"type": "text", "align": "left", "dx": 6, "dy": -4, "color": NEITHER},
                "encoding": {"x": x_enc, "y": {"field": "value", "type": "quantitative"}, "text": {"field": "label"}},
            }
        )
    subtitle = "Limits adjusted for overdispersion" if summary.overdispersion_applied else "Limits without adjustment"
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": chart_text_alternative(result, measure=title or y_label),
        "title": {"text": title or "Funnel plot", "subtitle": [f"{subtitle} · target {format_number(summary.target)}"]},
        "width": width,
        "height": height,
        "layer": layers,
        "config": {"view": {"stroke": None}, "axis": {"grid": False}},
    }


def _curve_layers(result: Any, x_enc: dict[str, Any]) -> list[dict[str, Any]]:
    curve = result.limits_curve()
    levels = list(result.summary.limits)
    rows = []
    for record in curve.to_dict("records"):
        for level in levels:
            key = level_key(level)
            for bound in ("lower", "upper"):
                value = _clean(record[f"{bound}_{key}"])
                if value is not None:
                    rows.append(
                        {
                            "denominator": float(record["denominator"]),
                            "limit": value,
                            "level": f"{level_label(level)} limits",
                            "bound": bound,
                        }
                    )
    labels = [f"{level_label(level)} limits" for level in levels]
    dashes = [[6, 4] if i < len(levels) - 1 else [1, 0] for i in range(len(levels))]
    return [
        {
            "data": {"values": rows},
            "mark": {"type": "line", "color": LIMIT_LINE, "strokeWidth": 1.3},
            "encoding": {
                "x": x_enc,
                "y": {"field": "limit", "type": "quantitative"},
                "strokeDash": {
                    "field": "level",
                    "type": "nominal",
                    "scale": {"domain": labels, "range": dashes},
                    "legend": {"title": None, "orient": "bottom"},
                },
                "detail": {"field": "bound", "type": "nominal"},
            },
        }
    ]


def _target_layer(target: float) -> dict[str, Any]:
    return {
        "data": {"values": [{"target": target}]},
        "mark": {"type": "rule", "color": TARGET_LINE, "strokeWidth": 1.5},
        "encoding": {
            "y": {"field": "target", "type": "quantitative"},
            "tooltip": [{"field": "target", "title": "Target", "type": "quantitative"}],
        },
    }


def _points_layer(points: list[dict[str, Any]], x_enc: dict[str, Any], y_title: str, widest: str) -> dict[str, Any]:
    return {
        "data": {"values": points},
        "mark": {"type": "point", "filled": True, "size": 60, "opacity": 0.9},
        "encoding": {
            "x": x_enc,
            "y": {"field": "value", "type": "quantitative", "title": y_title, "scale": {"zero": False}},
            "color": {
                "field": "status",
                "type": "nominal",
                "scale": {"domain": [INSIDE, OUTSIDE], "range": [COMMON_CAUSE, NEITHER]},
                "legend": {
                    "title": None,
                    "orient": "bottom",
                    "labelExpr": f"datum.value == '{INSIDE}' ? 'Within the {widest} limits' : 'Outside the {widest} limits'",
                },
            },
            "tooltip": [
                {"field": "label", "title": "Unit"},
                {"field": "denominator", "type": "quantitative", "title": x_enc["title"]},
                {"field": "value", "type": "quantitative", "title": y_title, "format": ".3~g"},
                {"field": "status", "title": "Position"},
            ],
        },
    }


def _clean(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number
