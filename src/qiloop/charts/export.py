"""Static export of chart specs through vl-convert (no browser needed).

:func:`to_svg` embeds the spec's ``description`` as the SVG's ``<title>``
and ``<desc>`` (and ``role="img"``) so the text alternative travels with
the picture; :func:`to_png` renders at ``scale`` × the spec's size.
"""

from __future__ import annotations

import re
from typing import Any
from xml.sax.saxutils import escape

import vl_convert

from qiloop.charts.palette import VEGA_LITE_VERSION


def to_vega(spec: dict[str, Any]) -> dict[str, Any]:
    """Compile a Vega-Lite spec to Vega; raises ``ValueError`` if Vega-Lite rejects it."""
    compiled: dict[str, Any] = vl_convert.vegalite_to_vega(spec, vl_version=VEGA_LITE_VERSION)
    return compiled


def to_svg(spec: dict[str, Any]) -> str:
    """The chart as SVG text, with the text alternative embedded for screen readers."""
    svg: str = vl_convert.vegalite_to_svg(spec, vl_version=VEGA_LITE_VERSION)
    return _with_text_alternative(svg, spec)


def to_png(spec: dict[str, Any], scale: float = 2) -> bytes:
    """The chart as PNG bytes at ``scale`` × its size (2 suits reports and slides)."""
    png: bytes = vl_convert.vegalite_to_png(spec, vl_version=VEGA_LITE_VERSION, scale=scale)
    return png


def _with_text_alternative(svg: str, spec: dict[str, Any]) -> str:
    description = str(spec.get("description") or "")
    title = spec.get("title")
    title_text = title.get("text") if isinstance(title, dict) else title
    if not description and not title_text:
        return svg
    match = re.search(r"<svg\b[^>]*>", svg)
    if match is None:
        return svg
    opening = match.group(0)
    if "role=" not in opening:
        opening = opening[:-1] + ' role="img">'
    inserted = f"<title>{escape(str(title_text or description))}</title><desc>{escape(description)}</desc>"
    return svg[: match.start()] + opening + inserted + svg[match.end() :]
