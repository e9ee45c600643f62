"""Vega-Lite v5 specification for a funnel plot.

:func:`funnel_chart_spec` draws a :class:`~qiloop.spc.funnel.FunnelResult`:
each unit's value against its denominator, the centre line (named by the
result: "network average", "pooled average" or "target") and the limit
curves (95% dashed, 99.8% solid by default; overdispersion-adjusted when the
result applied an adjustment, which the x-axis title's second line names).
Units inside the widest limits are grey, units outside it purple —
deliberately not red–amber–green, because a funnel plot starts a
conversation, not a league table.

Unit labels are shown only with ``show_labels=True`` (and then only beside
units outside the widest limits); otherwise every unit is anonymised as
"Unit 1", "Unit 2", … in input order, in the tooltips as well. With
``highlight=LABEL`` that one unit is drawn in NHS blue and labelled
``highlight_text`` ("Your practice"), and every other unit is anonymous
("Another practice", no label, no number).

Labels never overlap: the axes have fixed domains and the plot a fixed
height, so each label gets its own horizontal band of ``LABEL_LINE`` pixels
(pushed down, or up at the bottom edge, from its point, with a leader line
when moved). Bands that do not overlap cannot collide at any chart width.
Values and limits stay within what is possible (0–100% for proportions).
"""

from __future__ import annotations

import math
from typing import Any

from qiloop.charts.layout import tick_label_expr
from qiloop.charts.palette import (
    ANNOTATION,
    CENTRE_LINE,
    COMMON_CAUSE,
    LIMIT_LINE,
    NEITHER,
    TARGET_LINE,
    VEGA_LITE_SCHEMA,
)
from qiloop.charts.text import chart_text_alternative, format_number
from qiloop.spc.funnel_limits import level_key, level_label

INSIDE = "inside"
OUTSIDE = "outside"
HIGHLIGHT = "highlight"
LABEL_FONT_SIZE = 11
LABEL_LINE = 14  # pixels per label band: more than the font's height, so bands never touch
ANONYMOUS = "Another practice"


def funnel_chart_spec(
    result: Any,
    *,
    title: str | None = None,
    y_label: str | None = None,
    x_label: str | None = None,
    show_labels: bool = False,
    highlight: str | None = None,
    highlight_text: str = "Your practice",
    width: int = 560,
    height: int = 360,
) -> dict[str, Any]:
    """A Vega-Lite spec (a dict) drawing the funnel plot ``result``."""
    summary = result.summary
    widest = level_key(summary.limits[-1])
    points = _points(result, widest, show_labels, highlight, highlight_text)
    curve = _curve_rows(result)
    spread = [p["denominator"] for p in points] + [r["denominator"] for r in curve]
    x_min, x_max = min(spread), max(spread)
    x_min = 0.0 if x_min < 0.3 * x_max else x_min  # start at 0 unless that leaves most of the plot empty
    y_domain = _y_domain(summary, points, curve)
    x_title = x_label or {"proportion": "Denominator", "ratio": "Expected count", "rate": "Exposure"}[summary.data_type]
    y_title = (
        y_label
        or {"proportion": "Proportion", "ratio": "Ratio (observed / expected)", "rate": "Rate"}[summary.data_type]
    )
    adjustment = adjustment_caption(summary)
    x_enc = {
        "field": "denominator",
        "type": "quantitative",
        "title": [x_title, adjustment],
        "scale": {"domain": [x_min, x_max], "nice": False, "zero": False},
    }
    y_scale = {"domain": list(y_domain), "nice": False, "zero": False}
    y_axis = {"labelExpr": tick_label_expr(y_domain[1] - y_domain[0], "percent")} if y_title == "%" else {}
    legend_columns = 2  # two entries a row: fits a 320 px screen; the legends stack (config below)
    centre = summary.centre_label
    layers = [_curve_layer(curve, result, x_enc, y_scale, legend_columns)]
    layers.append(_centre_layer(summary.target, centre))
    layers.append(
        _points_layer(points, x_enc, y_title, y_scale, level_label(summary.limits[-1]), y_axis, legend_columns)
    )
    labelled = [p for p in points if p.get("text")]
    if labelled:
        layers.extend(_label_layers(labelled, x_enc, (x_min, x_max), y_domain, height, width))
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": chart_text_alternative(result, measure=title or y_label),
        "title": {
            "text": title or "Funnel plot",
            "subtitle": [f"{adjustment} · {centre} {format_number(summary.target)}"],
        },
        "width": width,
        "height": height,
        "layer": layers,
        "config": {
            "view": {"stroke": None},
            "axis": {"grid": False},
            "legend": {"layout": {"bottom": {"direction": "vertical", "anchor": "start"}}},
        },
    }


def adjustment_caption(summary: Any) -> str:
    """Which limits are drawn, in a few words for the chart: the adjustment named, or none."""
    if summary.overdispersion_applied:
        if summary.overdispersion == "additive":
            return f"Limits widened for overdispersion: additive random effects (τ² = {summary.tau2:.3g})"
        return f"Limits widened for overdispersion: multiplicative (φ = {summary.phi:.2f})"
    if summary.overdispersion != "none" and not math.isnan(summary.phi):
        return (
            f"Limits not widened: no {'significant ' if summary.phi > 1 else ''}overdispersion (φ = {summary.phi:.2f})"
        )
    return "Limits without overdispersion adjustment"


def _points(
    result: Any, widest: str, show_labels: bool, highlight: str | None, highlight_text: str
) -> list[dict[str, Any]]:
    points = []
    for i, row in enumerate(result.units.to_dict("records")):
        outside = bool(row[f"outside_{widest}"])
        own = highlight is not None and str(row["label"]) == highlight
        if highlight is not None:
            label = highlight_text if own else ANONYMOUS
        else:
            label = str(row["label"]) if show_labels else f"Unit {i + 1}"
        point: dict[str, Any] = {
            "label": label,
            "denominator": float(row["denominator"]),
            "value": _clean(row["value"]),
            "status": HIGHLIGHT if own else (OUTSIDE if outside else INSIDE),
            "position": f"Outside the {level_label(result.summary.limits[-1])} limits"
            if outside
            else "Within the limits",
        }
        if own or (highlight is None and show_labels and outside):
            point["text"] = label
        points.append(point)
    return points


def _curve_rows(result: Any) -> list[dict[str, Any]]:
    curve = result.limits_curve()
    rows = []
    for record in curve.to_dict("records"):
        for level in result.summary.limits:
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
    return rows


def _y_domain(summary: Any, points: list[dict[str, Any]], curve: list[dict[str, Any]]) -> tuple[float, float]:
    """Everything drawn fits, and nothing impossible shows: proportions within 0–100%, the rest at or above 0."""
    values = [p["value"] for p in points if p["value"] is not None] + [r["limit"] for r in curve] + [summary.target]
    low, high = min(values), max(values)
    pad = (high - low) * 0.05 or abs(high) * 0.05 or 1.0
    low, high = low - pad, high + pad
    floor = 0.0
    ceiling = summary.multiplier if summary.data_type == "proportion" else math.inf
    return max(low, floor), min(high, ceiling)


def _legend(columns: int | None, **extra: Any) -> dict[str, Any]:
    legend: dict[str, Any] = {"title": None, "orient": "bottom", **extra}
    if columns:
        legend["columns"] = columns
    return legend


def _curve_layer(
    rows: list[dict[str, Any]], result: Any, x_enc: dict[str, Any], y_scale: dict[str, Any], columns: int | None
) -> dict[str, Any]:
    levels = list(result.summary.limits)
    labels = [f"{level_label(level)} limits" for level in levels]
    dashes = [[6, 4] if i < len(levels) - 1 else [1, 0] for i in range(len(levels))]
    return {
        "data": {"values": rows},
        "mark": {"type": "line", "color": LIMIT_LINE, "strokeWidth": 1.3, "clip": True},
        "encoding": {
            "x": x_enc,
            "y": {"field": "limit", "type": "quantitative", "scale": y_scale},
            "strokeDash": {
                "field": "level",
                "type": "nominal",
                "scale": {"domain": labels, "range": dashes},
                "legend": _legend(columns),
            },
            "detail": {"field": "bound", "type": "nominal"},
        },
    }


def _centre_layer(value: float, name: str) -> dict[str, Any]:
    return {
        "data": {"values": [{"centre": value}]},
        "mark": {"type": "rule", "color": TARGET_LINE if name == "target" else CENTRE_LINE, "strokeWidth": 1.5},
        "encoding": {
            "y": {"field": "centre", "type": "quantitative"},
            "tooltip": [{"field": "centre", "title": name[:1].upper() + name[1:], "type": "quantitative"}],
        },
    }


def _points_layer(
    points: list[dict[str, Any]],
    x_enc: dict[str, Any],
    y_title: str,
    y_scale: dict[str, Any],
    widest: str,
    y_axis: dict[str, Any],
    columns: int | None,
) -> dict[str, Any]:
    statuses = [INSIDE, OUTSIDE, HIGHLIGHT]
    names = {INSIDE: f"Within the {widest} limits", OUTSIDE: f"Outside the {widest} limits", HIGHLIGHT: "Your practice"}
    present = [s for s in statuses if any(p["status"] == s for p in points)] or [INSIDE]
    colours = {INSIDE: COMMON_CAUSE, OUTSIDE: NEITHER, HIGHLIGHT: ANNOTATION}
    label_expr = " : ".join(f"datum.value == '{s}' ? '{names[s]}'" for s in present[:-1])
    label_expr = f"{label_expr} : '{names[present[-1]]}'" if label_expr else f"'{names[present[-1]]}'"
    return {
        "data": {"values": [{k: v for k, v in p.items() if k != "text"} for p in points]},
        "mark": {"type": "point", "filled": True, "opacity": 0.9},
        "encoding": {
            "x": x_enc,
            "y": {"field": "value", "type": "quantitative", "title": y_title, "scale": y_scale, "axis": y_axis},
            "color": {
                "field": "status",
                "type": "nominal",
                "scale": {"domain": present, "range": [colours[s] for s in present]},
                "legend": _legend(columns, labelExpr=label_expr),
            },
            "size": {
                "condition": {"test": f"datum.status == '{HIGHLIGHT}'", "value": 140},
                "value": 60,
            },
            "order": {"condition": {"test": f"datum.status == '{HIGHLIGHT}'", "value": 1}, "value": 0},
            "tooltip": [
                {"field": "label", "title": "Practice" if HIGHLIGHT in present else "Unit"},
                {"field": "denominator", "type": "quantitative", "title": x_enc["title"][0], "format": ",.0f"},
                {"field": "value", "type": "quantitative", "title": y_title, "format": ".3~g"},
                {"field": "position", "title": "Position"},
            ],
        },
    }


def label_bands(pixel_ys: list[float], height: float, line: float = LABEL_LINE) -> list[float]:
    """Label centres (pixels from the top) for points at ``pixel_ys``: each in its own band of ``line`` pixels.

    In the points' order from the top, a label sits at its point unless the label above it is within ``line``,
    when it is pushed down; labels pushed past the bottom are pushed back up. Input order is kept. The caller
    keeps at most ``height // line`` labels.
    """
    order = sorted(range(len(pixel_ys)), key=lambda i: pixel_ys[i])
    placed: list[float] = []
    for i in order:
        y = min(max(pixel_ys[i], line / 2), height - line / 2)
        if placed and y < placed[-1] + line:
            y = placed[-1] + line
        placed.append(y)
    for k in range(len(placed) - 1, -1, -1):  # from the bottom up: nothing below the plot
        limit = height - line / 2 if k == len(placed) - 1 else placed[k + 1] - line
        placed[k] = min(placed[k], limit)
    out = [0.0] * len(pixel_ys)
    for k, i in enumerate(order):
        out[i] = placed[k]
    return out


def _label_layers(
    labelled: list[dict[str, Any]],
    x_enc: dict[str, Any],
    x_domain: tuple[float, float],
    y_domain: tuple[float, float],
    height: int,
    width: int,
) -> list[dict[str, Any]]:
    low, high = y_domain
    span = (high - low) or 1.0
    capacity = max(1, int(height // LABEL_LINE))
    # The highlighted unit is always labelled; beyond the plot's capacity the rest are left to their tooltips.
    labelled = sorted(labelled, key=lambda p: p["status"] != HIGHLIGHT)[:capacity]
    pixel = [height * (high - min(max(p["value"], low), high)) / span for p in labelled]
    bands = label_bands(pixel, height)
    rows = []
    for point, py, band in zip(labelled, pixel, bands, strict=True):
        at = (point["denominator"] - x_domain[0]) / ((x_domain[1] - x_domain[0]) or 1.0)
        text_px = 0.58 * LABEL_FONT_SIZE * len(str(point["text"])) + 9
        right = at > 0.6 or at * width + text_px > width  # a label that would run off the plot turns leftwards
        rows.append(
            {
                "denominator": point["denominator"],
                "value": point["value"],
                "label_y": high - band * span / height,
                "text": point["text"],
                "side": "right" if right else "left",
                "moved": abs(band - py) > 2,
            }
        )
    y_label = {"field": "label_y", "type": "quantitative"}
    text_layers = []
    for side in ("left", "right"):
        values = [r for r in rows if r["side"] == side]
        if not values:
            continue
        mark = {
            "type": "text",
            "align": side,
            "baseline": "middle",
            "dx": 9 if side == "left" else -9,
            "fontSize": LABEL_FONT_SIZE,
            "aria": False,
        }
        encoding = {"x": x_enc, "y": y_label, "text": {"field": "text"}}
        halo = {**mark, "stroke": "white", "strokeWidth": 3, "strokeOpacity": 0.9}  # readable over points and lines
        text_layers.append({"data": {"values": values}, "mark": halo, "encoding": encoding})
        text_layers.append({"data": {"values": values}, "mark": {**mark, "color": CENTRE_LINE}, "encoding": encoding})
    leaders = [r for r in rows if r["moved"]]
    if leaders:
        text_layers.insert(
            0,
            {
                "data": {"values": leaders},
                "mark": {"type": "rule", "color": LIMIT_LINE, "strokeWidth": 0.8, "aria": False},
                "encoding": {"x": x_enc, "y": {"field": "value", "type": "quantitative"}, "y2": {"field": "label_y"}},
            },
        )
    return text_layers


def _clean(value: Any) -> float | None:
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number
