"""The dashboard, measure, action-list and network pages, checked against the library's own answers."""

from __future__ import annotations

import html as html_lib
import io
import json
import re

import pandas as pd
import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from conftest import MEASURED
from qiloop.measures import action_list, all_measures
from qiloop.spc import spc
from qiloop_web.audit.models import AuditEvent
from qiloop_web.dashboard import pages

pytestmark = pytest.mark.django_db


def specs_in(html: str) -> dict[str, dict]:
    """Every chart spec embedded in a page, by element id."""
    found = re.findall(r'<script type="application/json" id="([^"]+)-spec">(.*?)</script>', html, flags=re.S)
    return {element: json.loads(text) for element, text in found}


def drawn_in(html: str) -> dict[str, str]:
    """Every chart drawn on the server (an inline SVG in a card), by measure id."""
    found = re.findall(
        r'<figure class="qiloop-chart qiloop-chart--drawn" data-measure="([^"]+)">(<svg .*?</svg>)', html, re.S
    )
    return {measure: svg for measure, svg in found}


def results_of(measured) -> pd.DataFrame:
    return pd.read_parquet(measured[1] / "results.parquet")


def test_dashboard_groups_measures_by_topic_with_a_chart_and_its_words_each(client, universe, measured):
    client.force_login(universe.people["receptionist"])
    html = client.get(reverse("dashboard:practice", args=["A00001"])).content.decode()
    for heading in ("Prescribing safety", "Access and continuity", "Long-term conditions"):
        assert f"<h2>{heading}</h2>" in html
    assert specs_in(html) == {}  # no chart drawn in the browser: every card's chart is drawn on the server
    assert "vega-embed" not in html and "data-vega-spec" not in html
    drawn = drawn_in(html)
    assert set(drawn) == set(MEASURED)
    loaded = pages.results()
    for measure_id, svg in drawn.items():
        assert svg.startswith("<svg ") and 'role="img"' in svg.split(">", 1)[0]
        spec = json.loads(pages.practice_chart(loaded, "A00001", all_measures()[measure_id], small=True).spec_json)
        title = re.search(r"<title>(.*?)</title>", svg, re.S)
        assert title and html_lib.unescape(title.group(1)) == spec["description"]  # the spec's text alternative
        assert "<circle" not in svg and svg.count("<path") >= 4  # drawn: limits, centre line, data line, points
        assert len(svg) < 6_000, f"{measure_id}: {len(svg):,} characters"
    assert "patient_id" not in html  # aggregates only


def test_topic_filter_keeps_one_topic(client, universe, measured):
    client.force_login(universe.people["gp"])
    html = client.get(reverse("dashboard:practice", args=["A00001"]), {"topic": "access_continuity"}).content.decode()
    assert "<h2>Access and continuity</h2>" in html and "<h2>Prescribing safety</h2>" not in html
    assert set(drawn_in(html)) == {"dna_rate", "appts_per_1000", "continuity_upc"}


def latest_icons(measured) -> dict[str, str]:
    """Independently of the pages: the variation icon of A00001's latest month per measured measure (the chosen
    chart, then the SPC engine on the results table; "" for small numbers, which have no signals)."""
    import datetime as dt

    from qiloop.measures.lookback import incomplete
    from qiloop.spc import choose_chart

    results = results_of(measured)
    manifest = json.loads((measured[1] / "manifest.json").read_text())
    # results written before the manifest recorded data_start began 12 months after the data did
    first = pd.Timestamp(manifest.get("data_start", "") or manifest["start"]) - pd.DateOffset(
        months=0 if manifest.get("data_start") else 12
    )
    data_start = dt.date(first.year, first.month, 1)
    measures = all_measures()
    icons = {}
    for measure_id in MEASURED:
        rows = results[(results.measure == measure_id) & (results.practice_id == "A00001")].sort_values(
            "interval_start"
        )
        measure = measures[measure_id]
        factor = measure.per if measure.per != 1 else 100
        startup = incomplete(measure, [pd.Timestamp(d).date() for d in rows.interval_end], data_start)
        kind = "score" if measure_id == "continuity_upc" else "rate" if measure.per != 1 else "proportion"
        choice = choose_chart(rows.numerator, rows.denominator, kind=kind, use=[not s for s in startup])
        if choice.small_numbers:
            icons[measure_id] = ""  # small numbers: a run chart with no signals
            continue
        ratio_chart = choice.chart in ("p", "pp", "u", "up")
        result = spc(
            list(rows.numerator) if ratio_chart else list(rows.ratio * factor),
            n=list(rows.denominator) if ratio_chart else None,
            multiply=factor if ratio_chart else 1,
            chart=choice.chart,
            x=list(pd.to_datetime(rows.interval_start)),
            improvement="down" if measure.low_is_good else "up",
            exclude=[i for i, s in enumerate(startup) if s] or None,
            allow_missing=True,
        )
        icons[measure_id] = result.summary.variation_icon or "common_cause"
    return icons


def test_what_changed_shows_exactly_the_measures_with_special_cause_at_the_latest_point(client, universe, measured):
    expected = {m for m, icon in latest_icons(measured).items() if icon not in ("", "common_cause")}
    client.force_login(universe.people["gp"])
    html = client.get(reverse("dashboard:practice", args=["A00001"]), {"show": "changed"}).content.decode()
    assert set(drawn_in(html)) == expected
    assert 0 < len(expected) < len(MEASURED), "the synthetic data should have some signals and some common cause"


def test_measure_page_numbers_breakdowns_and_definition(client, universe, measured):
    results = results_of(measured)
    rows = results[(results.measure == "pincer_a") & (results.practice_id == "A00001")].sort_values("interval_start")
    latest = rows.iloc[-1]
    breakdowns = pd.read_parquet(measured[1] / "breakdowns.parquet")
    client.force_login(universe.people["patient_representative"])
    response = client.get(reverse("dashboard:measure", args=["A00001", "pincer_a"]))
    html = response.content.decode()
    assert "<h1>Oral NSAID without gastro-protection, aged 65 and over</h1>" in html
    assert f">{int(latest.denominator):,}<" in html and f">{int(latest.numerator):,}<" in html
    for caption in ("By age band", "By sex", "By ethnicity", "By deprivation"):
        assert caption in html
    ages = breakdowns[(breakdowns.measure == "pincer_a") & (breakdowns.practice_id == "A00001")]
    for breakdown in ("age_band", "sex", "ethnicity", "imd_quintile"):  # every breakdown adds up to the practice
        assert ages[ages.breakdown == breakdown].denominator.sum() == latest.denominator
    for codes in ("pincer_nsaid", "pincer_ulcer_healing"):
        assert codes in html
    assert "Open the action list" not in html  # not clinical: no link to patients
    assert "chart-main" in specs_in(html)


def test_action_list_page_and_csv_match_the_library_and_are_audited(client, universe, measured):
    store, results_dir = measured
    end = json.loads((results_dir / "manifest.json").read_text())["end"]
    expected = action_list(store, "pincer_a", "A00001", on=end)
    assert len(expected) > 0, "the synthetic practice should have someone to act on"
    client.force_login(universe.people["gp"])
    html = client.get(reverse("dashboard:action-list", args=["A00001", "pincer_a"])).content.decode()
    for patient_id in expected.patient_id:
        assert f'<th class="nhsuk-table__header" scope="row">{patient_id}</th>' in html
    csv = client.get(reverse("dashboard:action-list-csv", args=["A00001", "pincer_a"]))
    assert csv["Content-Type"].startswith("text/csv") and "attachment" in csv["Content-Disposition"]
    downloaded = pd.read_csv(io.BytesIO(csv.content))
    assert list(downloaded.patient_id.astype(str)) == list(expected.patient_id.astype(str))
    assert list(downloaded.columns) == list(expected.columns)
    events = AuditEvent.objects.filter(actor=universe.people["gp"].email, target_id="pincer_a")
    assert sorted(events.values_list("action", flat=True)) == ["patient_data.downloaded", "patient_data.viewed"]
    assert set(events.values_list("organisation_code", flat=True)) == {"A00001"}


def test_network_measure_uses_published_counts_and_anonymous_labels(client, universe, measured):
    client.force_login(universe.people["network_qi_lead"])
    html = client.get(reverse("dashboard:network-measure", args=["QPCN1", "dna_rate"])).content.decode()
    specs = specs_in(html)
    funnel = specs["funnel-main"]
    points = [v for layer in funnel["layer"] for v in layer.get("data", {}).get("values", []) if "status" in v]
    assert points, "the funnel should show the PCN's practices"
    for point in points:  # published 12-month totals: rounded to 5
        assert point["denominator"] % 5 == 0
    assert "Riverside Surgery" not in html  # A00001 has not agreed to share its name
    assert "Hill Street Practice" in html  # A00002 has
    assert re.search(r"Practice [A-Z]\b", html)
    assert "Meadow Practice" not in html  # another PCN's practice
    for element, spec in specs.items():
        if element.startswith("spc-"):
            for row in spec["data"]["values"]:
                if row.get("numerator") is not None:
                    assert row["numerator"] % 5 == 0 or row["numerator"] == 0
    assert "patient_id" not in html


def test_network_overview_lists_every_measure_without_ranking(client, universe, measured):
    client.force_login(universe.people["icb_analyst"])
    html = client.get(reverse("dashboard:network", args=["QICB"])).content.decode()
    for measure in pages.shown_measures().values():
        assert reverse("dashboard:network-measure", args=["QICB", measure.id]) in html
    assert "<table" not in html  # no league table


def test_charts_script_loads_only_from_this_server(client, universe, measured):
    client.force_login(universe.people["gp"])
    response = client.get(reverse("dashboard:practice", args=["A00001"]))
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for src in re.findall(r'<script[^>]* src="([^"]+)"', html):
        assert src.startswith("/")
    interpreter = client.get(reverse("dashboard:vega-interpreter")).content.decode()
    assert "from 'vega-util'" not in interpreter and "export" in interpreter


def test_each_chart_shows_its_making_data_count_icon_and_the_words(client, universe, measured):
    client.force_login(universe.people["gp"])
    html = client.get(reverse("dashboard:measure", args=["A00001", "dna_rate"])).content.decode()
    icons = re.findall(r'src="/static/qiloop/icons/([a-z_]+)\.svg"', html)
    assert len(icons) == 1
    assert icons[0] == "common_cause" or icons[0].startswith("special_cause_")
    assert finders.find(f"qiloop/icons/{icons[0]}.svg")


def test_warming_the_caches_draws_what_a_network_lead_then_sees(client, universe, measured):
    from qiloop_web.dashboard import memo, pages, views

    loaded = pages.results()
    assert pages.warm_caches(loaded) == 3 * len(pages.shown_measures())  # every practice with results, every measure
    assert views.warm_network_caches(loaded) == 3 * len(pages.shown_measures())  # the ICB and its two PCNs
    before = memo.counts()
    client.force_login(universe.people["network_qi_lead"])
    assert client.get(reverse("dashboard:network-measure", args=["QPCN1", "dna_rate"])).status_code == 200
    after = memo.counts()
    assert after["hits"] == before["hits"] + 2 and after["misses"] == before["misses"]  # its funnel and multiples


def test_the_filters_update_the_chart_grid_in_place_with_htmx_and_work_without_it(client, universe, measured):
    client.force_login(universe.people["gp"])
    url = reverse("dashboard:practice", args=["A00001"])
    full = client.get(url, {"topic": "access_continuity"})
    html = full.content.decode()
    assert "<html" in html and 'hx-target="#chart-grid"' in html and 'hx-push-url="true"' in html
    assert "/static/htmx/htmx.min.js" in html and 'id="chart-grid"' in html
    assert "HX-Request" in full["Vary"]
    partial = client.get(url, {"topic": "access_continuity"}, headers={"HX-Request": "true"})
    fragment = partial.content.decode()
    assert "<html" not in fragment and "<h1>" not in fragment and "HX-Request" in partial["Vary"]
    assert set(drawn_in(fragment)) == {"dna_rate", "appts_per_1000", "continuity_upc"}
    assert "<h2>Access and continuity</h2>" in fragment and "<h2>Prescribing safety</h2>" not in fragment
    status = re.search(r'<hx-partial hx-target="#grid-status" hx-swap="innerHTML">(.*?)</hx-partial>', fragment, re.S)
    in_topic = sum(m.topic == "access_continuity" for m in pages.shown_measures().values())
    assert status and f"Showing {in_topic} measures about access and continuity." == status.group(1).strip()
    assert fragment.count('class="nhsuk-card__heading') == in_topic
    # htmx restoring a page from its history asks for the whole page
    restored = client.get(
        url, {"topic": "access_continuity"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restored.content.decode()


def test_cached_page_parts_still_check_permission_on_every_request(client, universe, measured):
    from django.core.cache import cache
    from django.core.cache.utils import make_template_fragment_key

    from qiloop_web.dashboard import pages
    from qiloop_web.dashboard.views import fragment_key

    url = reverse("dashboard:practice", args=["A00001"])
    client.force_login(universe.people["gp"])
    first = client.get(url).content.decode()
    key = make_template_fragment_key("practice-grid", [fragment_key("A00001", pages.results(), "", "")])
    assert cache.get(key) and cache.get(key) in first  # the chart grid was kept
    assert cache.get(key) in client.get(url).content.decode()
    client.force_login(universe.people["other_gp"])
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_action_lists_are_never_cached(client, universe, measured):
    client.force_login(universe.people["gp"])
    page = client.get(reverse("dashboard:action-list", args=["A00001", "dna_rate"]))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"] and "private" in page["Cache-Control"]
    download = client.get(reverse("dashboard:action-list-csv", args=["A00001", "dna_rate"]))
    assert "no-store" in download["Cache-Control"]


def test_a_cached_network_page_follows_a_practice_sharing_its_name(client, universe, measured):
    from qiloop_web.organisations.actions import change_practice_settings

    url = reverse("dashboard:network-measure", args=["QPCN1", "dna_rate"])
    client.force_login(universe.people["network_qi_lead"])
    assert "Riverside Surgery" not in client.get(url).content.decode()
    change_practice_settings(
        practice=universe.practice, by=universe.people["practice_manager"], share_name_with_network=True
    )
    assert "Riverside Surgery" in client.get(url).content.decode()


def test_charts_drawn_at_one_start_are_loaded_at_the_next(universe, measured, tmp_path):
    from qiloop_web.dashboard import memo, pages, views

    loaded = pages.results()
    memo.kept("results of another test", "x", lambda: 0)  # start from nothing kept for these results
    pages.warm_caches(loaded)
    views.warm_network_caches(loaded)
    saved = memo.save(tmp_path, loaded.key)
    assert saved is not None and saved.is_file()
    expected = pages.practice_chart(loaded, "A00001", all_measures()["dna_rate"], small=True)
    memo.kept("other results", "x", lambda: 1)  # new results: everything drawn before is dropped
    before = memo.counts()
    # per practice and measure: small chart, its SVG, trend, full chart, figures; per network and measure: two funnels,
    # multiples
    assert memo.load(tmp_path, loaded.key) == 3 * len(pages.shown_measures()) * 5 + 3 * len(pages.shown_measures()) * 3
    svg = pages.card_svg(loaded, "A00001", all_measures()["dna_rate"])
    assert svg.startswith("<svg ") and memo.counts()["misses"] == before["misses"]  # the SVG too: loaded, not drawn
    again = pages.practice_chart(loaded, "A00001", all_measures()["dna_rate"], small=True)
    assert again == expected and memo.counts()["misses"] == before["misses"]  # loaded, not drawn
    assert memo.load(tmp_path, "results computed later") == 0  # a file is only for its own results
    memo.save(tmp_path, loaded.key)
    assert [p.name for p in tmp_path.glob("charts-*.pickle")] == [saved.name]  # one file, older ones removed


def test_the_network_topic_filter_answers_htmx_with_the_measures_alone(client, universe, measured):
    client.force_login(universe.people["network_qi_lead"])
    url = reverse("dashboard:network", args=["QPCN1"])
    full = client.get(url, {"topic": "long_term_conditions"}).content.decode()
    assert "<html" in full and 'hx-target="#measure-grid"' in full and "/static/htmx/htmx.min.js" in full
    partial = client.get(url, {"topic": "long_term_conditions"}, headers={"HX-Request": "true"})
    fragment = partial.content.decode()
    in_topic = [m for m in all_measures().values() if m.topic == "long_term_conditions"]
    assert "<html" not in fragment and "HX-Request" in partial["Vary"]
    assert "<h2>Long-term conditions</h2>" in fragment and "<h2>Prescribing safety</h2>" not in fragment
    for measure in in_topic:
        assert reverse("dashboard:network-measure", args=["QPCN1", measure.id]) in fragment
    assert f"Showing {len(in_topic)} measures about long-term conditions." in fragment
