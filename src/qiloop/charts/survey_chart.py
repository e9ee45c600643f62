"""Vega-Lite v5 specification for one section of a staff QI survey: each item's % with its 95% interval,
beside the national GP and practice-manager figures.

:func:`survey_chart_spec` takes plain rows (no survey objects, so the chart module needs nothing else)::

    {"label": "Protected time ...", "percent": 80.0, "low": 49.0, "high": 94.3,
     "national_gp": 79, "national_pm": 55}       # either national figure may be None

and draws a horizontal bar per item (NHS blue) with its name above it, a black rule across its interval (on a
white halo), and the national figures as points — GPs a dark diamond, practice managers a purple square — so
an item whose interval misses a marker stands out. Items keep the order given (callers sort: top barriers first). Colour is never the only
cue: the markers differ in shape, the key names them, and :func:`survey_chart_text` says it all in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qiloop.charts.palette import ANNOTATION, CENTRE_LINE, NEITHER, VEGA_LITE_SCHEMA

GP_MARK = "National: GPs"
PM_MARK = "National: practice managers"
ROW_HEIGHT = 44


def survey_chart_spec(
    rows: Sequence[Mapping[str, Any]], *, title: str | None = None, width: int = 560
) -> dict[str, Any]:
    """A Vega-Lite v5 spec (a dict) drawing ``rows`` (see the module docstring)."""
    values = [
        {
            "item": row["label"],
            "order": i,
            "percent": row["percent"],
            "low": row["low"],
            "high": row["high"],
        }
        for i, row in enumerate(rows)
    ]
    markers = [
        {"item": row["label"], "order": i, "who": who, "percent": row[key]}
        for i, row in enumerate(rows)
        for key, who in (("national_gp", GP_MARK), ("national_pm", PM_MARK))
        if row.get(key) is not None
    ]
    # Rows in the order given (an explicit list: a sort by field does not hold across layers with their own
    # data). Each item's name is written above its bar, across the whole width, rather than as an axis label
    # squeezed to the left: long names stay readable on a 320 px screen.
    y = {
        "field": "item",
        "type": "nominal",
        "sort": [row["label"] for row in rows],
        "title": None,
        "axis": None,
        "scale": {"paddingInner": 0.5, "paddingOuter": 0.5},
    }
    x = {
        "field": "percent",
        "type": "quantitative",
        "scale": {"domain": [0, 100]},
        "title": "% of staff answering (bar), 95% interval (line)",
    }
    spec: dict[str, Any] = {
        "$schema": VEGA_LITE_SCHEMA,
        "description": survey_chart_text(rows, title=title),
        "width": width,
        "height": {"step": ROW_HEIGHT},
        "layer": [
            {
                "data": {"values": values},
                "mark": {"type": "bar", "color": ANNOTATION, "height": 14},
                "encoding": {"y": y, "x": x},
            },
            {
                "data": {"values": values},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "bottom",
                    "dy": -9,
                    "fontSize": 12,
                    "color": CENTRE_LINE,
                    "limit": {"expr": "width"},
                },
                "encoding": {"y": y, "x": {"datum": 0, "type": "quantitative"}, "text": {"field": "item"}},
            },
            {  # a white halo under the interval, so the black line shows on the blue bar
                "data": {"values": values},
                "mark": {"type": "rule", "color": "white", "strokeWidth": 5},
                "encoding": {"y": y, "x": {"field": "low", "type": "quantitative"}, "x2": {"field": "high"}},
            },
            {
                "data": {"values": values},
                "mark": {"type": "rule", "color": CENTRE_LINE, "strokeWidth": 2},
                "encoding": {"y": y, "x": {"field": "low", "type": "quantitative"}, "x2": {"field": "high"}},
            },
            {
                "data": {"values": markers},
                "mark": {"type": "point", "filled": True, "size": 90, "stroke": "white", "strokeWidth": 1},
                "encoding": {
                    "y": y,
                    "x": {"field": "percent", "type": "quantitative"},
                    "shape": {
                        "field": "who",
                        "type": "nominal",
                        "scale": {"domain": [GP_MARK, PM_MARK], "range": ["diamond", "square"]},
                        "legend": {"title": None, "orient": "bottom"},
                    },
                    "color": {
                        "field": "who",
                        "type": "nominal",
                        "scale": {"domain": [GP_MARK, PM_MARK], "range": [CENTRE_LINE, NEITHER]},
                        "legend": {"title": None, "orient": "bottom"},
                    },
                },
            },
        ],
    }
    if title:
        spec["title"] = {"text": title, "anchor": "start"}
    return spec


def _pct(value: float) -> str:
    return f"{value:.0f}%"


def survey_chart_text(rows: Sequence[Mapping[str, Any]], *, title: str | None = None) -> str:
    """The chart in words: each item's %, its interval and the national figures beside it."""
    if not rows:
        return f"{title or 'Survey chart'}: no items with enough answers to show."
    parts = []
    for row in rows:
        text = f"{row['label']}: {_pct(row['percent'])} (95% interval {_pct(row['low'])} to {_pct(row['high'])})"
        national = [
            f"{who} {row[key]}%"
            for key, who in (("national_gp", "GPs"), ("national_pm", "practice managers"))
            if row.get(key) is not None
        ]
        text += f"; nationally {' and '.join(national)}" if national else "; no national figure"
        parts.append(text)
    head = f"Bar chart{': ' + title if title else ''}, {len(rows)} items. "
    return head + ". ".join(parts) + "."
