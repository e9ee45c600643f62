"""No linkage from public data (issue 14, finding 3): a network view must not let a viewer tie an anonymous label
to a practice by its published list size, and a label tied on one chart must say nothing on another."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from django.urls import reverse
from test_web_funnels import points_of, specs_in

from conftest import MEASURED
from qiloop.measures import all_measures
from qiloop.measures.disclosure import publish_count
from qiloop.spc.funnel_basis import counts_published_population
from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.naming import anonymous_labels

pytestmark = pytest.mark.django_db


def published_list_sizes(store, on) -> dict[str, int]:
    """What NHS England publishes each month: every practice's registered list (here: registered and alive)."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute(
            "SELECT r.practice_id, count(DISTINCT r.patient_id) FROM practice_registrations r "
            "JOIN patients p USING (patient_id) WHERE r.start_date <= $on AND (r.end_date IS NULL OR r.end_date > $on) "
            "AND (p.date_of_death IS NULL OR p.date_of_death > $on) GROUP BY 1",
            {"on": on},
        ).fetchall()
    finally:
        con.close()
    return {practice: int(size) for practice, size in rows}


def test_the_list_size_attack_names_no_practice_on_any_network_funnel(client, universe, measured):
    """For every measured measure's network funnel, no point's denominator matches exactly one practice's published
    list size (or a twelfth of it, or twelve times it), as it did for appointments per 1,000 patients."""
    results = pd.read_parquet(measured[1] / "results.parquet")
    latest = pd.Timestamp(results.interval_end.max()).date()
    sizes = published_list_sizes(measured[0], latest)
    candidates = {p: {publish_count(n * k) for k in (1, 12)} | {publish_count(n) / 12} for p, n in sizes.items()}
    client.force_login(universe.people["icb_analyst"])
    identified = []
    drawn = 0
    for measure_id in MEASURED:
        html = client.get(reverse("dashboard:network-measure", args=["QICB", measure_id])).content.decode()
        funnel = specs_in(html).get("funnel-main")
        if funnel is None:
            continue
        drawn += 1
        for point in points_of(funnel):
            matches = [p for p, shown in candidates.items() if point["denominator"] in shown]
            if len(matches) == 1:
                identified.append((measure_id, point["label"], matches[0]))
    assert drawn >= 3  # the check looked at real funnels
    assert identified == []


def test_a_measure_counting_the_published_list_draws_no_network_funnel_and_says_why(client, universe, measured):
    assert counts_published_population(all_measures()["appts_per_1000"])
    assert not counts_published_population(all_measures()["dna_rate"])
    assert not counts_published_population(all_measures()["pincer_a"])
    client.force_login(universe.people["icb_analyst"])
    html = client.get(reverse("dashboard:network-measure", args=["QICB", "appts_per_1000"])).content.decode()
    assert "funnel-main" not in specs_in(html)
    assert "NHS England publishes every month" in html


def test_anonymous_labels_are_drawn_afresh_for_each_measure_and_release(universe):
    practices = [Organisation(code=f"Q{i:05d}", name=f"P{i}", kind="practice") for i in range(20)]
    one = anonymous_labels(practices, "pincer_a:release-1")
    assert anonymous_labels(practices, "pincer_a:release-1") == one  # stable on one chart
    assert sorted(one.values()) == sorted(f"Practice {chr(65 + i)}" for i in range(20))
    for other in ("dna_rate:release-1", "pincer_a:release-2"):
        drawn_again = anonymous_labels(practices, other)
        moved = sum(one[code] != drawn_again[code] for code in one)
        assert moved >= 15  # about 19 of 20 move when the order is drawn afresh


def test_breakdown_cells_follow_the_network_rule_outside_the_clinical_team(client, universe, measured):
    """A receptionist or patient representative sees the inequality tables as the network would: no count of 1-7,
    the rest rounded to 5; the practice's clinical team sees exact counts."""
    from qiloop_web.dashboard import pages

    loaded = pages.results()
    exact = pages.measure_figures(loaded, "A00001", "dna_rate")["breakdowns"]
    published = pages.measure_figures(loaded, "A00001", "dna_rate", published=True)["breakdowns"]
    cells = lambda tables: [r[c] for t in tables for r in t["rows"] for c in ("numerator", "denominator")]  # noqa: E731
    small = [c for c in cells(exact) if c != "suppressed" and 1 <= float(c.replace(",", "")) <= 7]
    assert small, "the measured store has small breakdown cells to hide"
    for cell in cells(published):
        assert cell == "suppressed" or float(cell.replace(",", "")) % 5 == 0
    note = "counts from 1 to 7 are hidden and the others rounded to 5"
    for person, sees_note in (("receptionist", True), ("patient_representative", True), ("gp", False)):
        client.force_login(universe.people[person])
        html = client.get(reverse("dashboard:measure", args=["A00001", "dna_rate"])).content.decode()
        assert (note in html) is sees_note, person
