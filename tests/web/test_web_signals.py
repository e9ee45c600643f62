"""Signals on the workbench: charts chosen from the counts, counts on the cards and measure page, and a proposed
recalculation that a practice accepts (action, audit event, phases on its charts, permissions) and can undo."""

from __future__ import annotations

import datetime as dt
import json
import os
import re

import pandas as pd
import pytest
from django.urls import reverse

from qiloop.measures import all_measures
from qiloop_web.audit.models import AuditEvent
from qiloop_web.dashboard import actions
from qiloop_web.dashboard.models import ChartPhase
from qiloop_web.dashboard.series import counts_text, measure_chart

pytestmark = pytest.mark.django_db

# Playwright's sync API runs an event loop in this thread; the browser test's own ORM calls are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

MONTHS = list(pd.date_range("2022-01-01", periods=48, freq="MS"))
SHIFT_AT = 24  # January 2024: 24 months near 5%, then 24 near 8% (a lasting shift in missed appointments)


def monthly(numerators, denominators, months=MONTHS) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "interval_start": months[: len(numerators)],
            "numerator": [float(n) for n in numerators],
            "denominator": [float(d) for d in denominators],
        }
    )
    frame["interval_end"] = frame["interval_start"] + pd.offsets.MonthEnd(0)
    frame["ratio"] = frame["numerator"] / frame["denominator"].where(frame["denominator"] > 0)
    return frame


def spec_of(chart) -> dict:
    return json.loads(chart.spec_json)


# --- the chart on its own (no database) -----------------------------------------------------------------------------


def test_lithium_one_patient_of_one_shows_counts_and_a_run_chart_without_a_badge():
    lithium = all_measures()["pincer_li"]
    chart = measure_chart(lithium, monthly([0] * 23 + [1], [1] * 24), element_id="c")
    assert chart.latest_counts == "1 of 1 (100.0%)"
    assert (chart.chart_kind, chart.small_numbers, chart.variation_icon, chart.changed) == ("run", True, None, "")
    assert chart.variation_label == "Small numbers: no signals"
    assert "n·p̄ ≥ 5" in chart.chart_reason
    records = spec_of(chart)["data"]["values"]
    assert all(r["ucl"] is None and r["lcl"] is None for r in records)  # no limits drawn
    assert {r["variation"] for r in records} == {"common_cause"}


def test_the_card_counts_read_as_people_say_them():
    nsaid = all_measures()["pincer_k"]
    assert counts_text(nsaid, 4, 36, "11.1%") == "4 of 36 (11.1%)"
    assert counts_text(nsaid, 0, 0, "") == "no patients"
    assert counts_text(nsaid, float("nan"), 40, "") == "counts suppressed (small numbers)"
    per_1000 = all_measures()["appts_per_1000"]
    assert counts_text(per_1000, 885, 1894, "467.3 per 1,000") == "885 in 1,894 (467.3 per 1,000)"


def test_a_latest_month_with_no_patients_says_so_instead_of_a_gap():
    nsaid = all_measures()["pincer_k"]
    chart = measure_chart(nsaid, monthly([2] * 14 + [0], [30] * 14 + [0]), element_id="c")
    assert (chart.latest_value, chart.latest_counts, chart.latest_month) == ("no patients", "no patients", "March 2023")
    assert chart.sentence.endswith("In March 2023 there was no one in the denominator.")


def test_large_steady_denominators_get_an_xmr_chart_with_limits_inside_0_to_100_percent():
    dna = all_measures()["dna_rate"]
    chart = measure_chart(dna, monthly([50, 55, 45, 52, 48] * 4, [1000] * 20), element_id="c")
    assert chart.chart_kind == "xmr" and chart.chart_reason.startswith("An XmR chart (the Making Data Count default)")
    assert chart.latest_counts == "48 of 1,000 (4.8%)"
    for record in spec_of(chart)["data"]["values"]:
        for line in ("lcl", "ucl", "lcl_2s", "ucl_2s"):
            assert record[line] is None or 0 <= record[line] <= 100


def test_start_up_months_of_a_15_month_look_back_are_left_out_with_a_sentence():
    # pincer_ac reads prescriptions on or before 15 months back: with data from April 2021, results from
    # January 2022 are incomplete up to June 2022 (June's window reaches 31 March 2021).
    measure = all_measures()["pincer_ac"]
    months = list(pd.date_range("2022-01-01", periods=24, freq="MS"))
    chart = measure_chart(
        measure, monthly([0] * 6 + [8] * 18, [60] * 24, months), element_id="c", data_start=dt.date(2021, 4, 1)
    )
    records = spec_of(chart)["data"]["values"]
    assert [r["excluded"] for r in records] == [True] * 6 + [False] * 18
    assert chart.notes == (
        "6 start-up months (January 2022 to June 2022) are drawn faded and left out of the average and limits: "
        "the measure looks back 15 months and the data start in April 2021.",
    )


# --- the measure page and the recalculation --------------------------------------------------------------------------


@pytest.fixture
def shifted(settings, tmp_path):
    """Results in which dna_rate at both Riverside (A00001) and Hill Street (A00002) shifted in January 2024."""
    rows = []
    for practice in ("A00001", "A00002"):
        for i, month in enumerate(MONTHS):
            numerator = (50, 52, 48, 51, 49)[i % 5] + (30 if i >= SHIFT_AT else 0)
            rows.append(
                {
                    "measure": "dna_rate",
                    "interval_start": month.date(),
                    "interval_end": (month + pd.offsets.MonthEnd(0)).date(),
                    "practice_id": practice,
                    "numerator": numerator,
                    "denominator": 1000,
                    "ratio": numerator / 1000,
                    "measure_version": "1",
                    "codelist_versions": "{}",
                }
            )
    directory = tmp_path / "results"
    directory.mkdir()
    pd.DataFrame(rows).to_parquet(directory / "results.parquet", index=False)
    columns = ["measure", "interval_start", "interval_end", "practice_id", "breakdown", "group"]
    pd.DataFrame(columns=[*columns, "numerator", "denominator", "ratio"]).to_parquet(directory / "breakdowns.parquet")
    manifest = {"digest": f"shifted-{tmp_path.name}", "start": "2022-01", "end": "2025-12", "data_start": "2021-01"}
    manifest["computed_at"] = dt.datetime.now(dt.UTC).isoformat()
    (directory / "manifest.json").write_text(json.dumps(manifest))
    settings.QILOOP_RESULTS_DIR = directory
    return directory


def measure_page(client, code="A00001"):
    return client.get(reverse("dashboard:measure", args=[code, "dna_rate"])).content.decode()


def phases_drawn(html: str, element: str = "chart-main") -> set[int]:
    found = re.search(rf'<script type="application/json" id="{element}-spec">(.*?)</script>', html, flags=re.S)
    return {r["phase"] for r in json.loads(found.group(1))["data"]["values"]}


def drawn_card(html: str, measure_id: str) -> str:
    """The dashboard card's chart, drawn on the server as SVG."""
    found = re.search(
        rf'<figure class="qiloop-chart qiloop-chart--drawn" data-measure="{measure_id}">(.*?)</figure>', html, re.S
    )
    assert found, f"no drawn card for {measure_id}"
    return found.group(1)


def accept(client, starts="2024-01-01", code="A00001"):
    return client.post(reverse("dashboard:accept-phase", args=[code, "dna_rate"]), {"starts": starts})


def test_a_lasting_shift_is_proposed_for_recalculation_and_a_gp_accepts_it(client, universe, shifted):
    gp = universe.people["gp"]
    client.force_login(gp)
    card_before = drawn_card(client.get(reverse("dashboard:practice", args=["A00001"])).content.decode(), "dna_rate")
    html = measure_page(client)
    assert "has stayed above its average since January 2024 (24 months)" in html
    assert "in a row" not in html
    assert "Recalculate from January 2024" in html and 'name="starts" value="2024-01-01"' in html
    assert phases_drawn(html) == {0}

    response = accept(client)
    assert response.status_code == 302 and response.url == reverse("dashboard:measure", args=["A00001", "dna_rate"])
    phase = ChartPhase.objects.get()
    assert (phase.practice.code, phase.measure_id, phase.starts, phase.accepted_by) == (
        "A00001",
        "dna_rate",
        dt.date(2024, 1, 1),
        gp,
    )
    event = AuditEvent.objects.get(action="chart.phase_accepted")
    assert (event.actor, event.organisation_code, event.target_id) == (gp.email, "A00001", "dna_rate")
    assert event.detail["starts"] == "2024-01-01"

    after = measure_page(client)
    assert phases_drawn(after) == {0, 1}  # the chart is drawn in two phases from now on
    assert "Recalculate from January 2024" not in after and "New phase from January 2024" in after
    assert "has stayed above" not in after
    dashboard = client.get(reverse("dashboard:practice", args=["A00001"])).content.decode()
    assert drawn_card(dashboard, "dna_rate") != card_before  # the practice's card (drawn on the server) too
    # Hill Street's chart of the same measure is its own: still one phase, still the proposal.
    client.force_login(universe.people["other_gp"])
    assert phases_drawn(measure_page(client, "A00002")) == {0}


def test_only_what_the_chart_proposes_now_can_be_accepted(client, universe, shifted):
    client.force_login(universe.people["gp"])
    before = AuditEvent.objects.count()
    response = accept(client, starts="2023-06-01")
    assert response.status_code == 302
    assert not ChartPhase.objects.exists() and AuditEvent.objects.count() == before
    assert "not what the chart proposes now" in measure_page(client)


def test_team_members_without_the_permission_read_the_proposal_but_cannot_accept_it(client, universe, shifted):
    client.force_login(universe.people["receptionist"])
    html = measure_page(client)
    assert "Recalculate the average and limits from January 2024" in html
    assert "Recalculate from January 2024" not in html and "can accept it" in html
    assert accept(client).status_code == 403
    assert not ChartPhase.objects.exists()


def test_an_accepted_phase_is_undone_after_a_confirmation(client, universe, shifted):
    client.force_login(universe.people["practice_nurse"])
    accept(client)
    phase = ChartPhase.objects.get()
    url = reverse("dashboard:undo-phase", args=["A00001", "dna_rate", phase.pk])
    assert url in measure_page(client)
    confirm = client.get(url).content.decode()
    assert "Undo the recalculation from January 2024?" in confirm and ChartPhase.objects.exists()
    assert client.post(url).status_code == 302
    assert not ChartPhase.objects.exists()
    event = AuditEvent.objects.get(action="chart.phase_undone")
    assert event.detail["starts"] == "2024-01-01" and event.actor == universe.people["practice_nurse"].email
    html = measure_page(client)
    assert phases_drawn(html) == {0} and "Recalculate from January 2024" in html


def test_the_actions_refuse_what_cannot_be_a_phase_and_change_nothing(universe):
    gp = universe.people["gp"]
    actions.accept_phase(practice=universe.practice, measure_id="dna_rate", starts=dt.date(2024, 1, 1), by=gp)
    cases = [
        (universe.practice, "dna_rate", dt.date(2024, 1, 1), "already has a phase from January 2024"),
        (universe.practice, "dna_rate", dt.date(2024, 1, 15), "first day of a month"),
        (universe.practice, "no_such_measure", dt.date(2024, 1, 1), "no measure 'no_such_measure'"),
        (universe.pcn, "dna_rate", dt.date(2024, 1, 1), "not a practice"),
    ]
    for organisation, measure_id, starts, message in cases:
        before = (ChartPhase.objects.count(), AuditEvent.objects.count())
        with pytest.raises(actions.PhaseError, match=message):
            actions.accept_phase(practice=organisation, measure_id=measure_id, starts=starts, by=gp)
        assert (ChartPhase.objects.count(), AuditEvent.objects.count()) == before


def test_network_small_multiples_choose_their_charts_from_published_counts_only():
    from qiloop_web.dashboard.network import published_monthly, small_multiples

    rows = []
    for i, month in enumerate(MONTHS[:24]):
        # Riverside: lithium-sized numbers (1–3 patients: suppressed); Hill Street: hundreds (rounded to 5).
        rows.append(("A00001", month, i % 2, 3))
        rows.append(("A00002", month, 41 + i % 3, 803))
    results = pd.DataFrame(rows, columns=["practice_id", "interval_start", "numerator", "denominator"])
    results["measure"] = "dna_rate"
    results["ratio"] = results["numerator"] / results["denominator"]
    monthly = published_monthly(results, "dna_rate", ["A00001", "A00002"])
    labels = {"A00001": "Practice A", "A00002": "Hill Street Practice"}
    charts = dict(small_multiples(all_measures()["dna_rate"], monthly, labels, prefix="spc"))
    assert charts["Practice A"] is None  # every month suppressed: nothing published to chart
    hill = charts["Hill Street Practice"]
    assert re.fullmatch(r"\d+ of 805 \(\d+\.\d%\)", hill.latest_counts)  # 803 published as 805
    words = hill.latest_counts + hill.sentence + hill.chart_reason
    numbers = {int(n) for n in re.findall(r"(?<![\d.,])\d+(?![\d.,])", words)}  # whole counts, not 41.7 expected
    assert not numbers & {41, 42, 43, 803}, (hill.latest_counts, hill.sentence, hill.chart_reason)


def test_in_a_browser_a_gp_accepts_the_recalculation_and_undoes_it(browser, browser_universe, shifted, live_server):
    from web_universe import PASSWORD

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.goto(f"{live_server.url}/sign-in/")
    page.get_by_label("E-mail address").fill("gp@example.nhs.uk")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}{reverse('dashboard:measure', args=['A00001', 'dna_rate'])}")
    assert page.get_by_text("78 of 1,000 (7.8%)").count() == 1  # December 2025: 48 + 30 missed of 1,000
    page.get_by_role("button", name="Recalculate from January 2024").click()
    page.wait_for_load_state()
    assert page.get_by_text("Limits recalculated from January 2024").count() == 1
    assert page.get_by_text("New phase from January 2024, accepted by").count() == 1
    page.get_by_role("link", name="Undo the recalculation from January 2024").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Undo the recalculation").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Recalculate from January 2024").count() == 1
    assert not ChartPhase.objects.exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="chart.").order_by("at")] == [
        "chart.phase_accepted",
        "chart.phase_undone",
    ]
    assert problems == []


def test_the_numbers_table_says_no_patients_for_a_month_without_a_denominator():
    from qiloop_web.dashboard.pages import numbers_table

    rows = numbers_table(all_measures()["pincer_k"], monthly([2, 0], [30, 0]))
    assert [(r["month"], r["value"]) for r in rows] == [("February 2022", "no patients"), ("January 2022", "6.7%")]


def test_a_measure_with_no_patients_in_any_month_says_so_on_its_card():
    chart = measure_chart(all_measures()["pincer_am"], monthly([0] * 14, [0] * 14), element_id="c")
    assert (chart.latest_counts, chart.variation_label, chart.changed) == (
        "no patients",
        "No patients: nothing to chart",
        "",
    )
    assert chart.sentence.startswith("No month shown has anyone in the denominator")


def test_a_funnel_not_drawn_for_want_of_events_does_not_hide_the_practices_with_a_few():
    """Twelve practices publish 0 events; three have 1-7 events, suppressed: the page must not say that no
    practice has any events (a network lead would conclude the hazard is absent)."""
    from qiloop.spc.funnel_basis import published_counts
    from qiloop_web.dashboard.network import funnel_chart

    measure = all_measures()["pincer_f"]
    rows = [(f"P{i:02d}", 0 if i < 12 else 3, 40) for i in range(15)]
    results = pd.DataFrame(
        {
            "measure": measure.id,
            "interval_start": dt.date(2026, 3, 1),
            "practice_id": [r[0] for r in rows],
            "numerator": [r[1] for r in rows],
            "denominator": [r[2] for r in rows],
        }
    )
    counts = published_counts(results, measure, [r[0] for r in rows])
    funnel = funnel_chart(measure, counts, {}, element_id="f")
    assert not funnel.drawn
    assert "no practice has any events" not in funnel.reason
    assert "none of the 12 practices whose counts can be published has any events" in funnel.reason
    assert "3 have counts from 1 to 7" in funnel.reason
