"""Vega-Lite specification for a stacked bar chart of monthly figures (e.g. QI time by role).

:func:`monthly_stacked_bar_spec` draws one bar per month, stacked by group, one fixed colour per group:

* every month from the first to the last has its place, months with nothing as an empty place, so a
  gap in the bars is a real gap;
* month labels carry the year ("Apr 2024") and are thinned to every second, third… month when the
  plot is too narrow for them all (a Vega expression of the plot's width, so it holds when a page
  sizes the chart to its column);
* y tick labels with only the decimals the figures need;
* the legend sits below the plot, in columns that fit the width (one entry under another when the
  width is a page's column, which may be a phone's).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from qiloop.charts import layout
from qiloop.charts.palette import VEGA_LITE_SCHEMA

#: Pixels one month label needs on the axis ("Sep 2026" at 11 px and a gap).
MONTH_LABEL_PX = 56
#: Pixels one legend entry needs ("Patient representative" at 12 px and its symbol).
LEGEND_ENTRY_PX = 180


def month_label(month: date) -> str:
    """The axis label of a month: "Apr 2024"."""
    return f"{month:%b %Y}"


def monthly_stacked_bar_spec(
    months: Sequence[date],
    groups: Sequence[tuple[str, str]],
    values: Mapping[tuple[date, str], float],
    *,
    y_title: str,
    legend_title: str,
    description: str,
    width: int | str = 640,
    height: int = 260,
    value_field: str = "value",
    group_field: str = "group",
) -> dict[str, Any]:
    """A stacked bar chart: a bar per month in ``months``, stacked by ``groups`` (``(label, colour)`` pairs,
    in stacking order), heights from ``values[(month, label)]`` (missing or 0: nothing drawn).

    ``width`` is pixels, or ``"container"`` for a page that fits the chart to its column.
    ``value_field`` and ``group_field`` name the data's fields (``"hours"``, ``"role"``): tooltips and
    readers of the spec see them.
    """
    labels = [month_label(month) for month in months]
    order = {label: i for i, (label, _colour) in enumerate(groups)}
    rows = [
        {
            "month": month_label(month),
            group_field: label,
            "order": order[label],
            value_field: values[(month, label)],
        }
        for month in months
        for label, _colour in groups
        if values.get((month, label))
    ]
    totals = [sum(values.get((month, label), 0) for label, _colour in groups) for month in months]
    scale, axis = layout.value_scale([0.0, *totals], "count")
    # Columns as a number: Vega sizes the picture before a columns expression takes effect, and then cuts
    # the legend off. A page's column may be a phone's, so "container" gets one entry under another.
    legend_columns = max(1, min(len(groups), width // LEGEND_ENTRY_PX)) if isinstance(width, int) else 1
    spec: dict[str, Any] = {
        "$schema": VEGA_LITE_SCHEMA,
        "description": description,
        "data": {"values": rows},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {
                "field": "month",
                "type": "ordinal",
                "sort": labels,
                "scale": {"domain": labels},  # months with nothing still get their (empty) place
                "title": None,
                "axis": {"labelAngle": 0, "labelExpr": _thinned_labels(labels)},
            },
            "y": {
                "field": value_field,
                "type": "quantitative",
                "stack": "zero",
                "title": y_title,
                "scale": {**scale, "domain": [0, scale["domain"][1]]},
                "axis": axis,
            },
            "color": {
                "field": group_field,
                "type": "nominal",
                "title": legend_title,
                "scale": {"domain": [label for label, _ in groups], "range": [colour for _, colour in groups]},
                "legend": {"orient": "bottom", "columns": legend_columns, "labelLimit": LEGEND_ENTRY_PX - 30},
            },
            "order": {"field": "order", "type": "quantitative"},
        },
        "width": width,
        "height": height,
        "config": {
            "axis": {"labelFontSize": 11, "titleFontSize": 12},
            "legend": {"labelFontSize": 12, "titleFontSize": 12},
        },
    }
    if width == "container":
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return spec


def _thinned_labels(labels: list[str]) -> str:
    """A label expression showing every k-th month, k chosen so the labels fit the plot's width."""
    every = f"max(1, ceil({len(labels)} * {MONTH_LABEL_PX} / max(1, width)))"
    return f"indexof({json.dumps(labels)}, datum.value) % {every} == 0 ? datum.label : ''"
