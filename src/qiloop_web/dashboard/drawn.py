"""Small charts drawn on the server: a card's Vega-Lite spec as compact inline SVG, through vl-convert.

The dashboard's cards show the same Vega-Lite spec the measure page draws in the browser (``Chart.spec_json``,
from ``qiloop.charts.spc_chart_spec``), drawn here once per results set by ``vl-convert-python`` and kept in the
charts memo (``memo.py``, saved to ``var/cache/``), so the page is usable as soon as it arrives: no scripts, no
client rendering. vl-convert's SVG is made for fidelity, not size (about 27 KB for a 48-month XmR chart), so
:func:`compact` rewrites it without changing what is drawn — only what no one sees goes: ARIA attributes for
each mark (the chart's text alternative is its ``<title>``), invisible background paths, class names, digits
beyond a tenth of a pixel, the repeated points of the step lines, groups that carry nothing — leaving 3–5 KB.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from qiloop.charts.export import svg_of
from qiloop.charts.fit import at_fixed_size

SVG = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG)
CARD_SIZE = (440, 150)  # drawn size; the picture scales to its column (CSS width 100%, viewBox kept)

# Attributes that change nothing on the screen (ARIA for each mark, Vega's class names and bookkeeping).
DROPPED = {"class", "role", "aria-roledescription", "aria-label", "aria-hidden", "pointer-events", "stroke-miterlimit"}
DEFAULTS = {"opacity": "1", "fill-opacity": "1", "stroke-opacity": "1"}
INHERITED = ("fill", "stroke", "stroke-width", "font-family", "font-size", "font-weight", "text-anchor")
NUMBER = re.compile(r"-?\d+\.\d+")
CIRCLE = re.compile(r"M(?P<r>[\d.]+),0A(?P=r),(?P=r),0,1,1,-(?P=r),0A(?P=r),(?P=r),0,1,1,(?P=r),0")
TRANSLATE = re.compile(r"translate\((?P<x>-?[\d.]+),(?P<y>-?[\d.]+)\)")
LINE_PATH = re.compile(r"^M[-\d.,L]+$")


def card_spec(spec_json: str, *, width: int = CARD_SIZE[0], height: int = CARD_SIZE[1]) -> dict[str, Any]:
    """The card's spec at a fixed size for a static drawing (a page fits it to its column with CSS)."""
    return at_fixed_size(json.loads(spec_json), width=width, height=height)


def draw_svg(spec: dict[str, Any], text: str) -> str:
    """``spec`` drawn as compact SVG with ``text`` as its text alternative (``role="img"`` and ``<title>``)."""
    return compact(svg_of(spec), text)


def compact(svg: str, text: str) -> str:
    """vl-convert's SVG, smaller and drawing the same, with ``text`` as its only text alternative."""
    root = ET.fromstring(svg)
    for title in [*root.findall(f"{{{SVG}}}title"), *root.findall(f"{{{SVG}}}desc")]:
        root.remove(title)
    _clean(root)
    _hoist(root)
    _unwrap(root)
    _merge(root, "black")  # an SVG fills shapes black unless told otherwise
    for name in ("width", "height"):
        root.attrib.pop(name, None)  # the viewBox keeps the proportions; CSS sets the width
    root.attrib.pop("version", None)
    root.set("role", "img")
    root.set("focusable", "false")
    title = ET.Element(f"{{{SVG}}}title")
    title.text = text
    root.insert(0, title)
    out = ET.tostring(root, encoding="unicode", short_empty_elements=True)
    return out.replace(' xmlns:xlink="http://www.w3.org/1999/xlink"', "").replace(" />", "/>")


def _round(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        value = round(float(match.group(0)), 1)
        return f"{value:.1f}".rstrip("0").rstrip(".") if value else "0"

    return NUMBER.sub(one, text)


def _clean(element: ET.Element) -> None:
    for child in list(element):
        if child.tag == f"{{{SVG}}}path" and child.get("class") in ("background", "foreground"):
            element.remove(child)
            continue
        if child.get("opacity") == "0":
            element.remove(child)  # drawn invisible (an axis label Vega hid so labels do not overlap)
            continue
        if child.tag == f"{{{SVG}}}rect" and child.get("fill") == "white" and element.tag == f"{{{SVG}}}svg":
            element.remove(child)  # the page's own background shows through
            continue
        _clean(child)
    for name in list(element.attrib):
        value = element.attrib[name]
        if name in DROPPED or DEFAULTS.get(name) == value or (name == "transform" and value == "translate(0,0)"):
            del element.attrib[name]
        elif name in ("transform", "x", "y", "width", "height", "stroke-width"):
            element.attrib[name] = _round(value)
    moved = TRANSLATE.fullmatch(element.get("transform", "translate(0,0)"))
    if element.tag == f"{{{SVG}}}path":
        d = element.get("d", "")
        circle = CIRCLE.fullmatch(d)
        if circle and moved and element.get("stroke") is None and element.get("fill") not in (None, "none"):
            # a filled dot: a zero-length line with round caps as wide as the dot (merged with its like below)
            x, y = float(moved["x"]), float(moved["y"])
            element.attrib.pop("transform", None)
            element.attrib["stroke"] = element.attrib.pop("fill")
            element.attrib["stroke-width"] = _round(f"{2 * float(circle['r']):.2f}")
            element.attrib["stroke-linecap"] = "round"
            element.set("d", f"M{_tenth(x)},{_tenth(y)}h0")
        elif LINE_PATH.match(d):
            element.set("d", _round(simplify_path(d)))
    elif element.tag == f"{{{SVG}}}line" and moved and element.get("fill") is None:
        x, y = float(moved["x"]), float(moved["y"])
        x1, y1, x2, y2 = (float(element.attrib.pop(n, "0")) for n in ("x1", "y1", "x2", "y2"))
        element.attrib.pop("transform", None)
        element.tag = f"{{{SVG}}}path"
        element.set("d", f"M{_tenth(x + x1)},{_tenth(y + y1)}L{_tenth(x + x2)},{_tenth(y + y2)}")


def _tenth(value: float) -> str:
    """A coordinate to a tenth of a pixel, without a trailing ".0"."""
    return _round(f"{value:.3f}")


def _merge(element: ET.Element, fill: str = "none") -> None:
    """Consecutive unfilled paths drawn alike become one path (their outlines one after another).
    ``fill`` is what ``element`` inherits: a path is merged only when its own or inherited fill is none."""
    fill = element.get("fill", fill)
    for child in element:
        _merge(child, fill)
    children: list[ET.Element] = []
    for child in element:
        previous = children[-1] if children else None
        if (
            previous is not None
            and child.tag == previous.tag == f"{{{SVG}}}path"
            and child.get("fill", fill) == "none"
            and "transform" not in child.attrib
            and "stroke-dasharray" not in child.attrib  # a dash pattern would run on from one line into the next
            and {k: v for k, v in child.attrib.items() if k != "d"}
            == {k: v for k, v in previous.attrib.items() if k != "d"}
        ):
            previous.set("d", previous.get("d", "") + child.get("d", ""))
            continue
        children.append(child)
    element[:] = children


def simplify_path(d: str) -> str:
    """An M/L path without repeated points or points in the middle of a straight run (the step lines)."""
    points: list[tuple[float, float]] = []
    texts: list[str] = []
    for part in d[1:].split("L"):
        x_text, _, y_text = part.partition(",")
        point = (float(x_text), float(y_text))
        if points and point == points[-1]:
            continue
        if len(points) >= 2 and _collinear(points[-2], points[-1], point):
            points[-1], texts[-1] = point, part
            continue
        points.append(point)
        texts.append(part)
    return "M" + "L".join(texts)


def _collinear(a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]) -> bool:
    """True when b lies on the straight line from a to c, between them (a run in one direction)."""
    cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    between = min(a[0], c[0]) <= b[0] <= max(a[0], c[0]) and min(a[1], c[1]) <= b[1] <= max(a[1], c[1])
    return abs(cross) < 1e-6 and between


def _unwrap(element: ET.Element) -> None:
    """Replace groups that carry no attributes by their children; drop groups left empty."""
    for child in list(element):
        _unwrap(child)
    children: list[ET.Element] = []
    for child in element:
        if child.tag == f"{{{SVG}}}g" and not child.attrib:
            children.extend(child)
        elif child.tag == f"{{{SVG}}}g" and len(child) == 0:
            continue
        else:
            children.append(child)
    element[:] = children


def _hoist(element: ET.Element) -> None:
    """Presentation attributes every child of a group shares are said once, on the group."""
    for child in element:
        _hoist(child)
    if element.tag != f"{{{SVG}}}g" or len(element) < 2:
        return
    for name in INHERITED:
        values = {child.get(name) for child in element}
        if len(values) == 1 and None not in values:
            for child in element:
                del child.attrib[name]
            element.set(name, values.pop() or "")
