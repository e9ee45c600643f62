"""The survey section chart: bars with intervals, national markers only where there is a figure, words."""

from __future__ import annotations

from qiloop.charts import survey_chart_spec, survey_chart_text, to_svg
from qiloop.charts.survey_chart import GP_MARK, PM_MARK

ROWS = [
    {"label": "Protected time", "percent": 80.0, "low": 49.0, "high": 94.3, "national_gp": 79, "national_pm": 55},
    {"label": "Driver diagrams", "percent": 10.0, "low": 1.8, "high": 40.4, "national_gp": None, "national_pm": None},
]


def test_bars_intervals_and_only_the_published_national_markers():
    spec = survey_chart_spec(ROWS, title="What helps")
    bars, names, halo, rules, markers = spec["layer"]
    assert halo["data"] == rules["data"] == names["data"] == bars["data"]
    assert names["encoding"]["text"] == {"field": "item"}
    assert bars["encoding"]["y"]["sort"] == ["Protected time", "Driver diagrams"]  # the order given
    assert [v["percent"] for v in bars["data"]["values"]] == [80.0, 10.0]
    assert [(v["low"], v["high"]) for v in rules["data"]["values"]] == [(49.0, 94.3), (1.8, 40.4)]
    assert [(m["who"], m["percent"]) for m in markers["data"]["values"]] == [(GP_MARK, 79), (PM_MARK, 55)]
    assert spec["description"] == survey_chart_text(ROWS, title="What helps")


def test_the_words_say_every_figure_and_when_there_is_no_national_one():
    text = survey_chart_text(ROWS, title="What helps")
    assert "Protected time: 80% (95% interval 49% to 94%); nationally GPs 79% and practice managers 55%" in text
    assert "Driver diagrams: 10% (95% interval 2% to 40%); no national figure" in text


def test_the_spec_draws():
    svg = to_svg(survey_chart_spec(ROWS))
    assert svg.startswith("<svg") and "Protected time" in svg
