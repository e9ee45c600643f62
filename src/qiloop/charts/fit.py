"""A chart spec fitted to where it is shown: a page's column, or a fixed-size picture drawn on the server.

* :func:`fit_to_column` — as wide as the page's column (down to 320 px screens), no title (the page's heading
  names the chart) and, when the page has its own key, no legend;
* :func:`at_fixed_size` — a fixed width and height for a static drawing (a dashboard card's SVG), with one text
  alternative for the whole picture and no legends (the page's key says what the colours mean).

>>> spec = {"title": "DNA rate", "width": 560, "layer": [{"mark": "line"}]}
>>> fit_to_column(spec, legend=False)
>>> spec["width"], "title" in spec, spec["config"]
('container', False, {'legend': {'disable': True}})
>>> at_fixed_size(spec, width=440, height=150)["width"], spec["width"]
(440, 'container')
"""

from __future__ import annotations

import copy
from typing import Any

#: Encoding channels whose legend a fixed-size picture leaves out.
LEGEND_CHANNELS = ("color", "fill", "stroke", "shape", "opacity", "strokeDash")


def fit_to_column(spec: dict[str, Any], *, legend: bool = True) -> None:
    """Adapt ``spec`` (in place) to a page: as wide as its column, no title, and no legend unless ``legend``."""
    spec["width"] = "container"
    spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    spec.pop("title", None)
    if not legend:
        spec.setdefault("config", {}).setdefault("legend", {})["disable"] = True


def at_fixed_size(spec: dict[str, Any], *, width: int, height: int) -> dict[str, Any]:
    """A copy of ``spec`` drawn ``width`` by ``height`` pixels, with no ARIA per mark, no background and no
    legends."""
    fixed = copy.deepcopy(spec)
    fixed["width"], fixed["height"] = width, height
    fixed.pop("autosize", None)
    config = fixed.setdefault("config", {})
    config["aria"] = False  # no ARIA per mark: the whole picture has one text alternative
    config["background"] = None
    for layer in fixed.get("layer", []):  # the page's key says what the colours mean
        for channel in LEGEND_CHANNELS:
            encoding = layer.get("encoding", {}).get(channel)
            if isinstance(encoding, dict) and "field" in encoding:
                encoding["legend"] = None
    return fixed
