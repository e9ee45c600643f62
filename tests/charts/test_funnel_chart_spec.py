"""Funnel plot specs: compile, colour outliers, anonymise labels unless allowed."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from qiloop.charts import funnel_chart_spec, to_png, to_svg, to_vega
from qiloop.charts.funnel_chart import label_bands
from qiloop.spc.funnel import funnel

NUM = [10, 12, 11, 9, 40, 10, 0, 11]
DEN = [100] * 4 + [100, 120, 100, 110]
LABELS = ["Oak", "Elm", "Ash", "Yew", "Fir", "Bay", "Box", "Pine"]


@pytest.fixture(scope="module")
def result():
    return funnel(NUM, DEN, labels=LABELS, unit_name="practices")


def data_values(spec: dict) -> list[dict]:
    return [v for layer in spec["layer"] for v in layer.get("data", {}).get("values", [])]


def text_layers(spec: dict) -> list[dict]:
    """The label layers that draw text (each label has a white halo layer under it, drawn from the same rows)."""
    return [layer for layer in spec["layer"] if layer["mark"]["type"] == "text" and "stroke" not in layer["mark"]]


def label_texts(spec: dict) -> list[str]:
    return [row["text"] for layer in text_layers(spec) for row in layer["data"]["values"]]


def test_compiles_and_has_limit_curves_and_the_centre_line(result) -> None:
    spec = funnel_chart_spec(result)
    to_vega(spec)
    levels = {v["level"] for v in data_values(spec) if "level" in v}
    assert levels == {"95% limits", "99.8% limits"}
    centres = [v["centre"] for v in data_values(spec) if "centre" in v]
    assert centres == [pytest.approx(sum(NUM) / sum(DEN))]


def test_outside_points_are_highlighted(result) -> None:
    spec = funnel_chart_spec(result)
    points = [v for v in data_values(spec) if "status" in v]
    outside = [p["value"] for p in points if p["status"] == "outside"]
    flagged = result.units.loc[result.units["outside_99_8"], "value"].tolist()
    assert sorted(outside) == sorted(flagged) and len(flagged) == 2


def test_labels_anonymised_by_default(result) -> None:
    spec = funnel_chart_spec(result)
    text = str(spec)
    for name in LABELS:
        assert f"'{name}'" not in text
    assert [p["label"] for p in data_values(spec) if "status" in p] == [f"Unit {i}" for i in range(1, 9)]
    assert not any(layer["mark"]["type"] == "text" for layer in spec["layer"])


def test_labels_shown_for_outliers_when_allowed(result) -> None:
    spec = funnel_chart_spec(result, show_labels=True)
    assert sorted(label_texts(spec)) == ["Box", "Fir"]


def test_description_and_export(result) -> None:
    spec = funnel_chart_spec(result, title="Smoking status recorded")
    assert spec["description"].startswith("Funnel plot of Smoking status recorded for 8 practices")
    assert result.summary.sentence in spec["description"]
    svg = to_svg(spec)
    assert "<svg" in svg and "Funnel plot of Smoking status recorded" in svg
    assert to_png(spec, scale=1)[:8] == b"\x89PNG\r\n\x1a\n"


# -- names, labels that never collide, a highlighted practice ------------------------------------------------

ZERO_NUM = [0, 0, 0, 0, 0, 0, 30, 32, 28, 35, 31, 29, 33, 40, 60, 30]
ZERO_DEN = [400, 405, 410, 420, 430, 440, 300, 320, 280, 350, 310, 290, 330, 400, 300, 310]
ZERO_LABELS = [f"Practice {c}" for c in "ABCDEFGHIJKLMNOP"]


@pytest.fixture(scope="module")
def zeros():
    """Six practices of similar size at 0%, all below the limits: their labels would sit on top of each other."""
    return funnel(ZERO_NUM, ZERO_DEN, labels=ZERO_LABELS, scale="arcsine", multiplier=100,
                  centre_label="network average", unit_name="practices")  # fmt: skip


def label_boxes(spec: dict, width: float) -> list[tuple[float, float, float, float]]:
    """Each label's box in pixels at a chart ``width`` (left, top, right, bottom), from the spec's fixed domains:
    the text is 0.62 × font size per character wide (wider than Liberation Sans' average) and a font size high."""
    x_domain = spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    y_domain = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    height = spec["height"]
    boxes = []
    for layer in text_layers(spec):
        mark = layer["mark"]
        for row in layer["data"]["values"]:
            x = (row["denominator"] - x_domain[0]) / (x_domain[1] - x_domain[0]) * width + mark["dx"]
            y = (y_domain[1] - row["label_y"]) / (y_domain[1] - y_domain[0]) * height
            wide = len(row["text"]) * 0.62 * mark["fontSize"]
            left = x if mark["align"] == "left" else x - wide
            boxes.append((left, y - mark["fontSize"] / 2, left + wide, y + mark["fontSize"] / 2))
    return boxes


def overlaps(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("width", [280, 375, 560, 1280])
def test_labels_of_a_cluster_at_zero_never_collide(zeros, width) -> None:
    assert zeros.summary.n_below == 6
    for height in (200, 360):
        spec = funnel_chart_spec(zeros, show_labels=True, width=width, height=height)
        assert sorted(label_texts(spec)) == sorted(zeros.units.loc[zeros.units["outside_99_8"], "label"])
        boxes = label_boxes(spec, width)
        for i, a in enumerate(boxes):
            assert a[1] >= 0 and a[3] <= height, "labels stay inside the plot"
            for b in boxes[i + 1 :]:
                assert not overlaps(a, b), (a, b)


def test_rendered_labels_sit_in_separate_rows(zeros) -> None:
    """The drawing itself (vl-convert's SVG): every label's baseline at least a font size from every other's."""
    svg = to_svg(funnel_chart_spec(zeros, show_labels=True, width=375, height=200))
    rows = re.findall(r'<text[^>]*transform="translate\(([-\d.]+),([-\d.]+)\)"[^>]*>(Practice [A-P])</text>', svg)
    drawn: dict[str, float] = {}
    for _x, y, text in rows:
        drawn[text] = float(y)  # the halo and the text share a position
    assert sorted(drawn) == sorted(zeros.units.loc[zeros.units["outside_99_8"], "label"])
    ys = sorted(drawn.values())
    assert min(b - a for a, b in zip(ys, ys[1:], strict=False)) >= 11


def test_label_bands_keep_order_and_stay_in_the_plot() -> None:
    bands = label_bands([100.0, 100.0, 100.0, 355.0, 358.0], height=360)
    assert bands[:3] == [100.0, 114.0, 128.0]
    assert bands[3:] == [339.0, 353.0]  # pushed back up from the bottom edge
    assert label_bands([0.0], height=360) == [7.0]


def test_the_centre_line_is_the_network_average_never_a_target(zeros) -> None:
    spec = funnel_chart_spec(zeros, title="Oral NSAID", y_label="%", show_labels=True)
    words = json.dumps(spec, ensure_ascii=False)
    assert "target" not in words.lower()
    assert "network average" in spec["description"] and "network average" in spec["title"]["subtitle"][0]
    centre = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "rule" and "centre" in str(layer))
    assert centre["encoding"]["tooltip"][0]["title"] == "Network average"
    # A funnel around a given target still says "target".
    targeted = funnel(ZERO_NUM, ZERO_DEN, target=0.05)
    assert "target" in funnel_chart_spec(targeted)["description"]


def test_the_adjustment_is_named_on_the_chart() -> None:
    rng = np.random.default_rng(5)
    den = rng.integers(200, 2000, 20)
    num = rng.binomial(den, rng.beta(20, 80, 20))
    adjusted = funnel(num, den, scale="arcsine", overdispersion="additive", dispersion_alpha=0.05)
    assert adjusted.summary.overdispersion_applied
    x_title = funnel_chart_spec(adjusted, x_label="Patients in the denominator, March 2026")["layer"][0]["encoding"]
    assert x_title["x"]["title"][0] == "Patients in the denominator, March 2026"
    assert x_title["x"]["title"][1].startswith("Limits widened for overdispersion: additive random effects (τ² = ")
    multiplicative = funnel(num, den, scale="arcsine", overdispersion="multiplicative", dispersion_alpha=0.05)
    assert "multiplicative" in funnel_chart_spec(multiplicative)["title"]["subtitle"][0]
    plain = funnel(num, den, scale="arcsine")
    assert "without overdispersion adjustment" in funnel_chart_spec(plain)["title"]["subtitle"][0]


def test_values_and_limits_stay_within_0_and_100_percent(zeros) -> None:
    spec = funnel_chart_spec(zeros, y_label="%")
    low, high = spec["layer"][0]["encoding"]["y"]["scale"]["domain"]
    assert low >= 0 and high <= 100
    small = funnel([10, 0, 5], [10, 10, 10], multiplier=100)  # points at 0% and 100%: the padding stops there
    low, high = funnel_chart_spec(small)["layer"][0]["encoding"]["y"]["scale"]["domain"]
    assert (low, high) == (0, 100)


def test_a_highlighted_practice_is_the_only_one_named(zeros) -> None:
    spec = funnel_chart_spec(zeros, highlight="Practice M", show_labels=True)
    words = json.dumps(spec)
    for name in ZERO_LABELS:
        assert name not in words
    points = [v for v in data_values(spec) if "status" in v]
    assert [p["label"] for p in points if p["status"] == "highlight"] == ["Your practice"]
    assert {p["label"] for p in points if p["status"] != "highlight"} == {"Another practice"}
    assert label_texts(spec) == ["Your practice"]
    to_vega(spec)
