"""Network funnels on the right denominators, and a practice's place among its peers on its own measure page.

The universe (web_universe.py): A00001 and A00002 in QPCN1, A00003 in QPCN2, all in QICB; the measured store holds
the three practices' results. A00001's peers are the ICB's three practices.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from django.urls import reverse

from conftest import PEOPLE
from qiloop.measures import all_measures
from qiloop.measures.disclosure import publish_count
from qiloop_web.dashboard.network import practice_position

pytestmark = pytest.mark.django_db

PRACTICE_ROLES = PEOPLE[:8]
OTHER_NAMES = ["Hill Street Practice", "Meadow Practice", "A00002", "A00003", "Practice A", "Practice B"]


def specs_in(html: str) -> dict[str, dict]:
    found = re.findall(r'<script type="application/json" id="([^"]+)-spec">(.*?)</script>', html, flags=re.S)
    return {element: json.loads(text) for element, text in found}


def points_of(spec: dict) -> list[dict]:
    return [v for layer in spec["layer"] for v in layer.get("data", {}).get("values", []) if "status" in v]


def results_of(measured) -> pd.DataFrame:
    return pd.read_parquet(measured[1] / "results.parquet")


def published(value: float) -> float | None:
    return publish_count(value)


def test_the_measure_page_shows_the_practice_among_its_peers_anonymously(client, universe, measured):
    results = results_of(measured)
    latest = results[(results.measure == "hyp008")].interval_start.max()
    month = results[(results.measure == "hyp008") & (results.interval_start == latest)].set_index("practice_id")
    client.force_login(universe.people["gp"])
    html = client.get(reverse("dashboard:measure", args=["A00001", "hyp008"])).content.decode()
    assert "Where your practice stands" in html
    spec = specs_in(html)["position-funnel"]
    points = points_of(spec)
    own = [p for p in points if p["status"] == "highlight"]
    assert len(own) == 1 and own[0]["label"] == "Your practice"
    # Its own point is its published count for the latest month (each patient once), as the network sees it.
    assert own[0]["denominator"] == published(month.loc["A00001", "denominator"])
    others = [p for p in points if p["status"] != "highlight"]
    assert others and {p["label"] for p in others} == {"Another practice"}
    expected = sorted(published(month.loc[c, "denominator"]) for c in ("A00002", "A00003"))
    assert sorted(p["denominator"] for p in others) == expected
    for point in points:
        assert point["denominator"] % 5 == 0  # published: rounded to 5
    texts = [row["text"] for layer in spec["layer"] for row in layer.get("data", {}).get("values", []) if "text" in row]
    assert set(texts) == {"Your practice"}  # no other point is labelled
    for name in OTHER_NAMES:
        assert name not in html
    assert "Patients in the denominator" in json.dumps(spec)
    assert "around the network average" in spec["description"] and "around the target" not in html
    assert '"title": "Target"' not in json.dumps(spec)
    assert re.search(r"your practice, at [\d.]+% \(\d+ of \d+, as published\), is (within|above|below) the", html)
    assert "National comparison not available yet" in html
    assert "<table" not in html.split("Where your practice stands")[1].split("</section>")[0]  # never a ranked table


@pytest.mark.parametrize("person", PRACTICE_ROLES)
def test_every_practice_role_sees_where_the_practice_stands(client, universe, measured, person):
    client.force_login(universe.people[person])
    response = client.get(reverse("dashboard:measure", args=["A00001", "dna_rate"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Where your practice stands" in html and "position-funnel-spec" in html
    assert "Appointments, " in html  # appointment measures: a year of distinct appointments
    for name in OTHER_NAMES:
        assert name not in html


def test_a_network_funnel_counts_appointments_over_12_months_and_patients_once(client, universe, measured):
    results = results_of(measured)
    client.force_login(universe.people["icb_analyst"])
    dna = specs_in(client.get(reverse("dashboard:network-measure", args=["QICB", "dna_rate"])).content.decode())
    rows = results[(results.measure == "dna_rate") & (results.practice_id == "A00003")]
    months = sorted(rows.interval_start.unique())[-12:]
    year = rows[rows.interval_start.isin(months)].denominator.sum()  # each appointment in one month: a sum
    assert published(year) in [p["denominator"] for p in points_of(dna["funnel-main"])]
    html = client.get(reverse("dashboard:network-measure", args=["QICB", "hyp008"])).content.decode()
    hyp = specs_in(html)["funnel-main"]
    rows = results[(results.measure == "hyp008") & (results.practice_id == "A00003")]
    latest = rows[rows.interval_start == rows.interval_start.max()].denominator.iloc[0]
    assert published(latest) in [p["denominator"] for p in points_of(hyp)]  # the register once, not 12 times
    assert hyp["layer"][0]["encoding"]["x"]["title"][0].startswith("Patients in the denominator, ")
    assert "around the network average" in html and "around the target" not in html  # (the title says "at target")
    assert '"title": "Target"' not in json.dumps(hyp)


def test_suppression_holds_on_a_practice_page(settings):
    """A peer with a small count is left out entirely; the practice's own small count keeps it off the funnel."""
    measure = all_measures()["hyp008"]
    month = pd.Timestamp("2026-03-01")
    rows = [("OWN", 40, 90), ("P1", 3, 60), ("P2", 30, 70), ("P3", 45, 95), ("P4", 52, 120)]
    results = pd.DataFrame(
        [
            {"measure": "hyp008", "interval_start": month, "practice_id": p, "numerator": n, "denominator": d}
            for p, n, d in rows
        ]  # fmt: skip
    )
    position = practice_position(measure, results, "OWN", [p for p, _n, _d in rows], element_id="x")
    spec = json.loads(position.funnel.spec_json)
    denominators = sorted(p["denominator"] for p in points_of(spec))
    assert denominators == [70, 90, 95, 120]  # P1 (3 of 60) is not there at all, and nothing says 3
    assert position.funnel.practices_hidden == 1
    for code in ("P1", "P2", "P3", "P4"):
        assert code not in position.funnel.spec_json and code not in position.reading
    small = [("OWN", 5, 90)] + rows[1:]
    results.loc[results.practice_id == "OWN", "numerator"] = 5
    position = practice_position(measure, results, "OWN", [p for p, _n, _d in small], element_id="x")
    assert "Your practice is not on the funnel" in position.reading
    assert not [p for p in points_of(json.loads(position.funnel.spec_json)) if p["status"] == "highlight"]
