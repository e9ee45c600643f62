"""qiloop.charts.fit: a chart spec fitted to a page's column or to a fixed-size picture."""

from __future__ import annotations

import doctest

import pandas as pd

from qiloop.charts import at_fixed_size, fit, fit_to_column, spc_chart_spec
from qiloop.spc import spc


def test_the_doctests() -> None:
    assert doctest.testmod(fit).failed == 0


def _spec() -> dict:
    x = list(pd.date_range("2024-04-01", periods=24, freq="MS"))
    result = spc([float(10 + i % 5) for i in range(24)], x=x, chart="xmr", improvement="up")
    return spc_chart_spec(result, title="Reviews done", y_label="%", width=560, height=300)


def test_a_page_column_keeps_the_legend_unless_the_page_has_its_own_key() -> None:
    with_legend, without = _spec(), _spec()
    fit_to_column(with_legend)
    fit_to_column(without, legend=False)
    for spec in (with_legend, without):
        assert spec["width"] == "container"
        assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
        assert "title" not in spec
    assert with_legend["config"].get("legend", {}).get("disable") is not True
    assert without["config"]["legend"]["disable"] is True


def test_a_fixed_size_picture_is_a_copy_with_no_legends_or_aria() -> None:
    spec = _spec()
    fit_to_column(spec)
    fixed = at_fixed_size(spec, width=440, height=150)
    assert (fixed["width"], fixed["height"]) == (440, 150)
    assert "autosize" not in fixed and fixed["config"]["aria"] is False and fixed["config"]["background"] is None
    legends = [
        layer["encoding"][channel].get("legend", "kept")
        for layer in fixed["layer"]
        for channel in ("color", "fill", "stroke", "shape", "opacity", "strokeDash")
        if isinstance(layer.get("encoding", {}).get(channel), dict) and "field" in layer["encoding"][channel]
    ]
    assert legends and all(legend is None for legend in legends)
    assert spec["width"] == "container" and "aria" not in spec["config"], "the page's spec is left as it was"
