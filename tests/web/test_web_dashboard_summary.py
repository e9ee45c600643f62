"""The practice dashboard leads with what needs attention: the summary's order, the concerns-only filter
(with and without htmx), cards drawn on the server (size and structure, not time), how old the data are,
and no NHS logo anywhere."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from django.urls import reverse
from test_web_dashboard import latest_icons

from conftest import MEASURED
from qiloop.measures import all_measures
from qiloop_web.dashboard import pages, views

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr class="nhsuk-table__row qiloop-summary__(\w+)" data-measure="([^"]+)">')
NHS_LOGO_PATH = "M200 0v80H0V0h200Z"  # the start of the NHS logo's outline in nhsuk-frontend's header


def summary_in(html: str) -> list[tuple[str, str]]:
    """The summary table's rows in order: (what the latest month says, measure id)."""
    table = re.search(r'<div id="summary">(.*?)</div>', html, re.S)
    assert table, "the page has no summary"
    return [(change, measure) for change, measure in ROW.findall(table.group(1))]


def drawn_in(html: str) -> list[str]:
    return re.findall(r'<figure class="qiloop-chart qiloop-chart--drawn" data-measure="([^"]+)">', html)


def changes_by_spc(measured) -> dict[str, str]:
    """Independently of the pages (the chosen chart, then the SPC engine: test_web_dashboard.latest_icons):
    what A00001's latest month says, per measured measure."""
    return {m: next((c for w, c in WORDS if w in icon), "common") for m, icon in latest_icons(measured).items()}


WORDS = [("concerning", "concern"), ("improving", "improvement"), ("neither", "neither")]
RANK = {"concern": 0, "improvement": 1, "neither": 2, "common": 3}


def test_the_summary_lists_concerns_first_then_improvements_then_the_rest(client, universe, measured):
    client.force_login(universe.people["gp"])
    html = client.get(reverse("dashboard:practice", args=["A00001"])).content.decode()
    rows = summary_in(html)
    assert sorted(m for _c, m in rows) == sorted(pages.shown_measures())  # every measure shown, once
    expected = changes_by_spc(measured)
    for change, measure_id in rows:
        assert change == expected.get(measure_id, "common"), measure_id
    ranks = [RANK[change] for change, _m in rows]
    assert ranks == sorted(ranks)
    assert any(r < 3 for r in ranks), "the synthetic data should have some special cause"
    # the summary comes before the cards, and each row links to its measure page
    assert html.index('<div id="summary">') < html.index('<div id="chart-grid">')
    for _change, measure_id in rows:
        assert reverse("dashboard:measure", args=["A00001", measure_id]) in html


def test_summary_order_with_every_kind_of_change(universe, measured):
    """Concerns, improvements, special cause without a direction, the rest; in the dashboard's order within each."""
    loaded = pages.results()
    measures = all_measures()
    given = ["", "improvement", "concern", "neither", "concern", "", "improvement"]
    cards = []
    for measure_id, change in zip(MEASURED, given, strict=True):
        chart = pages.practice_chart(loaded, "A00001", measures[measure_id], small=True)
        cards.append(pages.Card(measures[measure_id], dataclasses.replace(chart, changed=change)))
    rows = pages.summary_rows(loaded, "A00001", cards)
    assert [r.measure.id for r in rows] == [
        MEASURED[2],
        MEASURED[4],
        MEASURED[1],
        MEASURED[6],
        MEASURED[3],
        MEASURED[0],
        MEASURED[5],
    ]


@pytest.mark.parametrize("htmx", [False, True])
def test_only_concerns_keeps_the_concerns_in_the_summary_and_the_cards(client, universe, measured, htmx):
    expected = {m for m, change in changes_by_spc(measured).items() if change == "concern"}
    client.force_login(universe.people["gp"])
    url = reverse("dashboard:practice", args=["A00001"])
    response = client.get(url, {"show": "concerns"}, headers={"HX-Request": "true"} if htmx else {})
    html = response.content.decode()
    assert ("<html" in html) is not htmx and "HX-Request" in response["Vary"]
    if htmx:  # the cards for #chart-grid, and the summary and the status line as partials
        summary = re.search(r'<hx-partial hx-target="#summary" hx-swap="innerHTML">(.*?)</hx-partial>', html, re.S)
        assert summary
        rows = ROW.findall(summary.group(1))
        status = re.search(r'<hx-partial hx-target="#grid-status" hx-swap="innerHTML">(.*?)</hx-partial>', html, re.S)
        assert status and "with a concern in the latest month" in status.group(1)
    else:
        rows = [(c, m) for c, m in summary_in(html)]
        assert 'id="show-concerns" name="show" type="radio" value="concerns" checked' in html
        assert "with a concern in the latest month" in html
    assert {m for _c, m in rows} == expected and {c for c, _m in rows} <= {"concern"}
    assert set(drawn_in(html)) == expected
    if not expected:
        assert "no measure shows a concern in the latest month" in html


def test_an_unknown_filter_shows_everything(client, universe, measured):
    client.force_login(universe.people["gp"])
    html = client.get(reverse("dashboard:practice", args=["A00001"]), {"show": "<script>"}).content.decode()
    assert len(summary_in(html)) == len(pages.shown_measures()) and "<script>" not in html.split("</header>", 1)[1]


def test_the_dashboard_is_drawn_on_the_server_and_small(client, universe, measured):
    """Size and structure, not time: no chart is left for the browser to draw, every drawing has its words."""
    client.force_login(universe.people["gp"])
    html = client.get(reverse("dashboard:practice", args=["A00001"])).content.decode()
    assert "vega" not in html.lower() and "data-vega-spec" not in html  # no vega-embed, no specs, no chart scripts
    assert re.findall(r'<script[^>]* src="([^"]+)"', html) == [
        "/static/qiloop/js-enabled.js",
        "/static/qiloop/init.js",
        "/static/htmx/htmx.min.js",
    ]
    svgs = re.findall(
        r'<figure class="qiloop-chart qiloop-chart--drawn" data-measure="[^"]+">(<svg .*?</svg>)', html, re.S
    )
    assert len(svgs) == len(MEASURED)  # the other library measures have no results in the test store
    for svg in svgs:
        opening = svg.split(">", 1)[0]
        assert 'role="img"' in opening and "viewBox" in opening and "width=" not in opening
        title = re.search(r"<svg [^>]*><title>([^<]{40,})</title>", svg)
        assert title, "each drawing carries its text alternative first"
    # on the demo (38 measures with charts) the budget is 250 KB; here: the page without its drawings stays small,
    # and each drawing is small enough for 38 of them to fit
    assert len(html.encode()) - sum(len(s.encode()) for s in svgs) < 100_000
    assert max(len(s.encode()) for s in svgs) < 5_500


def test_old_data_are_said_on_the_dashboard_and_the_network_view(client, universe, measured, monkeypatch):
    results = pd.read_parquet(measured[1] / "results.parquet")
    last = pd.Timestamp(results["interval_end"].max()).date()
    client.force_login(universe.people["network_qi_lead"])
    gp = universe.people["gp"]
    for today, shown in ((last + dt.timedelta(days=250), True), (last + dt.timedelta(days=20), False)):
        monkeypatch.setattr(views.timezone, "localdate", lambda today=today: today)
        network = client.get(reverse("dashboard:network", args=["QPCN1"])).content.decode()
        client.force_login(gp)
        dashboard = client.get(reverse("dashboard:practice", args=["A00001"])).content.decode()
        client.force_login(universe.people["network_qi_lead"])
        months = (today.year - last.year) * 12 + today.month - last.month - (today.day < last.day)
        sentence = f"Data to {last.day} {last:%B %Y} — {months} months old; import a newer extract."
        for html in (network, dashboard):
            assert (sentence in html) is shown
            assert ("<strong>Old data.</strong>" in html) is shown


def test_no_page_carries_the_nhs_logo(client, universe, measured):
    """The NHS identity guidelines keep the NHS logo for NHS organisations: qiloop shows its own name and mark."""
    anonymous = client.get(reverse("accounts:sign-in")).content.decode()
    client.force_login(universe.people["gp"])
    seen = [anonymous]
    for url in (
        reverse("home"),
        reverse("dashboard:practice", args=["A00001"]),
        reverse("dashboard:measure", args=["A00001", "dna_rate"]),
        reverse("dashboard:action-list", args=["A00001", "dna_rate"]),
        "/no-such-page/",
    ):
        seen.append(client.get(url).content.decode())
    client.force_login(universe.people["network_qi_lead"])
    seen.append(client.get(reverse("dashboard:network", args=["QPCN1"])).content.decode())
    for html in seen:
        assert NHS_LOGO_PATH not in html and "nhsuk-header__logo" not in html and 'aria-label="NHS"' not in html
        assert "nhsuk/assets/images/favicon" not in html
    for html in seen[:-1]:
        if "<header" in html:
            assert 'class="qiloop-mark"' in html and '<span class="nhsuk-header__service-name">qiloop</span>' in html
    templates = Path(views.__file__).parents[1]
    for template in templates.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert NHS_LOGO_PATH not in text and "nhsuk-header__logo" not in text, template


@pytest.mark.parametrize(
    ("values", "low_is_good", "expected"),
    [
        ([10, 11, 9, 10, 11, 9, 10, 12, 14, 16, 18, 20], False, ("rising", True)),  # steadily up, high is good
        ([10, 11, 9, 10, 11, 9, 10, 12, 14, 16, 18, 20], True, ("rising", False)),  # the same when low is good
        ([20, 19, 21, 20, 18, 16, 14, 12, 10, 8], True, ("falling", True)),
        ([10, 14, 8, 12, 9, 13, 10, 12, 9, 11], False, ("level", None)),  # noise, no direction
        ([5, 5, 5, 5, 5, 5], False, ("level", None)),  # constant
        ([10, math.nan, 11, math.nan, 13, 15, 17, 19, 21], False, ("rising", True)),  # gaps skipped
    ],
)
def test_trend_arrow_from_the_last_points(values, low_is_good, expected):
    trend = pages.trend_of([float(v) for v in values], low_is_good=low_is_good)
    assert trend is not None and (trend.direction, trend.better) == expected
    assert trend.arrow == {"rising": "↑", "falling": "↓", "level": "→"}[expected[0]]


def test_trend_needs_a_few_points():
    assert pages.trend_of([1.0, 2.0, 3.0], low_is_good=False) is None
    assert pages.trend_of([1.0, math.nan, math.nan, math.nan, math.nan, math.nan, 2.0, 3.0], low_is_good=False) is None
    assert pages.trend_of([1.0, 2.0, 3.0, 4.0], low_is_good=False) is not None


def test_audit_variants_live_on_the_audit_pages_not_the_dashboard():
    """A clinical audit's criterion turned round from a PINCER indicator would show the same care twice, one of
    them upside down: dashboards and network views leave the audit variants out."""
    from qiloop.measures import all_measures
    from qiloop_web.dashboard import pages

    variants = {key for key, m in all_measures().items() if "audit" in m.tags}
    assert variants >= {"pincer_a_audit", "pincer_me_fbc_audit", "pincer_me_lft_audit"}
    assert not variants & set(pages.measures_ids())
    shown = {m.id for ms in pages.measures_by_topic().values() for m in ms}
    assert not variants & shown and "pincer_a" in shown and "dna_rate_all" in shown
