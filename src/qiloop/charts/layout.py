"""Axes, scales, titles and labels that read well at any width, shared by every qiloop chart.

* :func:`time_axis` — a date axis whose every label carries the year ("Apr 2024", or "3 Apr 2024" for
  spans of a few weeks), with a tick count that follows the plot's width (so 375 px phones get two or
  three labels, not "April April April") and never more ticks than months (no repeated labels);
* :func:`value_scale` — a y scale that never shows the impossible: 0–100 for percentages, 0–1 for
  proportions, never below 0 for counts and rates; a domain that has room even when every value is the
  same (a run of 0% draws "0%, 1%, 2%…", not "0.000000"); tick labels with the decimals the data need
  and a "%" where the values are percentages;
* :func:`clip` — a value (a limit, a target) moved into those bounds, so no line is drawn outside them;
* :func:`wrap` — a title or subtitle broken into lines that fit the chart's width;
* :func:`label_layers` — vertical-rule labels (PDSA cycles, changes, phases) kept inside the plot:
  each is cut (with "…") at the next label in its row or the plot's edge, and a label near the right
  edge runs leftwards from its rule. The limits are Vega expressions of the plot's ``width``,
  so they hold when a page sizes the chart to its column.

Widths are in pixels; the character widths are estimates for Vega's default sans-serif font.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

import pandas as pd

#: What the y values are, and so which values are possible: (lowest, highest), None for unbounded.
Y_KINDS: dict[str, tuple[float | None, float | None]] = {
    "percent": (0.0, 100.0),  # 0–100, shown with "%"
    "proportion": (0.0, 1.0),  # 0–1, shown as a percentage
    "count": (0.0, None),
    "rate": (0.0, None),
    "value": (None, None),  # anything (a difference, a temperature): nothing is clipped
}

#: Room given to a domain whose values are all the same, in the units of each kind.
_FLAT_ROOM = {"percent": 5.0, "proportion": 0.05}

#: Pixels each time-axis label needs (label width plus a gap), for the tick count.
MONTH_LABEL_PX = 80  # "Sep 2026" at 11 px
DAY_LABEL_PX = 100  # "30 Sep 2026"

#: Below this many days between the first and last date, ticks are days ("3 Apr 2024"), else months.
DAY_AXIS_SPAN = 75


def time_axis(dates: Sequence[Any]) -> dict[str, Any]:
    """Vega-Lite ``axis`` properties for a temporal x axis over ``dates`` (every label shows its year)."""
    stamps = [pd.Timestamp(d) for d in dates if d is not None and not pd.isna(d)]
    span = (max(stamps) - min(stamps)).days if stamps else 0
    if span >= DAY_AXIS_SPAN:
        # d3 picks month ticks (never weeks) once the span per tick is over ~15 days: at most span/20 ticks
        label_format, per_label, most = "%b %Y", MONTH_LABEL_PX, max(2, span // 20)
    else:
        label_format, per_label, most = "%-d %b %Y", DAY_LABEL_PX, max(2, span)
    return {
        "format": label_format,
        "tickCount": {"expr": f"max(2, min(floor(width / {per_label}), {most}))"},
        "labelOverlap": True,
        "labelFlush": True,
        "labelSeparation": 6,
    }


def bounds(kind: str) -> tuple[float | None, float | None]:
    """The lowest and highest possible values of ``kind`` (one of :data:`Y_KINDS`)."""
    if kind not in Y_KINDS:
        raise ValueError(f"y_kind {kind!r} is not one of {', '.join(Y_KINDS)}")
    return Y_KINDS[kind]


def clip(value: float | None, kind: str) -> float | None:
    """``value`` moved into what is possible for ``kind`` (None stays None)."""
    if value is None:
        return None
    low, high = bounds(kind)
    if low is not None and value < low:
        return low
    if high is not None and value > high:
        return high
    return value


def value_scale(values: Sequence[float | None], kind: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The y ``scale`` and ``axis`` for ``values`` (data, limits and target together) of ``kind``."""
    low, high = bounds(kind)
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not finite:
        finite = [low if low is not None else 0.0]
    lo, hi = min(finite), max(finite)
    if hi > lo:
        lo, hi = lo - (hi - lo) * 0.05, hi + (hi - lo) * 0.05
    else:
        room = max(abs(hi) * 0.1, _FLAT_ROOM.get(kind, 1.0))
        lo, hi = lo - room, hi + room
    if low is not None:
        lo, hi = max(lo, low), max(hi, low)
    if high is not None:
        lo, hi = min(lo, high), min(hi, high)
    if hi <= lo:  # every value at a bound: open the domain towards the possible side
        room = _FLAT_ROOM.get(kind, 1.0)
        lo, hi = (lo - room, hi) if high is not None and hi >= high else (lo, hi + room)
    scale = {"domain": [lo, hi], "nice": True, "zero": False}
    return scale, {"labelExpr": tick_label_expr(hi - lo, kind)}


def decimals(span: float) -> int:
    """Decimals a tick label needs on an axis spanning ``span`` (in the units shown): ticks are about a
    fifth of the span apart, so 0 from a span of 5, 1 from 0.5, 2 from 0.05, and so on."""
    if not span > 0:
        return 0
    return max(0, -math.floor(math.log10(span / 5)))


def tick_label_expr(span: float, kind: str) -> str:
    """A Vega expression formatting ``datum.value``: "12%" / "2.5%" for percentages, "1,200" otherwise."""
    if kind == "percent":
        return f"format(datum.value, '.{decimals(span)}~f') + '%'"
    if kind == "proportion":
        return f"format(datum.value, '.{decimals(span * 100)}~%')"
    return f"format(datum.value, ',.{decimals(span)}~f')"


def format_value(value: float, kind: str) -> str:
    """A value in words as its axis shows it: "80%" for percent and proportion, "1,200" otherwise."""
    if kind == "proportion":
        value *= 100
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text + "%" if kind in ("percent", "proportion") else text


def wrap(text: str, width_px: float, font_px: float) -> list[str]:
    """``text`` broken into lines no wider than ``width_px`` (estimated: 0.58 em per character)."""
    chars = max(12, int(width_px / (font_px * 0.58)))
    return textwrap.wrap(text, chars) or [""]


def fraction(value: Any, x_type: str, domain: Sequence[Any]) -> float:
    """Where ``value`` lies along the x axis, from 0 (left) to 1 (right); ``domain`` is every x on the axis."""
    if x_type == "ordinal":
        order = list(dict.fromkeys(str(v) for v in domain))
        return order.index(str(value)) / max(1, len(order) - 1) if str(value) in order else 0.0
    numbers: list[float]
    if x_type == "temporal":
        numbers = [float(pd.Timestamp(v).value) for v in domain]
        point = float(pd.Timestamp(value).value)
    else:
        numbers = [float(v) for v in domain]
        point = float(value)
    lo, hi = min(numbers), max(numbers)
    return 0.0 if hi == lo else (point - lo) / (hi - lo)


#: A row's last label runs leftwards from its rule when the rule is within this fraction of the right edge.
LEFTWARDS_WITHIN = 0.2


def label_layers(
    values: list[dict[str, Any]],
    x_enc: dict[str, Any],
    domain: Sequence[Any],
    *,
    rows: int,
    colour: str,
    y: dict[str, Any] | int | str,
    baseline: str = "top",
) -> list[dict[str, Any]]:
    """One text layer per label in ``values`` (dicts with ``x``, ``label`` and ``row``), kept inside the plot.

    ``y`` is the mark's y for row 0 (a number or ``{"expr": ...}``); each further row is 13 px lower.
    A label runs right from its rule, up to the next label in its row (or the plot's right edge); the
    last label of a row, when its rule is in the plot's last fifth, runs left instead, up to halfway to
    the label before.
    """
    x_type = x_enc["type"]
    layers = []
    for row in range(rows):
        in_row = sorted((v for v in values if v["row"] == row), key=lambda v: fraction(v["x"], x_type, domain))
        spots = [fraction(v["x"], x_type, domain) for v in in_row]
        for i, (value, at) in enumerate(zip(in_row, spots, strict=True)):
            leftwards = i == len(in_row) - 1 and 1 - at < LEFTWARDS_WITHIN
            if leftwards:
                start = (spots[i - 1] + at) / 2 if i else 0.0
                room = at - start
            else:
                nxt = spots[i + 1] if i + 1 < len(spots) else 1.0
                is_last_before_leftwards = i + 1 == len(in_row) - 1 and 1 - spots[-1] < LEFTWARDS_WITHIN
                end = (at + nxt) / 2 if is_last_before_leftwards else nxt
                room = end - at
            mark: dict[str, Any] = {
                "type": "text",
                "color": colour,
                "align": "right" if leftwards else "left",
                "baseline": baseline,
                "dx": -3 if leftwards else 3,
                # a limit of 0 means "none" to Vega: at least 1 px, so a crowded label shows as "…"
                "limit": {"expr": f"max(1, {room:.4f} * width - 8)"},
            }
            if isinstance(y, dict):
                mark["y"] = {"expr": f"{y['expr']} + {13 * row}"} if row else y
            elif isinstance(y, int | float):
                mark["y"] = y + 13 * row
            else:
                mark["y"] = y
            layers.append(
                {"data": {"values": [value]}, "mark": mark, "encoding": {"x": x_enc, "text": {"field": "label"}}}
            )
    return layers
