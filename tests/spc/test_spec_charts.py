"""Spec tests: small tables in, hand-worked centre lines and limits out (arithmetic in the comments)."""

from __future__ import annotations

import math

import pytest

from qiloop.spc import spc

ALL_POINTS = {"min_points_for_limits": 1}


def first(result, column: str) -> float:
    return float(result.points[column].iloc[0])


def test_xmr_mdc_limits() -> None:
    # y 10 12 11 13 14: mean 60/5 = 12; moving ranges 2 1 2 1, mean 1.5
    # limits 12 ± 2.66 × 1.5 = 12 ± 3.99 -> 8.01 / 15.99; 2σ lines 12 ± (2/3) × 3.99 = 12 ± 2.66
    r = spc([10, 12, 11, 13, 14], profile="mdc", **ALL_POINTS)
    assert first(r, "cl") == pytest.approx(12)
    assert (first(r, "lcl"), first(r, "ucl")) == pytest.approx((8.01, 15.99))
    assert (first(r, "lcl_2s"), first(r, "ucl_2s")) == pytest.approx((9.34, 14.66))
    assert r.points["mr"].tolist()[1:] == [2, 1, 2, 1]
    assert math.isnan(r.points["mr"].iloc[0])


def test_xmr_qicharts2_uses_three_sigma_from_d2() -> None:
    # σ = 1.5 / 1.128 = 1.329787; UCL = 12 + 3σ = 15.989362
    r = spc([10, 12, 11, 13, 14], profile="qicharts2")
    assert first(r, "ucl") == pytest.approx(12 + 3 * 1.5 / 1.128)
    assert first(r, "ucl_2s") == pytest.approx(12 + 2 * 1.5 / 1.128)


def test_moving_range_screening() -> None:
    # y 10 11 10 11 10 50: MRs 1 1 1 1 40, mean 8.8; 3.267 × 8.8 = 28.75 drops the 40 -> mean MR 1
    # mean y = 102 / 6 = 17; screened limits 17 ± 2.66 = 14.34 / 19.66; unscreened 17 ± 2.66 × 8.8 = 17 ± 23.408
    y = [10, 11, 10, 11, 10, 50]
    screened = spc(y, profile="plotthedots")
    assert (first(screened, "lcl"), first(screened, "ucl")) == pytest.approx((14.34, 19.66))
    plain = spc(y, profile="plotthedots", mr_screening=False)
    assert (first(plain, "lcl"), first(plain, "ucl")) == pytest.approx((17 - 23.408, 17 + 23.408))


def test_run_chart_median_and_anhoej_counts() -> None:
    # sorted 1 1 2 3 4 5 6 9 -> median 3.5; sides - - + - + + - + : 6 runs, 5 crossings, longest 2
    # n_useful 8: longest-run max round(log2 8) + 3 = 6; crossings min qbinom(0.05, 7, 0.5) = 1
    # (P(X ≤ 0) = 1/128 < 0.05 ≤ P(X ≤ 1) = 8/128)
    r = spc([3, 1, 4, 1, 5, 9, 2, 6], chart="run", profile="qicharts2")
    s = r.summary
    assert first(r, "cl") == 3.5
    assert r.points["ucl"].isna().all()
    assert (s.n_useful, s.longest_run, s.longest_run_max, s.n_crossings, s.n_crossings_min) == (8, 2, 6, 5, 1)
    assert s.runs_signal is False


def test_run_chart_points_on_the_median_are_not_useful() -> None:
    # 1 2 3 4 5: median 3 is on the line -> 4 useful points, sides - - + +, 1 crossing
    s = spc([1, 2, 3, 4, 5], chart="run", profile="qicharts2").summary
    assert (s.n_useful, s.longest_run, s.n_crossings) == (4, 2, 1)


def test_p_chart() -> None:
    # CL = (5 + 10) / (50 + 100) = 0.1; σ₁ = √(0.1 × 0.9 / 50) = 0.0424264; UCL₁ = 0.1 + 3σ₁ = 0.2272792
    # LCL₁ = 0.1 − 0.1272792 < 0 -> 0; σ₂ = √(0.09 / 100) = 0.03 -> UCL₂ = 0.19, LCL₂ = 0.01
    r = spc([5, 10], n=[50, 100], chart="p", profile="qicharts2")
    assert r.points["y"].tolist() == [0.1, 0.1]
    assert r.points["ucl"].tolist() == pytest.approx([0.2272792, 0.19])
    assert r.points["lcl"].tolist() == pytest.approx([0.0, 0.01])


def test_p_prime_chart_laney() -> None:
    # CL = 60/300 = 0.2; σᵢ = √(0.2 × 0.8 / 100) = 0.04; z = −2.5, 0, 2.5; MRs 2.5 2.5 (none screened)
    # σ_z = 2.5 / 1.128 = 2.2163121; σ′ = 0.04 × σ_z = 0.0886525; UCL = 0.2 + 3σ′ = 0.4659574; LCL 0
    r = spc([10, 20, 30], n=[100, 100, 100], chart="pp", profile="qicharts2")
    assert first(r, "ucl") == pytest.approx(0.2 + 3 * 0.04 * 2.5 / 1.128)
    assert first(r, "lcl") == 0.0


def test_u_chart_and_multiply() -> None:
    # CL = 8 / 30 = 0.2666667; σ₁ = √(0.2666667 / 10) = 0.1632993; UCL₁ = 0.7565646; × 100 per 100 units
    r = spc([2, 6], n=[10, 20], chart="u", profile="qicharts2", multiply=100)
    assert first(r, "cl") == pytest.approx(26.666667)
    assert first(r, "ucl") == pytest.approx(75.65646, rel=1e-6)
    assert first(r, "y") == pytest.approx(20)


def test_c_chart() -> None:
    # CL = (4 + 9 + 2) / 3 = 5; σ = √5 = 2.2360680; UCL = 5 + 6.7082039 = 11.7082039; LCL < 0 -> 0
    r = spc([4, 9, 2], chart="c", profile="qicharts2")
    assert (first(r, "cl"), first(r, "ucl"), first(r, "lcl")) == pytest.approx((5, 11.7082039, 0))


@pytest.mark.parametrize(("profile", "centre"), [("qicharts2", 20.0), ("mdc", 0.693 * 20)])
def test_g_chart(profile: str, centre: float) -> None:
    # ḡ = 20; σ = √(20 × 21) = 20.4939015; UCL = 20 + 3σ = 81.4817; LCL 0
    # centre line: median 20 (qicharts2) or 0.693 × 20 = 13.86 (MDC)
    r = spc([10, 20, 30], chart="g", profile=profile, min_points_for_limits=1)
    assert (first(r, "cl"), first(r, "ucl"), first(r, "lcl")) == pytest.approx((centre, 81.4817045, 0))


def test_t_chart() -> None:
    # y = t^3.6 with t = 1 2 3 2: transformed mean 2, MRs 1 1 1 (mean 1), unscreened σ = 1/1.128
    # UCL = (2 + 3/1.128)^3.6; LCL: 2 − 2.6596 < 0 -> 0; CL = 2^3.6
    y = [t**3.6 for t in (1, 2, 3, 2)]
    r = spc(y, chart="t", profile="qicharts2", mr_screening=False)
    assert first(r, "cl") == pytest.approx(2**3.6)
    assert first(r, "ucl") == pytest.approx((2 + 3 / 1.128) ** 3.6)
    assert first(r, "lcl") == 0.0


def test_xbar_and_s_charts() -> None:
    # subgroups {1, 3} and {5, 7}: means 2, 6; SDs √2, √2; n = 2
    # c4(2) = √2 · Γ(1) / Γ(1/2) = √2 / √π = 0.7978846
    # Xbar: CL = 4; σ = √2 / (c4 · √2) = 1.2533141; UCL = 4 + 3.7599424 = 7.7599424
    # S: CL = √2; σ = √2 · √(1 − c4²) / c4 = 1.0684537; UCL = 1.4142136 + 3.2053612 = 4.6195748; LCL 0
    x, y = [1, 1, 2, 2], [1, 3, 5, 7]
    xbar = spc(y, x=x, chart="xbar", profile="qicharts2")
    assert xbar.points["y"].tolist() == [2, 6]
    assert (first(xbar, "cl"), first(xbar, "ucl")) == pytest.approx((4, 7.7599424))
    s = spc(y, x=x, chart="s", profile="qicharts2")
    assert (first(s, "cl"), first(s, "ucl"), first(s, "lcl")) == pytest.approx((math.sqrt(2), 4.6195748, 0))


def test_mr_chart() -> None:
    # y 10 12 11 13 14 -> MR (none) 2 1 2 1; CL 1.5; UCL 3.267 × 1.5 = 4.9005; LCL 0
    r = spc([10, 12, 11, 13, 14], chart="mr", profile="qicharts2")
    assert math.isnan(first(r, "y"))
    assert (first(r, "cl"), first(r, "ucl"), first(r, "lcl")) == pytest.approx((1.5, 4.9005, 0))


def test_freeze_computes_limits_from_the_baseline() -> None:
    # freeze 4: CL = (1 + 2 + 3 + 4) / 4 = 2.5; MRs of the baseline 1 1 1 -> UCL 2.5 + 2.66 = 5.16; 100 is outside
    r = spc([1, 2, 3, 4, 100], freeze=4, profile="mdc", **ALL_POINTS)
    assert (first(r, "cl"), first(r, "ucl")) == pytest.approx((2.5, 5.16))
    assert r.points["sigma_signal"].tolist() == [False, False, False, False, True]
    assert r.summary.phases[0].baseline_points == 4


def test_exclude_leaves_a_point_out_of_the_calculations() -> None:
    # exclude point 2 (value 50): CL = (10 + 12 + 11 + 13) / 4 = 11.5; MRs over 10 12 11 13 = 2 1 2 -> 5/3
    r = spc([10, 12, 50, 11, 13], exclude=[2], profile="mdc", **ALL_POINTS)
    assert first(r, "cl") == pytest.approx(11.5)
    assert first(r, "ucl") == pytest.approx(11.5 + 2.66 * 5 / 3)
    assert r.points["excluded"].tolist() == [False, False, True, False, False]
    assert r.points["rule"].iloc[2] == ""  # excluded points are plotted but never signal


def test_splits_start_new_phases() -> None:
    # split at x = 4: phase 0 = 1 2 3 (CL 2), phase 1 = 10 11 12 (CL 11)
    r = spc([1, 2, 3, 10, 11, 12], splits=[4], profile="mdc", **ALL_POINTS)
    assert r.points["phase"].tolist() == [0, 0, 0, 1, 1, 1]
    assert r.points["cl"].tolist() == [2, 2, 2, 11, 11, 11]
    assert [p.cl for p in r.summary.phases] == [2, 11]
    assert [p.start_x for p in r.summary.phases] == [1, 4]


def test_splits_by_date() -> None:
    months = ["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]
    r = spc([1, 2, 10, 11], x=months, splits=["2025-03-01"], profile="mdc", **ALL_POINTS)
    assert r.points["phase"].tolist() == [0, 0, 1, 1]
