"""Network funnels count distinct patients or distinct appointments, and widen for overdispersion when tested for.

The results tables here are made by hand, so every expected count is worked out in the test from the months it
covers; the overdispersion test is checked against scipy's χ² directly.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from qiloop.errors import InputError
from qiloop.measures import all_measures
from qiloop.measures.disclosure import publish_count
from qiloop.measures.language import appointments, measure, medications
from qiloop.spc.funnel import funnel
from qiloop.spc.funnel_basis import funnel_basis, network_funnel, published_counts
from qiloop.spc.funnel_limits import Scale

MEASURES = all_measures()
MONTHS = pd.date_range("2025-02-01", periods=14, freq="MS")  # 14 months: the latest 12 are April 2025 – March 2026


def results_table(measure_id: str, per_month: dict[str, tuple[int, int]]) -> pd.DataFrame:
    """The same numerator and denominator every month for each practice (a steady list of patients)."""
    rows = [
        {"measure": measure_id, "interval_start": month, "practice_id": practice, "numerator": n, "denominator": d}
        for month in MONTHS
        for practice, (n, d) in per_month.items()
    ]
    return pd.DataFrame(rows)


def test_patient_measures_count_each_patient_once_the_latest_month() -> None:
    # 40 patients on the register every month for 14 months, 20 of them controlled: the funnel's denominator is
    # the 40 patients, not 12 × 40 = 480 patient-months.
    table = results_table("hyp008", {"P1": (20, 40), "P2": (30, 50)})
    counts = published_counts(table, MEASURES["hyp008"], ["P1", "P2"])
    assert counts.basis.counts == "patients" and counts.basis.months == 1
    published = counts.table.set_index("practice_id")
    assert published.loc["P1", "denominator"] == 40 and published.loc["P1", "numerator"] == 20
    assert published.loc["P2", "denominator"] == 50
    assert (counts.first, counts.last) == (dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert counts.axis_title == "Patients in the denominator, March 2026"


def test_the_latest_month_is_the_snapshot_not_an_earlier_one() -> None:
    table = results_table("hyp008", {"P1": (20, 40)})
    latest = table["interval_start"] == MONTHS[-1]
    table.loc[latest, ["numerator", "denominator"]] = [33, 45]
    counts = published_counts(table, MEASURES["hyp008"], ["P1"])
    assert counts.table.iloc[0][["numerator", "denominator"]].tolist() == [35, 45]  # 33 published as 35


def test_appointment_measures_sum_the_latest_12_months_of_appointments() -> None:
    # Each appointment falls in one month: 12 months × 30 appointments = 360 distinct appointments (the 13th and
    # 14th months back are left out).
    table = results_table("dna_rate", {"P1": (3, 30), "P2": (5, 41)})
    counts = published_counts(table, MEASURES["dna_rate"], ["P1", "P2"])
    assert counts.basis.counts == "appointments" and counts.basis.months == 12
    published = counts.table.set_index("practice_id")
    assert published.loc["P1", "denominator"] == 360 and published.loc["P1", "numerator"] == 35  # 36 → 35
    assert published.loc["P2", "denominator"] == 490 and published.loc["P2", "numerator"] == 60  # 492, 60
    assert counts.axis_title == "Appointments, April 2025 – March 2026"


def test_the_basis_is_read_from_the_measure_model() -> None:
    for measure_id, expected in {
        "pincer_a": ("patients", 1),
        "copd010": ("patients", 1),
        "continuity_upc": ("patients", 1),  # a 12-month look-back per patient: summing months would count it 12 times
        "appts_per_1000": ("patients", 1),  # appointments per registered patient: the list, once
        "dna_rate": ("appointments", 12),
        "wait_same_day": ("appointments", 12),
        "f2f_share": ("appointments", 12),
    }.items():
        basis = funnel_basis(MEASURES[measure_id])
        assert (basis.counts, basis.months) == expected, measure_id
    # Every library measure with a count-of-appointments denominator is summed; every other one is a snapshot.
    for m in MEASURES.values():
        summed = funnel_basis(m).months == 12
        assert summed == (m.denominator.__class__.__name__ == "AppointmentAggregate"), m.id


def test_a_count_over_a_longer_window_is_never_summed() -> None:
    # Appointments in the last 12 months overlap from one month to the next: a sum would count each one 12 times.
    year = appointments(status=("attended", "did_not_attend")).in_last(months=12)
    m = measure(
        id="dna_year",
        title="Missed appointments over a year",
        numerator=year.where(status="did_not_attend").count(),
        denominator=year.count(),
        low_is_good=True,
    )
    basis = funnel_basis(m)
    assert (basis.counts, basis.months) == ("appointments", 1)
    # Prescription issues in the month: each issue is in one month, so 12 months are summed (read from the model).
    issues = medications(["39720311000001101", "39732311000001104"]).in_last(months=1)
    monthly = measure(
        id="issues_month",
        title="Issues of the first of two drugs",
        numerator=medications(["39720311000001101"]).in_last(months=1).count(),
        denominator=issues.count(),
        low_is_good=True,
    )
    assert (funnel_basis(monthly).counts, funnel_basis(monthly).months) == ("prescriptions", 12)
    quarter = measure(
        id="issues_quarter",
        title="Issues over three months",
        numerator=medications(["39720311000001101"]).in_last(months=3).count(),
        denominator=medications(["39720311000001101", "39732311000001104"]).in_last(months=3).count(),
        low_is_good=True,
    )
    assert funnel_basis(quarter).months == 1


def test_the_network_funnel_tests_for_overdispersion_and_names_the_adjustment() -> None:
    rng = np.random.default_rng(7)
    den = rng.integers(200, 2000, 20)
    spread = rng.beta(20, 80, 20)  # practices really differ: about 20% ± 4%
    num = rng.binomial(den, spread)
    result = funnel(num, den, data_type="proportion", scale="arcsine", overdispersion="additive", dispersion_alpha=0.05,
                    centre_label="network average", unit_name="practices")  # fmt: skip
    z = (np.arcsin(np.sqrt(num / den)) - np.arcsin(np.sqrt(num.sum() / den.sum()))) * 2 * np.sqrt(den)
    low, high = np.quantile(z, [0.1, 0.9])
    phi = float(np.mean(np.clip(z, low, high) ** 2))
    assert result.summary.phi == pytest.approx(phi)
    assert result.summary.dispersion_p_value == pytest.approx(stats.chi2.sf(20 * phi, 19))
    assert result.summary.dispersion_p_value < 0.05 and result.summary.overdispersion_applied
    assert result.summary.tau2 > 0
    assert "additive random-effects" in result.summary.sentence and "network average" in result.summary.sentence
    assert "target" not in result.summary.sentence


def test_no_adjustment_when_the_test_finds_no_overdispersion() -> None:
    rng = np.random.default_rng(3)
    for _ in range(20):
        den = rng.integers(200, 2000, 20)
        num = rng.binomial(den, 0.2)  # chance alone
        result = funnel(num, den, scale="arcsine", overdispersion="additive", dispersion_alpha=0.05)
        significant = result.summary.dispersion_p_value < 0.05
        assert result.summary.overdispersion_applied == (significant and result.summary.phi > 1)
        if result.summary.phi > 1 and not significant:
            assert "no significant overdispersion" in result.summary.sentence
            assert result.summary.tau2 == 0 or not result.summary.overdispersion_applied
            lower = result.units["lower_99_8"].to_numpy()
            assert np.allclose(lower, result.units["lower_99_8_unadjusted"].to_numpy())


def share_outside(rng: np.random.Generator, draw, adjusted: bool, networks: int = 100) -> float:
    outside = 0
    for _ in range(networks):
        den = rng.integers(300, 3000, 20)
        num = rng.binomial(den, draw())
        result = funnel(num, den, scale="arcsine", **(ADJUSTED if adjusted else {}))
        outside += result.summary.n_above + result.summary.n_below
    return outside / (20 * networks)


ADJUSTED = {"overdispersion": "additive", "dispersion_alpha": 0.05}


def test_the_share_outside_99_8_is_about_chance_after_the_adjustment() -> None:
    """100 simulated networks of 20 practices each. With no real differences about 0.2% lie outside 99.8% limits
    by chance, adjusted or not. When practices really differ (beta-binomial, 30% ± 4.6%) unadjusted limits flag
    a third of them; the additive adjustment brings that down to about 1%: Spiegelhalter's 10% winsorising keeps
    a true outlier from hiding itself, at the price of a τ² a little small when every practice differs smoothly."""
    rng = np.random.default_rng(11)
    assert share_outside(rng, lambda: 0.3, adjusted=False) < 0.005
    assert share_outside(rng, lambda: 0.3, adjusted=True) < 0.005
    assert share_outside(rng, lambda: rng.beta(30, 70, 20), adjusted=False) > 0.2
    assert share_outside(rng, lambda: rng.beta(30, 70, 20), adjusted=True) < 0.02


def test_the_network_funnel_refuses_a_biased_set_and_nothing_to_compare() -> None:
    small = {f"P{i}": (3, 40) for i in range(6)}  # numerators of 3: suppressed
    shown = {f"Q{i}": (10, 40) for i in range(4)}
    counts = published_counts(results_table("hyp008", small | shown), MEASURES["hyp008"], list(small | shown))
    assert counts.hidden == 6 and len(counts.usable) == 4
    assert network_funnel(counts) is None  # 4 of 10 shown: the rest are not a fair picture
    none = published_counts(results_table("hyp008", {"A": (0, 40), "B": (0, 50)}), MEASURES["hyp008"], ["A", "B"])
    assert network_funnel(none) is None
    fair = published_counts(results_table("hyp008", {"A": (10, 40), "B": (20, 50)}), MEASURES["hyp008"], ["A", "B"])
    result = network_funnel(fair, multiplier=100)
    assert result is not None and result.summary.centre_label == "network average"
    assert result.summary.target == pytest.approx(100 * 30 / 90)


def test_rounding_widens_each_standard_error_by_its_own_variance() -> None:
    theta, n = 0.3, np.array([10.0, 40.0, 400.0])
    identity = Scale("identity", theta, rounding=2.0, count_ratio=theta)
    expected = np.sqrt(theta * (1 - theta) / n + 2.0 * (1 + theta**2) / n**2)  # (c + e)/(n + f), delta method
    assert identity.standard_error(n) == pytest.approx(expected)
    log = Scale("log", 1.0, rounding=2.0, count_ratio=0.5)  # a rate of 0.5 per patient: E = 0.5 × patients
    assert log.standard_error(n) == pytest.approx(np.sqrt(1 / n + 2.0 * 1.25 / n**2))
    assert Scale("identity", theta).standard_error(n) == pytest.approx(np.sqrt(theta * (1 - theta) / n))
    with pytest.raises(InputError, match="rounding needs normal"):
        funnel([3, 4], [10, 12], rounding=2.0)


def published_network(rng: np.random.Generator, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """20 small practices with no real differences, their counts published (1–7 suppressed, rounded to 5)."""
    while True:
        den = rng.integers(10, 80, 20)
        num = rng.binomial(den, theta)
        pairs = [(publish_count(float(a)), publish_count(float(b))) for a, b in zip(num, den, strict=True)]
        kept = [(a, b) for a, b in pairs if a is not None and b is not None and b > 0]
        n, d = np.array([a for a, _ in kept], dtype=float), np.array([b for _, b in kept], dtype=float)
        if len(n) >= 2 and 0 < n.sum() < d.sum():
            return n, d


def test_rounding_to_5_is_not_taken_for_a_real_difference() -> None:
    """At 90% a practice with 54 of 57 is published as 55 of 55 (100%): without the allowance for rounding, one
    practice in four of these small ones falls outside 99.8% limits; with it, about what chance gives."""
    rng = np.random.default_rng(1)
    plain = allowed = total = 0
    for _ in range(200):
        num, den = published_network(rng, 0.9)
        exact = funnel(num, den)
        rounded = funnel(num, den, method="normal", rounding=2.0)
        plain += exact.summary.n_above + exact.summary.n_below
        allowed += rounded.summary.n_above + rounded.summary.n_below
        total += len(num)
    assert plain / total > 0.1
    assert allowed / total < 0.005
