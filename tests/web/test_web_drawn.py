"""The dashboard cards' charts drawn on the server (dashboard/drawn.py): smaller SVG that draws the same."""

from __future__ import annotations

import json
import random
import struct
import zlib

import pandas as pd
import pytest
import vl_convert

from qiloop.charts.palette import VEGA_LITE_VERSION
from qiloop.measures import all_measures
from qiloop_web.dashboard import drawn
from qiloop_web.dashboard.series import measure_chart


def pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """A PNG's width, height and RGBA rows (8-bit, not interlaced: what vl-convert writes)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    position, data, width, height = 8, b"", 0, 0
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        body = png[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _c, _f, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, colour, interlace) == (8, 6, 0)
        elif kind == b"IDAT":
            data += body
        position += 12 + length
    raw = zlib.decompress(data)
    stride = width * 4
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - 4] if i >= 4 else 0
            up = previous[i]
            corner = previous[i - 4] if i >= 4 else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def a_chart(measure_id: str = "pincer_a", months: int = 48, seed: int = 1):
    rng = random.Random(seed)
    series = pd.DataFrame(
        {
            "interval_start": pd.date_range("2022-04-01", periods=months, freq="MS"),
            "numerator": [round(900 * rng.uniform(0.05, 0.15) * (0.6 if 20 <= i < 30 else 1)) for i in range(months)],
            "denominator": [900] * months,
        }
    )
    return measure_chart(all_measures()[measure_id], series, element_id="x", small=True)


@pytest.mark.parametrize(("measure_id", "months"), [("pincer_a", 48), ("dna_rate", 18), ("appts_per_1000", 60)])
def test_the_compact_svg_draws_what_vl_convert_drew(measure_id, months):
    chart = a_chart(measure_id, months)
    spec = drawn.card_spec(chart.spec_json)
    original = vl_convert.vegalite_to_svg(spec, vl_version=VEGA_LITE_VERSION)
    small = drawn.draw_svg(spec, chart.text)
    assert len(small) < len(original) / 3  # a fraction of the size (a quarter or less on long series)
    box = small.split('viewBox="', 1)[1].split('"', 1)[0]
    width, height = (int(float(v)) for v in box.split()[2:])
    sized = small.replace("<svg ", f'<svg width="{width}" height="{height}" ', 1)
    w1, h1, before = pixels(vl_convert.svg_to_png(original, scale=1))
    w2, h2, after = pixels(vl_convert.svg_to_png(sized, scale=1))
    assert (w1, h1) == (w2, h2)

    # the same picture, but for anti-aliasing and for coordinates rounded to the pixel (lines may move by half a
    # pixel): a pixel has changed when no pixel within one pixel of it in the original has (nearly) its colour.
    # Colours over white (the original has a white background, the compact one none).
    old, new = [rgb(r) for r in before], [rgb(r) for r in after]
    changed = unmatched(new, old) + unmatched(old, new)  # both ways: something added, something lost
    drawn_pixels = sum(1 for row in old for colour in row if min(colour) < 215)
    assert drawn_pixels > 2000
    assert changed / drawn_pixels < 0.005, f"{changed} of {drawn_pixels} drawn pixels changed"


def unmatched(image: list[list[tuple[int, int, int]]], other: list[list[tuple[int, int, int]]]) -> int:
    """Pixels of ``image`` with no pixel of nearly their colour within one pixel of them in ``other``."""
    height, width = len(image), len(image[0])
    count = 0
    for y, row in enumerate(image):
        for x, colour in enumerate(row):
            near = (
                other[j][i]
                for j in range(max(y - 1, 0), min(y + 2, height))
                for i in range(max(x - 1, 0), min(x + 2, width))
            )
            if min(difference(colour, o) for o in near) > 64:
                count += 1
    return count


def rgb(row: bytes) -> list[tuple[int, int, int]]:
    """RGBA pixels composited over white."""
    return [
        tuple((row[i + c] * row[i + 3] + 255 * (255 - row[i + 3])) // 255 for c in range(3))  # type: ignore[misc]
        for i in range(0, len(row), 4)
    ]


def difference(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
    return max(abs(x - y) for x, y in zip(a, b, strict=True))


def test_the_svg_carries_its_text_alternative_and_nothing_per_mark():
    chart = a_chart()
    svg = drawn.draw_svg(drawn.card_spec(chart.spec_json), chart.text)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and 'role="img"' in svg.split(">", 1)[0]
    assert svg.split(">", 2)[1] == "<title"  # the title first
    assert json.loads(chart.spec_json)["description"] == chart.text
    assert f"<title>{chart.text}</title>" in svg.replace("&amp;", "&")
    for gone in ("aria-label", "aria-roledescription", 'class="', "<desc", "Special cause: improvement</text>"):
        assert gone not in svg  # no ARIA per mark, no class names, no legend
    assert 'width="' not in svg.split(">", 1)[0]  # scales to its column


def test_step_lines_keep_only_their_corners():
    assert drawn.simplify_path("M0,1L2,1L2,1L4,1L4,5L4,9L6,9") == "M0,1L4,1L4,9L6,9"
    assert drawn.simplify_path("M0,0L1,1L2,2L3,1") == "M0,0L2,2L3,1"
    assert drawn.simplify_path("M0,0L4,0L2,0") == "M0,0L4,0L2,0"  # a line that turns back keeps its turn


def test_rounding_keeps_signs_and_filled_shapes_are_not_merged():
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10">'
        '<g fill="none" transform="translate(-0.54,-22.149)"><path d="M0,0L1,1" stroke="#000"/>'
        '<path d="M2,0L3,1" stroke="#000"/></g>'
        '<g fill="#f00"><path d="M0,0L5,0L5,5Z"/><path d="M0,0L5,0L5,5Z"/></g></svg>'
    )
    out = drawn.compact(svg, "words")
    assert 'transform="translate(-0.5,-22.1)"' in out
    assert '<path d="M0,0L1,1M2,0L3,1"' in out  # unfilled lines drawn alike: one path
    assert out.count('d="M0,0L5,0L5,5Z"') == 2  # filled shapes: kept apart
