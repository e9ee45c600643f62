"""Funnel plot specs: compile, colour outliers, anonymise labels unless allowed."""

from __future__ import annotations

import pytest

from qiloop.charts import funnel_chart_spec, to_png, to_svg, to_vega
from qiloop.spc.funnel import funnel

NUM = [10, 12, 11, 9, 40, 10, 0, 11]
DEN = [100] * 4 + [100, 120, 100, 110]
LABELS = ["Oak", "Elm", "Ash", "Yew", "Fir", "Bay", "Box", "Pine"]


@pytest.fixture(scope="module")
def result():
    return funnel(NUM, DEN, labels=LABELS, unit_name="practices")


def data_values(spec: dict) -> list[dict]:
    return [v for layer in spec["layer"] for v in layer.get("data", {}).get("values", [])]


def test_compiles_and_has_limit_curves_and_target(result) -> None:
    spec = funnel_chart_spec(result)
    to_vega(spec)
    levels = {v["level"] for v in data_values(spec) if "level" in v}
    assert levels == {"95% limits", "99.8% limits"}
    targets = [v["target"] for v in data_values(spec) if "target" in v]
    assert targets == [pytest.approx(sum(NUM) / sum(DEN))]


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
    text_layers = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert len(text_layers) == 1
    assert sorted(v["label"] for v in text_layers[0]["data"]["values"]) == ["Box", "Fir"]


def test_description_and_export(result) -> None:
    spec = funnel_chart_spec(result, title="Smoking status recorded")
    assert spec["description"].startswith("Funnel plot of Smoking status recorded for 8 practices")
    assert result.summary.sentence in spec["description"]
    svg = to_svg(spec)
    assert "<svg" in svg and "Funnel plot of Smoking status recorded" in svg
    assert to_png(spec, scale=1)[:8] == b"\x89PNG\r\n\x1a\n"
