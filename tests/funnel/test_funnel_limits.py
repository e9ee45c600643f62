"""Funnel-plot limits and statistics, checked against plain-Python derivations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from qiloop.errors import InputError
from qiloop.spc.funnel import funnel
from qiloop.spc.funnel_dispersion import estimate_dispersion, truncate, winsorise
from qiloop.spc.funnel_limits import exact_binomial_limit


def binomial_cdf(r: int, n: int, p: float) -> float:
    return sum(math.comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(r + 1))


def spiegelhalter_binomial_limit(prob: float, n: int, theta: float) -> float:
    """Spiegelhalter (2005) appendix: smallest r with P(R ≤ r) ≥ prob, then interpolate."""
    r = 0
    while binomial_cdf(r, n, theta) < prob:
        r += 1
    cdf_r = binomial_cdf(r, n, theta)
    cdf_before = binomial_cdf(r - 1, n, theta) if r > 0 else 0.0
    alpha = (cdf_r - prob) / (cdf_r - cdf_before)
    return min(max((r - alpha) / n, 0.0), 1.0)


@pytest.mark.parametrize("n", [5, 20, 57, 150, 400])
@pytest.mark.parametrize("theta", [0.05, 0.3, 0.8])
@pytest.mark.parametrize("prob", [0.001, 0.025, 0.975, 0.999])
def test_exact_binomial_limit_matches_plain_python(n: int, theta: float, prob: float) -> None:
    assert exact_binomial_limit(prob, n, theta)[()] == pytest.approx(
        spiegelhalter_binomial_limit(prob, n, theta), abs=1e-9
    )


def test_exact_binomial_limits_approach_normal_limits_for_large_n() -> None:
    n, theta = 100_000, 0.2
    upper = exact_binomial_limit(0.975, n, theta)[()]
    assert upper == pytest.approx(theta + 1.959964 * math.sqrt(theta * (1 - theta) / n), abs=2e-5)


def test_proportion_exact_limits_and_flags() -> None:
    num, den = [10, 30, 2, 45], [100, 150, 60, 200]
    result = funnel(num, den, labels=list("ABCD"))
    theta = sum(num) / sum(den)
    assert result.summary.target == pytest.approx(theta)
    units = result.units
    for i, n in enumerate(den):
        assert units.loc[i, "lower_99_8"] == pytest.approx(spiegelhalter_binomial_limit(0.001, n, theta), abs=1e-9)
        assert units.loc[i, "upper_95"] == pytest.approx(spiegelhalter_binomial_limit(0.975, n, theta), abs=1e-9)
        value = num[i] / n
        outside = value < units.loc[i, "lower_95"] or value > units.loc[i, "upper_95"]
        assert bool(units.loc[i, "outside_95"]) == outside
    assert result.summary.n_outside["95%"] == int(units["outside_95"].sum())


def test_proportion_normal_limits_hand_formula() -> None:
    num, den = [12, 30, 8, 20], [100, 240, 90, 150]
    result = funnel(num, den, method="normal", target=0.12)
    se = np.sqrt(0.12 * 0.88 / np.array(den))
    np.testing.assert_allclose(result.units["upper_95"], 0.12 + stats.norm.ppf(0.975) * se)
    np.testing.assert_allclose(result.units["lower_99_8"], 0.12 - stats.norm.ppf(0.999) * se)
    np.testing.assert_allclose(result.units["z"], (np.array(num) / den - 0.12) / se)


def test_arcsine_scale_limits() -> None:
    num, den = [12, 30, 8, 20], [100, 240, 90, 150]
    result = funnel(num, den, method="normal", scale="arcsine")
    theta = sum(num) / sum(den)
    z = stats.norm.ppf(0.975)
    expected = np.sin(np.arcsin(math.sqrt(theta)) + z / (2 * np.sqrt(den))) ** 2
    np.testing.assert_allclose(result.units["upper_95"], expected)


def test_multiplicative_overdispersion_inflates_by_sqrt_phi() -> None:
    num = [5, 40, 12, 60, 22, 9, 70, 15, 33, 18]
    den = [200, 300, 250, 400, 260, 150, 380, 310, 290, 240]
    plain = funnel(num, den, method="normal", winsorise=0.0)
    wide = funnel(num, den, method="normal", overdispersion="multiplicative", winsorise=0.0)
    z = plain.units["z"].to_numpy()
    phi = float(np.mean(z**2))
    assert wide.summary.phi == pytest.approx(phi)
    assert phi > 1 and wide.summary.overdispersion_applied
    theta = plain.summary.target
    np.testing.assert_allclose(
        wide.units["upper_95"] - theta, (plain.units["upper_95"] - theta) * math.sqrt(phi), rtol=1e-12
    )
    np.testing.assert_allclose(wide.units["z_adjusted"], z / math.sqrt(phi))
    assert wide.summary.n_outside["99.8%"] <= plain.summary.n_outside["99.8%"]


def test_no_overdispersion_falls_back_to_unadjusted_limits() -> None:
    # values exactly on target: φ = 0
    result = funnel([10, 20, 30], [100, 200, 300], overdispersion="additive")
    assert not result.summary.overdispersion_applied
    np.testing.assert_allclose(result.units["upper_95"], result.units["upper_95_unadjusted"])
    assert any("No overdispersion" in note for note in result.summary.notes)


def test_dersimonian_laird_tau2_hand_worked() -> None:
    z = np.array([2.0, -1.0, 0.5, 3.0])
    s = np.array([0.1, 0.2, 0.1, 0.05])
    got = estimate_dispersion(z, s)
    phi = (4 + 1 + 0.25 + 9) / 4
    w = 1 / s**2  # 100, 25, 100, 400
    expected_tau2 = (4 * phi - 3) / (625 - (100**2 + 25**2 + 100**2 + 400**2) / 625)
    assert got.phi == pytest.approx(phi)
    assert got.tau2 == pytest.approx(expected_tau2)
    assert got.p_value == pytest.approx(stats.chi2.sf(4 * phi, 3))
    assert w.sum() == pytest.approx(625)


def test_winsorise_pulls_in_tails_with_type7_quantiles() -> None:
    z = np.arange(11, dtype=float)  # quantiles 0.1 -> 1.0, 0.9 -> 9.0
    trimmed = winsorise(z, 0.1)
    assert list(trimmed.z) == [1.0, 1.0, 2, 3, 4, 5, 6, 7, 8, 9.0, 9.0]
    assert list(trimmed.touched) == [True, True] + [False] * 7 + [True, True]


def test_truncate_drops_top_and_bottom_tenth_by_rank() -> None:
    z = np.arange(20, dtype=float)
    trimmed = truncate(z, 0.1)
    # group = floor(rank * 10 / 21): ranks 1-2 -> 0 (dropped), ranks 19-20 -> 9 (dropped)
    assert list(np.flatnonzero(trimmed.touched)) == [0, 1, 18, 19]
    assert np.isnan(trimmed.z[[0, 1, 18, 19]]).all()


def test_rate_is_a_poisson_ratio_to_the_pooled_rate() -> None:
    num, den = [4, 12, 30, 7], [1000.0, 2500.0, 4000.0, 1500.0]
    result = funnel(num, den, data_type="rate", multiplier=1000)
    theta = sum(num) / sum(den)
    expected = theta * np.array(den)
    upper = stats.chi2.ppf(0.999, 2 * (expected + 1)) / (2 * expected) * theta * 1000
    np.testing.assert_allclose(result.units["upper_99_8"], upper)
    np.testing.assert_allclose(result.units["value"], np.array(num) / den * 1000)
    assert result.summary.target == pytest.approx(theta * 1000)


def test_limits_curve_agrees_with_unit_limits() -> None:
    result = funnel([10, 30, 2, 45], [100, 150, 60, 200], data_type="proportion", method="normal")
    curve = result.limits_curve([60, 100, 150, 200])
    by_den = result.units.set_index("denominator")
    np.testing.assert_allclose(curve["upper_95"], by_den.loc[[60, 100, 150, 200], "upper_95"])
    default = result.limits_curve()
    assert default["denominator"].is_monotonic_increasing
    assert (np.diff(default["upper_99_8"]) <= 1e-12).all()  # funnel narrows as n grows


def test_sentence_counts_without_ranking() -> None:
    num = [10, 12, 11, 9, 40, 10, 0, 11]
    den = [100] * 8
    result = funnel(num, den, labels=[f"P{i}" for i in range(8)], unit_name="practices")
    sentence = result.summary.sentence
    assert sentence.startswith("2 of 8 practices lie outside the 99.8% limits (1 above, 1 below)")
    assert "league table" in sentence
    for word in ("best", "worst", "rank", "P4", "P6"):
        assert word not in sentence


@pytest.mark.parametrize(
    ("num", "den", "kwargs", "message"),
    [
        ([1, 2], [10, 0], {}, r"unit 2 \(2\): denominator must be positive"),
        ([1, -2], [10, 10], {}, "numerator must not be negative"),
        ([11, 2], [10, 10], {}, "larger than denominator"),
        ([1, 2], [10.5, 10], {}, "whole-number denominators"),
        ([1], [10], {}, "at least 2 units"),
        ([0, 0], [10, 10], {}, "target proportion"),
        ([1, 2], [10, 10], {"data_type": "odds"}, "data_type must be one of"),
        ([1, 2], [10, 10], {"scale": "log"}, "scale must be one of"),
        ([1, "x"], [10, 10], {}, "numerator must be numbers"),
    ],
)
def test_bad_input_is_explained(num, den, kwargs, message) -> None:
    with pytest.raises(InputError, match=message):
        funnel(num, den, **kwargs)
