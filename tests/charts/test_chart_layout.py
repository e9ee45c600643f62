"""qiloop.charts.layout and how spc_chart_spec uses it: hand-worked domains, formats and label room."""

from __future__ import annotations

import pandas as pd
import pytest

from qiloop.charts import layout, spc_chart_spec, to_svg
from qiloop.charts.spc_chart import infer_y_kind
from qiloop.spc import spc


def test_a_percentage_axis_never_leaves_0_to_100() -> None:
    scale, axis = layout.value_scale([-5.0, 40.0, 96.0, 110.0], "percent")
    assert scale["domain"] == [0.0, 100.0]
    assert axis["labelExpr"] == "format(datum.value, '.0~f') + '%'"


def test_room_is_5_percent_of_the_span_each_side() -> None:
    scale, _axis = layout.value_scale([10.0, 30.0], "percent")
    assert scale["domain"] == pytest.approx([9.0, 31.0])
    scale, _axis = layout.value_scale([1.0, 3.0], "count")
    assert scale["domain"] == pytest.approx([0.9, 3.1])


def test_a_run_of_zeros_still_gets_an_axis() -> None:
    scale, axis = layout.value_scale([0.0, 0.0, None], "percent")
    assert scale["domain"] == [0.0, 5.0]
    assert "'.0~f'" in axis["labelExpr"]
    scale, _axis = layout.value_scale([100.0, 100.0], "percent")
    assert scale["domain"] == [90.0, 100.0]  # room: 10% of the value (or 5 points), then clipped at 100
    scale, _axis = layout.value_scale([], "count")
    assert scale["domain"] == [0.0, 1.0]


def test_counts_and_rates_never_go_below_0_but_values_may() -> None:
    assert layout.value_scale([-3.0, 4.0], "count")[0]["domain"][0] == 0.0
    assert layout.value_scale([-3.0, 4.0], "rate")[0]["domain"][0] == 0.0
    assert layout.value_scale([-3.0, 4.0], "value")[0]["domain"][0] == pytest.approx(-3.35)


@pytest.mark.parametrize(
    ("span", "kind", "expr"),
    [
        (40, "percent", "format(datum.value, '.0~f') + '%'"),
        (2, "percent", "format(datum.value, '.1~f') + '%'"),
        (0.2, "percent", "format(datum.value, '.2~f') + '%'"),
        (0.3, "proportion", "format(datum.value, '.0~%')"),
        (0.02, "proportion", "format(datum.value, '.1~%')"),
        (1200, "count", "format(datum.value, ',.0~f')"),
        (5, "value", "format(datum.value, ',.0~f')"),
        (4.9, "value", "format(datum.value, ',.1~f')"),
        (0.003, "value", "format(datum.value, ',.4~f')"),
    ],
)
def test_tick_labels_have_the_decimals_the_span_needs(span, kind, expr) -> None:
    assert layout.tick_label_expr(span, kind) == expr


def test_clip_and_format_value() -> None:
    assert layout.clip(-2.5, "percent") == 0.0 and layout.clip(104.0, "percent") == 100.0
    assert layout.clip(1.2, "proportion") == 1.0 and layout.clip(None, "count") is None
    assert layout.clip(-2.5, "value") == -2.5
    assert layout.format_value(0.1, "proportion") == "10%" and layout.format_value(80.0, "percent") == "80%"
    with pytest.raises(ValueError, match="y_kind 'percentage' is not one of percent, proportion"):
        layout.bounds("percentage")


def test_time_axes_show_the_year_and_at_most_one_tick_per_20_days() -> None:
    months = list(pd.date_range("2022-04-01", periods=48, freq="MS"))
    axis = layout.time_axis(months)
    span = (months[-1] - months[0]).days
    assert axis["format"] == "%b %Y"
    assert axis["tickCount"] == {"expr": f"max(2, min(floor(width / 80), {span // 20}))"}
    days = list(pd.date_range("2026-03-01", periods=30, freq="D"))
    assert layout.time_axis(days)["format"] == "%-d %b %Y"
    assert layout.time_axis(days)["tickCount"] == {"expr": "max(2, min(floor(width / 100), 29))"}


def test_labels_in_a_row_share_the_plot_without_overlapping() -> None:
    x_enc = {"field": "x", "type": "quantitative"}
    values = [{"x": x, "label": f"PDSA {x}", "row": 0} for x in (0, 25, 50, 95)]
    layers = layout.label_layers(values, x_enc, [0, 100], rows=1, colour="#005EB8", y=2)
    rooms = [(layer["mark"]["align"], layer["mark"]["limit"]["expr"]) for layer in layers]
    assert rooms == [
        ("left", "max(1, 0.2500 * width - 8)"),
        ("left", "max(1, 0.2500 * width - 8)"),
        ("left", "max(1, 0.2250 * width - 8)"),  # up to halfway to the last, which runs leftwards
        ("right", "max(1, 0.2250 * width - 8)"),
    ]
    assert [layer["mark"]["dx"] for layer in layers] == [3, 3, 3, -3]


def test_infer_y_kind() -> None:
    assert infer_y_kind("xmr", "%", [1, 2]) == "percent"
    assert infer_y_kind("xmr", "Per 1,000", [1, 2]) == "rate"
    assert infer_y_kind("p", "", [0.1, 0.2]) == "proportion"
    assert infer_y_kind("p", "", [10, 20]) == "percent"
    assert infer_y_kind("c", "Falls", [1, 2]) == "count"
    assert infer_y_kind("xmr", "Days", [1, 2]) == "value"


def test_limits_beyond_what_is_possible_are_drawn_at_the_bound() -> None:
    months = list(pd.date_range("2024-01-01", periods=20, freq="MS"))
    result = spc([1.0, 4.0] * 10, x=months, improvement="down")
    assert result.points["lcl"].min() < 0  # the engine's own limit, unclipped
    spec = spc_chart_spec(result, y_label="%")
    assert min(r["lcl"] for r in spec["data"]["values"]) == 0.0
    assert result.points["lcl"].min() < 0  # the result itself is not changed
    raw = spc_chart_spec(result, y_label="Difference", y_kind="value")
    assert min(r["lcl"] for r in raw["data"]["values"]) < 0
    with pytest.raises(ValueError, match="y_kind"):
        spc_chart_spec(result, y_kind="percentage")
    assert "0.000000" not in to_svg(spc_chart_spec(spc([0.0] * 20, x=months), y_label="%"))
