"""One measure's monthly series as an SPC chart: the Vega-Lite spec, its text alternative, icons and sentence.

Every measure is charted as an XmR chart (the Making Data Count default) of
its monthly value, as a percentage (or per ``measure.per`` when that is not 1),
with the improvement direction from ``low_is_good``. Months with no
denominator (or suppressed counts in network views) are gaps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from qiloop.charts import chart_text_alternative, spc_chart_spec
from qiloop.charts.palette import ASSURANCE_ICON_LABELS, VARIATION_ICON_LABELS
from qiloop.measures.model import Measure
from qiloop.spc import spc


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


def fit_to_page(spec: dict[str, Any]) -> None:
    """Adapt a qiloop.charts spec to a page: as wide as its column (down to 320 px screens), no title
    (the page's heading names the chart) and no legend (the page's key and the tags say what colours mean)."""
    spec["width"] = "container"
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    spec.pop("title", None)
    spec.setdefault("config", {})["legend"] = {"disable": True}


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

    @property
    def variation_label(self) -> str:
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
) -> Chart | None:
    """An SPC chart of ``series`` (columns interval_start, ratio) or None when it has fewer than two values."""
    series = series.sort_values("interval_start")
    multiplier, unit = scale(measure)
    values = [None if pd.isna(v) else float(v) * multiplier for v in series["ratio"]]
    if sum(v is not None for v in values) < 2:
        return None
    result = spc(
        [float("nan") if v is None else v for v in values],
        x=list(pd.to_datetime(series["interval_start"])),
        chart="xmr",
        improvement="down" if measure.low_is_good else "up",
        measure_name=measure.title[:1].lower() + measure.title[1:],
        allow_missing=True,
    )
    y_label = "%" if unit == "%" else unit.capitalize()
    width, height = (280, 140) if small else (640, 300)
    spec: dict[str, Any] = spc_chart_spec(
        result, title=title or measure.title, y_label=y_label, width=width, height=height
    )
    fit_to_page(spec)
    points = result.points
    latest = points.dropna(subset=["y"]).iloc[-1]
    summary = result.summary
    return Chart(
        element_id=element_id,
        spec_json=safe_json(spec),
        text=chart_text_alternative(result, measure=measure.title),
        sentence=summary.sentence,
        variation_icon=summary.variation_icon,
        assurance_icon=summary.assurance_icon,
        latest_value=format_value(latest["y"], unit),
        latest_month=pd.Timestamp(latest["x"]).strftime("%B %Y"),
        changed=change_of(summary.variation_icon),
    )
