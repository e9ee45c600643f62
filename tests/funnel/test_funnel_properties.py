"""Funnel-plot invariants over random data (Hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from qiloop.spc.funnel import funnel


@st.composite
def units(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    count = draw(st.integers(min_value=3, max_value=15))
    denominators = draw(st.lists(st.integers(min_value=5, max_value=3000), min_size=count, max_size=count))
    rates = draw(st.lists(st.floats(min_value=0.02, max_value=0.9), min_size=count, max_size=count))
    numerators = [int(round(n * r)) for n, r in zip(denominators, rates, strict=True)]
    numerators[0] = max(1, min(numerators[0], denominators[0] - 1))  # pooled proportion strictly inside (0, 1)
    return numerators, denominators


@settings(max_examples=40, deadline=None)
@given(units(), st.sampled_from(["exact", "normal"]), st.sampled_from(["none", "multiplicative", "additive"]))
def test_limits_nest_around_the_target(data, method, overdispersion) -> None:
    num, den = data
    result = funnel(num, den, method=method, overdispersion=overdispersion)
    u = result.units
    target = result.summary.target
    tol = 1e-12
    assert (u["lower_99_8"] <= u["lower_95"] + tol).all()
    assert (u["lower_95"] <= target + tol).all()
    assert (u["upper_95"] >= target - tol).all()
    assert (u["upper_99_8"] >= u["upper_95"] - tol).all()
    assert ((u["lower_99_8"] >= 0) & (u["upper_99_8"] <= 1)).all()
    # flags follow the limits, inclusively
    value = u["value"].to_numpy()
    assert (u["outside_95"] == ((value < u["lower_95"]) | (value > u["upper_95"]))).all()
    assert result.summary.n_above + result.summary.n_below == int(u["outside_99_8"].sum())


@settings(max_examples=30, deadline=None)
@given(units())
def test_adjustment_only_widens_limits(data) -> None:
    num, den = data
    plain = funnel(num, den, method="normal")
    for kind in ("multiplicative", "additive"):
        wide = funnel(num, den, method="normal", overdispersion=kind)
        if wide.summary.overdispersion_applied:
            assert (wide.units["upper_99_8"] >= plain.units["upper_99_8"] - 1e-12).all()
            assert (wide.units["lower_99_8"] <= plain.units["lower_99_8"] + 1e-12).all()
            assert wide.summary.n_outside["99.8%"] <= plain.summary.n_outside["99.8%"]
        else:
            np.testing.assert_allclose(wide.units["upper_99_8"], plain.units["upper_99_8"])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=200), min_size=3, max_size=12), st.floats(0.5, 80))
def test_ratio_limits_bracket_one_and_narrow_with_expected(observed, scale) -> None:
    expected = [scale * (i + 1) for i in range(len(observed))]
    if sum(observed) == 0:
        observed = [1, *observed[1:]]
    result = funnel(observed, expected, data_type="ratio")
    u = result.units
    assert (u["lower_99_8"] < 1).all() and (u["upper_99_8"] > 1).all()
    assert (np.diff(u["upper_99_8"].to_numpy()) < 0).all()  # expected counts increase down the table
    assert np.isfinite(u["z"]).all()
