"""Charts as Vega-Lite specifications (plain dicts), with text alternatives and static export.

* :func:`spc_chart_spec` — an SPC chart from :func:`qiloop.spc.spc`'s result;
* :func:`funnel_chart_spec` — a funnel plot from :func:`qiloop.spc.funnel.funnel`;
* :func:`monthly_stacked_bar_spec` — monthly figures stacked by group (QI time by role);
* :func:`survey_chart_spec` — a staff survey section: % with intervals beside the national figures;
* :func:`fit_to_column`, :func:`at_fixed_size` — a spec fitted to a page's column or a fixed-size picture;
* :func:`chart_text_alternative` — the words a screen reader reads instead;
* :func:`to_svg`, :func:`to_png`, :func:`to_vega` — export through vl-convert.

No Django: the web app embeds the same dicts with vega-embed.
"""

from qiloop.charts.bar_chart import monthly_stacked_bar_spec
from qiloop.charts.export import to_png, to_svg, to_vega
from qiloop.charts.fit import at_fixed_size, fit_to_column
from qiloop.charts.funnel_chart import funnel_chart_spec
from qiloop.charts.spc_chart import spc_chart_spec
from qiloop.charts.survey_chart import survey_chart_spec, survey_chart_text
from qiloop.charts.text import chart_text_alternative

__all__ = [
    "at_fixed_size",
    "chart_text_alternative",
    "fit_to_column",
    "funnel_chart_spec",
    "monthly_stacked_bar_spec",
    "spc_chart_spec",
    "survey_chart_spec",
    "survey_chart_text",
    "to_png",
    "to_svg",
    "to_vega",
]
