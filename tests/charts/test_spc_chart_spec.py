"""SPC chart specs drawn from the real qiloop.spc.spc() results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from qiloop.charts import chart_text_alternative, spc_chart_spec, to_png, to_svg, to_vega
from qiloop.charts.palette import VARIATION_COLOURS
from qiloop.spc import spc

# 20 monthly values: a stable run, then a clear step up (special cause improvement when higher is better)
VALUES = [50, 52, 49, 51, 50, 48, 51, 50, 49, 52, 50, 51, 49, 50, 51, 62, 63, 64, 62, 65]
DATES = pd.date_range("2024-01-01", periods=len(VALUES), freq="MS")


@pytest.fixture(scope="module")
def improving():
    return spc(VALUES, x=list(DATES), chart="xmr", improvement="up", target=55, measure_name="Reviews done")


@pytest.fixture(scope="module")
def split():
    return spc(VALUES, x=list(DATES), chart="xmr", improvement="up", splits=[DATES[15]])


def layer_with(spec: dict, field: str, mark: str = "line") -> list[dict]:
    found = []
    for layer in spec["layer"]:
        mark_type = layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        if mark_type == mark and layer.get("encoding", {}).get("y", {}).get("field") == field:
            found.append(layer)
    return found


def test_spec_compiles_with_vega_lite(improving) -> None:
    spec = spc_chart_spec(improving, title="Reviews done", y_label="Reviews")
    assert spec["$schema"].endswith("vega-lite/v6.json")
    vega = to_vega(spec)
    assert vega["$schema"].startswith("https://vega.github.io/schema/vega/")
    assert vega["marks"]


def test_point_colours_follow_variation_class(improving) -> None:
    spec = spc_chart_spec(improving)
    (points,) = layer_with(spec, "y", mark="point")
    scale = points["encoding"]["color"]["scale"]
    palette = dict(zip(scale["domain"], scale["range"], strict=True))
    assert points["encoding"]["color"]["field"] == "variation_label"
    assert palette["Special cause: improvement"] == "#00B0F0"
    assert palette["Special cause: concern"] == "#E46C0A"
    assert palette["Common cause"] == "#A6A6A6"
    assert palette["Special cause: neither"] == "#490092"
    variations = improving.points["variation"].tolist()
    assert "special_cause_improvement" in variations  # the step up is flagged by the engine
    for record, variation in zip(spec["data"]["values"], variations, strict=True):
        assert record["variation"] == variation
        assert palette[record["variation_label"]] == VARIATION_COLOURS[variation]


def test_the_legend_sits_below_in_columns_that_fit_and_a_page_can_turn_it_off(improving) -> None:
    import re

    spec = spc_chart_spec(improving, width=600)
    assert spec["config"]["legend"]["orient"] == "bottom"
    for width, rows in ((600, 2), (300, 4)):
        svg = to_svg(spc_chart_spec(improving, width=width))
        legend = svg[svg.index('aria-roledescription="legend"') :]
        # each entry is a group placed at (x, y) inside the legend: count the distinct rows
        entries = re.findall(
            r'<g transform="translate\(([\d.]+),([\d.]+)\)">(?:<path[^>]*/>)?<g><g class="mark-symbol role-legend-symbol"',
            legend,
        )
        assert len(entries) == 4, entries
        assert len({y for _x, y in entries}) == rows, f"{rows} rows of legend at {width} px: {entries}"
    spec["config"]["legend"] = {"disable": True}  # what a page with its own key does (fit_to_column)
    assert 'aria-roledescription="legend"' not in to_svg(spec)
    assert 'aria-roledescription="legend"' not in to_svg(spc_chart_spec(improving, legend=False))


def test_phases_are_separate_segments(split) -> None:
    spec = spc_chart_spec(split)
    (centre,) = layer_with(spec, "cl")
    assert centre["encoding"]["detail"]["field"] == "phase"
    phases = {r["phase"] for r in spec["data"]["values"]}
    assert phases == {0, 1}
    centre_by_phase = {r["phase"]: r["cl"] for r in spec["data"]["values"]}
    assert centre_by_phase[0] != centre_by_phase[1]
    labels = [
        v["phase_label"]
        for layer in spec["layer"]
        for v in layer.get("data", {}).get("values", [])
        if "phase_label" in v
    ]
    assert labels == ["Phase 1", "Phase 2"]
    # compiled to Vega, every limit/centre line is faceted by phase: one path per phase
    grouped = [m for m in to_vega(spec)["marks"] if m.get("from", {}).get("facet", {}).get("groupby") == ["phase"]]
    assert len(grouped) == len(layer_with(spec, "cl") + layer_with(spec, "ucl") + layer_with(spec, "lcl")) + len(
        layer_with(spec, "ucl_2s") + layer_with(spec, "lcl_2s")
    )


def test_single_phase_has_no_phase_labels(improving) -> None:
    spec = spc_chart_spec(improving)
    assert not any("phase_label" in v for layer in spec["layer"] for v in layer.get("data", {}).get("values", []))


def test_two_sigma_lines_dashed_when_present(improving) -> None:
    spec = spc_chart_spec(improving)
    has_2s = improving.points["ucl_2s"].notna().any()
    layers = layer_with(spec, "ucl_2s")
    assert bool(layers) == bool(has_2s)
    if layers:
        assert layers[0]["mark"]["strokeDash"]


def test_target_and_annotations(improving) -> None:
    spec = spc_chart_spec(
        improving,
        annotations=[{"x": DATES[15], "label": "PDSA 1: recall letters"}, {"x": "2024-10-01", "label": "PDSA 2"}],
    )
    (target,) = layer_with(spec, "target", mark="rule")
    assert target["data"]["values"][0]["target"] == 55
    texts = [
        v["label"]
        for layer in spec["layer"]
        if layer["mark"]["type"] == "text"
        for v in layer.get("data", {}).get("values", [])
        if "label" in v
    ]
    assert "PDSA 1: recall letters" in texts and "PDSA 2" in texts
    to_vega(spec)


def test_bad_annotation_is_explained(improving) -> None:
    with pytest.raises(ValueError, match="annotation 1 needs"):
        spc_chart_spec(improving, annotations=[{"label": "no x"}])


def test_description_is_a_full_text_alternative(improving) -> None:
    spec = spc_chart_spec(improving, title="Reviews done")
    description = spec["description"]
    assert description == chart_text_alternative(improving, measure="Reviews done")
    assert description.startswith("XmR chart of Reviews done: 20 points, from 2024-01-01 to 2025-08-01.")
    assert improving.summary.sentence in description
    assert "centre line" in description.lower()
    subtitle = " ".join(spec["title"]["subtitle"])
    assert "Variation:" in subtitle


def test_run_chart_without_limits() -> None:
    result = spc(VALUES, chart="run")
    spec = spc_chart_spec(result)
    assert not layer_with(spec, "ucl")
    assert layer_with(spec, "cl")
    x_enc = layer_with(spec, "y", mark="point")[0]["encoding"]["x"]
    assert x_enc["type"] == "quantitative"
    assert x_enc["axis"]["format"] == "d"  # point numbers shown as whole numbers
    to_vega(spec)


def test_text_labels_keep_their_order() -> None:
    labels = ["Wk 10", "Wk 2", "Wk 3", "Wk 1"] * 4
    labels = [f"{label} #{i}" for i, label in enumerate(labels)]
    result = spc(VALUES[:16], x=labels, chart="run")
    spec = spc_chart_spec(result)
    x_enc = layer_with(spec, "y", mark="point")[0]["encoding"]["x"]
    assert x_enc["type"] == "ordinal" and x_enc["sort"] is None
    assert [r["x"] for r in spec["data"]["values"]] == labels


def test_svg_and_png_export(improving) -> None:
    spec = spc_chart_spec(improving, title="Reviews done")
    svg = to_svg(spec)
    assert "<svg" in svg
    assert "<desc>" in svg and "XmR chart of Reviews done" in svg
    png = to_png(spec, scale=1)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_p_chart_with_varying_limits_says_so() -> None:
    rng = np.random.default_rng(7)
    n = rng.integers(200, 400, 16)
    y = rng.binomial(n, 0.3)
    result = spc(y, n=n, chart="p")
    text = chart_text_alternative(result)
    assert text.startswith("P chart: 16 points")
    assert "vary with the denominator" in text
