"""Vega-Lite specification for an SPC chart (run, XmR, P, U, … charts).

:func:`spc_chart_spec` draws an :class:`~qiloop.spc.result.SpcResult`:

* points coloured by their Making Data Count variation class, joined by a
  grey line; excluded points are faded;
* centre line (solid), process limits (dashed) and 2σ lines (dotted, when
  the chart has them) — each drawn per phase, so a split or a frozen
  baseline shows as separate line segments, labelled "Phase 1", "Phase 2"…;
* an optional target line;
* annotations (PDSA cycles, changes) as labelled vertical rules;
* markers (``markers=``): PDSA cycles (dashed) and adopted changes (solid) as
  labelled vertical rules, listed in the text alternative too;
* the variation and assurance icons as text badges in the subtitle;
* ``description``: a full text alternative (:func:`chart_text_alternative`);
* axes that read well (:mod:`qiloop.charts.layout`): the year on every date label, a y axis that stays
  within what is possible (0–100% for percentages, ≥ 0 for counts and rates) with limits clipped to it,
  tick labels with "%" and only the decimals the data need, a title, subtitle and legend that fit the
  width, and marker labels kept inside the plot.

The spec is a plain dict; render it in a browser with vega-embed or export
it with :func:`qiloop.charts.to_svg` / :func:`qiloop.charts.to_png`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd

from qiloop.charts import layout
from qiloop.charts.palette import (
    ANNOTATION,
    ASSURANCE_ICON_LABELS,
    CENTRE_LINE,
    CHART_NAMES,
    LIMIT_LINE,
    LINE,
    TARGET_LINE,
    VARIATION_COLOURS,
    VARIATION_ICON_LABELS,
    VARIATION_LABELS,
    VEGA_LITE_SCHEMA,
)
from qiloop.charts.text import chart_text_alternative, format_number

LINE_SERIES: tuple[tuple[str, str, list[int] | None, float], ...] = (
    # field, tooltip title, dash pattern, opacity
    ("ucl", "Upper limit", [6, 4], 1.0),
    ("lcl", "Lower limit", [6, 4], 1.0),
    ("ucl_2s", "Upper 2σ", [2, 3], 0.7),
    ("lcl_2s", "Lower 2σ", [2, 3], 0.7),
    ("cl", "Centre line", None, 1.0),
)


def spc_chart_spec(
    result: Any,
    *,
    title: str | None = None,
    y_label: str | None = None,
    x_label: str | None = None,
    annotations: Sequence[dict[str, Any]] = (),
    markers: Sequence[dict[str, Any]] | None = None,
    width: int = 640,
    height: int = 320,
    y_kind: str | None = None,
    legend: bool = True,
) -> dict[str, Any]:
    """A Vega-Lite spec (a dict) drawing ``result``; see the module docstring for what it shows.

    ``annotations`` is a list of ``{"x": <a date or label on the x axis>, "label": "PDSA 1: ..."}``.
    ``markers`` is a list of ``{"x": ..., "label": "PDSA 1: SMS reminders", "kind": "pdsa"}``
    (``kind`` is one of :data:`MARKER_KINDS`, default ``pdsa``); each is a labelled vertical
    rule, and the text alternative lists them.
    ``y_kind`` says which values are possible (:data:`qiloop.charts.layout.Y_KINDS`: ``percent``,
    ``proportion``, ``count``, ``rate`` or ``value``); by default it is read from ``y_label`` ("%" →
    percent, "per …" → rate) and the chart type (C, U, G, T, MR and S charts → never below 0).
    ``legend=False`` leaves out the colour legend (a page whose key says what the colours mean).
    """
    checked_markers = check_markers(markers or ())
    points = result.points
    summary = result.summary
    kind = y_kind or infer_y_kind(summary.chart, y_label, points["y"])
    layout.bounds(kind)  # a ValueError naming the kinds when y_kind is not one
    x_type = _x_type(points["x"])
    records = _point_records(points, x_type, kind)
    x_title = x_label or ("Date" if x_type == "temporal" else "")
    y_title = y_label or ""
    x_enc: dict[str, Any] = {"field": "x", "type": x_type, "title": x_title}
    notes = _checked_annotations(annotations, x_type)
    placed = _placed_markers(checked_markers, x_type)
    x_domain = [r["x"] for r in records] + [v["x"] for v in notes + placed]
    if x_type == "ordinal":
        x_enc["sort"] = None  # keep the given order
    elif x_type == "quantitative" and all(float(r["x"]).is_integer() for r in records):
        x_enc["axis"] = {"format": "d", "tickMinStep": 1}  # point numbers, not 2.5
    elif x_type == "temporal":
        x_enc["axis"] = layout.time_axis(x_domain)
    target = layout.clip(float(summary.target), kind) if summary.target is not None else None
    y_scale, y_axis = layout.value_scale(
        [r[field] for r in records for field in ("y", *(f for f, *_ in LINE_SERIES))] + [target], kind
    )
    y_enc: dict[str, Any] = {"type": "quantitative", "scale": y_scale, "axis": y_axis}

    layers: list[dict[str, Any]] = []
    layers += _limit_layers(records, x_enc, y_enc)
    layers.append(
        {
            "mark": {"type": "line", "color": LINE, "strokeWidth": 1.5, "clip": True},
            "encoding": {"x": x_enc, "y": {**y_enc, "field": "y", "title": y_title}},
        }
    )
    layers.append(_points_layer(x_enc, y_enc, y_title, legend))
    if target is not None:
        layers += _target_layers(target, y_enc, kind)
    layers += _phase_layers(records, x_enc, x_domain)
    # annotations and markers share three rows of labels, numbered from left to right
    for row, value in enumerate(sorted(notes + placed, key=lambda v: layout.fraction(v["x"], x_type, x_domain))):
        value["row"] = row % LABEL_ROWS
    if notes:
        layers += _annotation_layers(notes, x_enc)
    if placed:
        layers += _marker_layers(placed, x_enc)
    if notes or placed:
        layers += layout.label_layers(notes + placed, x_enc, x_domain, rows=LABEL_ROWS, colour=ANNOTATION, y=2)

    chart_name = CHART_NAMES.get(summary.chart, f"{summary.chart} chart")
    heading = title or chart_name[:1].upper() + chart_name[1:]
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": chart_text_alternative(result, measure=title or y_label, markers=checked_markers),
        "title": {
            "text": layout.wrap(heading, width, TITLE_FONT),
            "subtitle": _subtitle_lines(icon_badges(summary), width),
            "fontSize": TITLE_FONT,
            "subtitleFontSize": SUBTITLE_FONT,
        },
        "width": width,
        "height": height,
        "data": {"values": records},
        "layer": layers,
        "config": {"view": {"stroke": None}, "axis": {"grid": False}, "legend": legend_config(width)},
    }


def _subtitle_lines(badges: list[str], width: int) -> list[str]:
    """The icon badges as lines that fit ``width``: one line, or one per badge ("Variation: …", "Assurance: …")."""
    lines = []
    for badge in badges:
        fitted = layout.wrap(badge, width, SUBTITLE_FONT)
        if len(fitted) > 1:
            fitted = [line for part in badge.split(" · ") for line in layout.wrap(part, width, SUBTITLE_FONT)]
        lines += fitted
    return lines


#: Rows of marker and annotation labels at the top of the plot.
LABEL_ROWS = 3
TITLE_FONT = 13
SUBTITLE_FONT = 11

#: Charts whose values are counts or spreads, never below 0.
NON_NEGATIVE_CHARTS = {"c", "u", "up", "g", "t", "mr", "s"}


def infer_y_kind(chart: str, y_label: str | None, y: Any) -> str:
    """What the y values are when the caller does not say: percent, proportion, rate, count or value."""
    label = (y_label or "").strip().lower()
    if "%" in label or "percent" in label:
        return "percent"
    if label.startswith("per "):
        return "rate"
    if chart in ("p", "pp"):
        finite = [float(v) for v in y if v == v]
        return "proportion" if finite and max(finite) <= 1 else "percent"
    if chart in NON_NEGATIVE_CHARTS:
        return "count"
    return "value"


def icon_badges(summary: Any) -> list[str]:
    """The subtitle lines: the variation icon and assurance icon as words (or why there are none)."""
    badges = []
    if summary.variation_icon:
        badges.append("Variation: " + VARIATION_ICON_LABELS.get(summary.variation_icon, summary.variation_icon))
    if summary.assurance_icon:
        badges.append("Assurance: " + ASSURANCE_ICON_LABELS.get(summary.assurance_icon, summary.assurance_icon))
    if not badges:
        badges.append("No icons shown for this chart")
    return [" · ".join(badges)]


def _x_type(x: pd.Series) -> str:
    if pd.api.types.is_datetime64_any_dtype(x) or (len(x) and all(hasattr(v, "isoformat") for v in x)):
        return "temporal"
    if pd.api.types.is_numeric_dtype(x) and not pd.api.types.is_bool_dtype(x):
        return "quantitative"
    return "ordinal"


def _x_value(value: Any, x_type: str) -> Any:
    if x_type == "temporal":
        return pd.Timestamp(value).isoformat()
    if x_type == "quantitative":
        return float(value)
    return str(value)


def _clean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return None if math.isnan(number) or math.isinf(number) else number


def _point_records(points: pd.DataFrame, x_type: str, kind: str) -> list[dict[str, Any]]:
    """One record per point; limits outside what is possible for ``kind`` are clipped to it (0%, 100%)."""
    records = []
    for row in points.to_dict("records"):
        variation = str(row["variation"])
        records.append(
            {
                "x": _x_value(row["x"], x_type),
                "y": _clean(row["y"]),
                **{field: layout.clip(_clean(row[field]), kind) for field, *_ in LINE_SERIES},
                "phase": int(row["phase"]),
                "phase_label": f"Phase {int(row['phase']) + 1}",
                "excluded": bool(row["excluded"]),
                "variation": variation,
                "variation_label": VARIATION_LABELS.get(variation, variation),
                "rule": str(row["rule"] or ""),
            }
        )
    return records


def _limit_layers(records: list[dict[str, Any]], x_enc: dict[str, Any], y_enc: dict[str, Any]) -> list[dict]:
    layers = []
    for field, label, dash, opacity in LINE_SERIES:
        if all(r[field] is None for r in records):
            continue
        mark: dict[str, Any] = {
            "type": "line",
            "color": CENTRE_LINE if field == "cl" else LIMIT_LINE,
            "strokeWidth": 1.5 if field == "cl" else 1.2,
            "opacity": opacity,
            "interpolate": "step",
            "clip": True,
        }
        if dash:
            mark["strokeDash"] = dash
        layers.append(
            {
                "mark": mark,
                "encoding": {
                    "x": x_enc,
                    "y": {**y_enc, "field": field},
                    # one segment per phase: lines never join across a split
                    "detail": {"field": "phase", "type": "nominal"},
                    "tooltip": [{"field": "phase_label", "title": "Phase"}, {"field": field, "title": label}],
                },
            }
        )
    return layers


def _points_layer(x_enc: dict[str, Any], y_enc: dict[str, Any], y_title: str, legend: bool) -> dict[str, Any]:
    classes = list(VARIATION_COLOURS)
    colour: dict[str, Any] = {
        # coloured by the class's words, so the legend needs no label expression and its look can live in
        # config.legend (which a page that shows its own key replaces with {"disable": true})
        "field": "variation_label",
        "type": "nominal",
        "title": "Variation",
        "scale": {
            "domain": [VARIATION_LABELS[v] for v in classes],
            "range": [VARIATION_COLOURS[v] for v in classes],
        },
    }
    if not legend:
        colour["legend"] = None
    return {
        "mark": {"type": "point", "filled": True, "size": 55},
        "encoding": {
            "x": x_enc,
            "y": {**y_enc, "field": "y", "title": y_title},
            "color": colour,
            "opacity": {"condition": {"test": "datum.excluded", "value": 0.35}, "value": 1},
            "tooltip": [
                {"field": "x", "type": x_enc["type"], "title": x_enc.get("title") or "x"},
                {"field": "y", "type": "quantitative", "title": y_title or "Value"},
                {"field": "variation_label", "title": "Variation"},
                {"field": "rule", "title": "Rules"},
            ],
        },
    }


#: Pixels one legend entry needs ("Special cause: improvement" at 11 px and its symbol).
LEGEND_ENTRY_PX = 190


def legend_config(width: int) -> dict[str, Any]:
    """The colour legend: below the plot, in as many columns as fit ``width`` (one under another on a phone).

    The columns are a number, not an expression of the width: Vega sizes the picture before such an
    expression takes effect and then cuts the legend off. A page that sizes the chart to its column
    shows its own key instead and turns the legend off (``config.legend = {"disable": true}``).
    """
    return {
        "orient": "bottom",
        "direction": "horizontal",
        "columns": max(1, min(len(VARIATION_COLOURS), width // LEGEND_ENTRY_PX)),
        "labelLimit": LEGEND_ENTRY_PX - 25,
    }


def _target_layers(target: float, y_enc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    shown = layout.format_value(target, kind) if kind in ("percent", "proportion") else format_number(target)
    data = {"values": [{"target": target, "label": f"Target {shown}"}]}
    y = {**y_enc, "field": "target"}
    return [
        {
            "data": data,
            "mark": {"type": "rule", "color": TARGET_LINE, "strokeDash": [8, 4], "strokeWidth": 1.5},
            "encoding": {"y": y},
        },
        {
            "data": data,
            "mark": {"type": "text", "color": TARGET_LINE, "align": "right", "dx": -2, "dy": -6, "x": "width"},
            "encoding": {"y": y, "text": {"field": "label"}},
        },
    ]


def _phase_layers(records: list[dict[str, Any]], x_enc: dict[str, Any], x_domain: list[Any]) -> list[dict[str, Any]]:
    starts: dict[int, dict[str, Any]] = {}
    for record in records:
        starts.setdefault(record["phase"], record)
    if len(starts) < 2:
        return []
    labels = [
        {"x": r["x"], "label": r["phase_label"], "phase_label": r["phase_label"], "row": 0} for r in starts.values()
    ]
    splits = {"values": [{"x": r["x"]} for phase, r in starts.items() if phase > 0]}
    return [
        {
            "data": splits,
            "mark": {"type": "rule", "color": LIMIT_LINE, "strokeWidth": 1, "opacity": 0.6},
            "encoding": {"x": x_enc},
        },
        *layout.label_layers(
            labels, x_enc, x_domain, rows=1, colour=CENTRE_LINE, y={"expr": "height - 6"}, baseline="alphabetic"
        ),
    ]


def _checked_annotations(annotations: Sequence[dict[str, Any]], x_type: str) -> list[dict[str, Any]]:
    values = []
    for i, note in enumerate(annotations):
        if "x" not in note or "label" not in note:
            raise ValueError(f"annotation {i + 1} needs an 'x' and a 'label'; got {sorted(note)}")
        try:
            x_value = _x_value(note["x"], x_type)
        except (TypeError, ValueError):
            raise ValueError(f"annotation {i + 1}: {note['x']!r} is not a value on the chart's x axis") from None
        values.append({"x": x_value, "label": str(note["label"]), "row": 0})
    return values


def _annotation_layers(values: list[dict[str, Any]], x_enc: dict[str, Any]) -> list[dict]:
    return [
        {
            "data": {"values": values},
            "mark": {"type": "rule", "color": ANNOTATION, "strokeWidth": 1.5, "strokeDash": [1, 2]},
            "encoding": {"x": x_enc},
        }
    ]


#: Marker kinds and how each is drawn: a PDSA cycle (dashed) or an adopted change (solid).
MARKER_KINDS: dict[str, dict[str, Any]] = {
    "pdsa": {"strokeDash": [4, 3], "strokeWidth": 1.5},
    "change": {"strokeWidth": 2},
}


def check_markers(markers: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each marker as ``{"x", "label", "kind"}`` (kind defaults to ``pdsa``); ValueError says which one is wrong."""
    checked = []
    for i, marker in enumerate(markers):
        if not isinstance(marker, dict) or "x" not in marker or "label" not in marker:
            got = sorted(marker) if isinstance(marker, dict) else type(marker).__name__
            raise ValueError(f"marker {i + 1} needs an 'x' and a 'label'; got {got}")
        kind = str(marker.get("kind") or "pdsa")
        if kind not in MARKER_KINDS:
            raise ValueError(f"marker {i + 1}: kind {kind!r} is not one of {', '.join(MARKER_KINDS)}")
        checked.append({"x": marker["x"], "label": str(marker["label"]), "kind": kind})
    return checked


def _placed_markers(markers: list[dict[str, Any]], x_type: str) -> list[dict[str, Any]]:
    values = []
    for i, marker in enumerate(markers):
        try:
            x_value = _x_value(marker["x"], x_type)
        except (TypeError, ValueError):
            raise ValueError(f"marker {i + 1}: {marker['x']!r} is not a value on the chart's x axis") from None
        values.append({"x": x_value, "label": marker["label"], "kind": marker["kind"], "row": 0})
    return values


def _marker_layers(values: list[dict[str, Any]], x_enc: dict[str, Any]) -> list[dict]:
    layers: list[dict[str, Any]] = []
    for kind, style in MARKER_KINDS.items():
        of_kind = [v for v in values if v["kind"] == kind]
        if not of_kind:
            continue
        layers.append(
            {
                "data": {"values": of_kind},
                "mark": {"type": "rule", "color": ANNOTATION, **style},
                "encoding": {
                    "x": x_enc,
                    "tooltip": [
                        {"field": "label", "title": "Marker"},
                        {"field": "x", "type": x_enc["type"], "title": x_enc.get("title") or "x"},
                    ],
                },
            }
        )
    return layers
