"""PDSA markers on SPC charts: labelled vertical rules, listed in the text alternative."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from qiloop.charts import chart_text_alternative, spc_chart_spec, to_svg, to_vega
from qiloop.charts.palette import ANNOTATION
from qiloop.spc import spc

VALUES = [50, 52, 49, 51, 50, 48, 51, 50, 49, 52, 50, 51, 49, 50, 51, 62, 63, 64, 62, 65]
DATES = pd.date_range("2024-01-01", periods=len(VALUES), freq="MS")
MARKERS = [
    {"x": dt.date(2024, 3, 14), "label": "PDSA 1: recall letters", "kind": "pdsa"},
    {"x": DATES[15], "label": "PDSA 2: adopted", "kind": "change"},
]


@pytest.fixture(scope="module")
def result():
    return spc(VALUES, x=list(DATES), improvement="up", splits=[DATES[15]], measure_name="Reviews done")


def rules_of(spec: dict) -> list[dict]:
    return [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule" and "kind" in str(layer["data"])]


def test_markers_are_labelled_vertical_rules(result) -> None:
    spec = spc_chart_spec(result, title="Reviews done", markers=MARKERS)
    pdsa, change = rules_of(spec)
    assert pdsa["data"]["values"] == [
        {"x": "2024-03-14T00:00:00", "label": "PDSA 1: recall letters", "kind": "pdsa", "row": 0}
    ]
    assert pdsa["mark"]["strokeDash"] == [4, 3] and pdsa["mark"]["color"] == ANNOTATION
    assert change["data"]["values"][0]["x"] == "2025-04-01T00:00:00"
    assert "strokeDash" not in change["mark"]
    assert pdsa["encoding"]["x"]["type"] == "temporal"
    labels = [
        v["label"]
        for layer in spec["layer"]
        if layer["mark"]["type"] == "text"
        for v in layer.get("data", {}).get("values", [])
        if "kind" in v
    ]
    assert labels == ["PDSA 1: recall letters", "PDSA 2: adopted"]
    to_vega(spec)
    svg = to_svg(spec)
    assert "PDSA 1: recall letters" in svg


def test_kind_defaults_to_pdsa(result) -> None:
    spec = spc_chart_spec(result, markers=[{"x": "2024-05-01", "label": "PDSA 3"}])
    (rule,) = rules_of(spec)
    assert rule["data"]["values"][0]["kind"] == "pdsa"


def test_text_alternative_lists_the_markers(result) -> None:
    spec = spc_chart_spec(result, title="Reviews done", markers=MARKERS)
    description = spec["description"]
    assert description == chart_text_alternative(result, measure="Reviews done", markers=MARKERS)
    assert description.startswith(chart_text_alternative(result, measure="Reviews done"))
    assert description.endswith(
        "Marked on the chart (2 markers): PDSA 1: recall letters (2024-03-14); PDSA 2: adopted (2025-04-01)."
    )


def test_without_markers_nothing_changes(result) -> None:
    plain = spc_chart_spec(result, title="Reviews done")
    assert plain == spc_chart_spec(result, title="Reviews done", markers=None)
    assert plain == spc_chart_spec(result, title="Reviews done", markers=[])
    assert "Marked on the chart" not in plain["description"]
    assert not rules_of(plain)


def test_markers_after_annotations_take_the_next_label_row(result) -> None:
    spec = spc_chart_spec(result, annotations=[{"x": DATES[2], "label": "note"}], markers=MARKERS[:1])
    (rule,) = rules_of(spec)
    assert rule["data"]["values"][0]["row"] == 1


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ({"label": "no x"}, "marker 1 needs an 'x' and a 'label'"),
        ({"x": "2024-05-01", "label": "PDSA", "kind": "meeting"}, "kind 'meeting' is not one of pdsa, change"),
        ({"x": "not a date", "label": "PDSA"}, "marker 1: 'not a date' is not a value on the chart's x axis"),
    ],
)
def test_bad_markers_are_explained(result, marker, message) -> None:
    with pytest.raises(ValueError, match=message):
        spc_chart_spec(result, markers=[marker])
