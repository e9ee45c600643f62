"""Choosing the chart from the counts: one hand-worked table per branch (see qiloop/spc/choose.py)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qiloop.errors import InputError
from qiloop.spc import choose_chart, read_counts, spc
from qiloop.spc.choose import MIN_EXPECTED

# numerators, denominators, kind, chart, small numbers; the comment works the rule by hand.
CASES = [
    # p̄ = 3/6 = 0.5; expected n·0.5 = 0.5, 0.5, 1, 1: median 0.75 < 5 -> run chart, no signals
    ([1, 0, 1, 1], [1, 1, 2, 2], "proportion", "run", True),
    # p̄ = 0: nobody in the numerator, expected 0 -> run chart
    ([0, 0, 0, 0], [30, 31, 29, 30], "proportion", "run", True),
    # p̄ = 1: everybody, min(p̄, 1 − p̄) = 0 -> run chart
    ([30, 31, 29, 30], [30, 31, 29, 30], "proportion", "run", True),
    # p̄ = 410/4100 = 0.1; expected 100, 110, 95, 105 (all >= 5); mean n 1025, largest gap 75 <= 256 -> XmR
    ([100, 110, 95, 105], [1000, 1100, 950, 1050], "proportion", "xmr", False),
    # p̄ = 0.5, n = 10: expected exactly 5 -> enough (>= 5), steady -> XmR (the boundary)
    ([5, 4, 6, 5, 5], [10, 10, 10, 10, 10], "proportion", "xmr", False),
    # p̄ = 0.5, n = 9: expected 4.5 < 5 -> run chart (just under the boundary)
    ([5, 4, 5, 4, 5], [9, 9, 9, 9, 9], "proportion", "run", True),
    # n 100/400 alternating: mean 250, gap 150 > 62.5 -> not steady; every p = 0.2 exactly -> z = 0, no
    # overdispersion -> P chart
    ([20, 80, 20, 80, 20, 80], [100, 400, 100, 400, 100, 400], "proportion", "p", False),
    # n 1000/3000 alternating (not steady), p alternating 0.1/0.3 around p̄ = 0.25: z-scores far beyond
    # what a binomial gives (χ² p < 0.05), every period large -> P′
    ([100, 900, 100, 900, 100, 900, 100, 900], [1000, 3000] * 4, "proportion", "pp", False),
    # p̄ = 0.5: expected 10, 10, 10, 10, 2: median 10 >= 5 but the last period has 2 < 5 -> limits per point (P)
    ([10, 10, 10, 10, 2], [20, 20, 20, 20, 4], "proportion", "p", False),
    # rate: ū = 2000/4000 = 0.5 per patient, expected n·ū = 500 each, steady -> XmR
    ([480, 520, 500, 500], [1000, 1000, 1000, 1000], "rate", "xmr", False),
    # rate: ū = 4/400 = 0.01, expected 1 per period < 5 -> run chart
    ([1, 2, 0, 1], [100, 100, 100, 100], "rate", "run", True),
    # rate: n 100/1000 not steady, y/n exactly ū = 0.5 -> no overdispersion -> U chart
    ([50, 500, 50, 500], [100, 1000, 100, 1000], "rate", "u", False),
    # rate: n 1000/3000, rates 0.5/2.0 around ū = 1.625 -> overdispersed, large -> U′
    ([500, 6000, 500, 6000, 500, 6000], [1000, 3000] * 3, "rate", "up", False),
    # score (a mean of per-patient values): not a count -> XmR whatever the numbers
    ([0.9, 1.8, 2.7], [1, 2, 3], "score", "xmr", False),
]


@pytest.mark.parametrize(("num", "den", "kind", "chart", "small"), CASES)
def test_the_chart_is_chosen_as_worked_by_hand(num, den, kind, chart, small):
    choice = choose_chart(num, den, kind=kind)
    assert (choice.chart, choice.small_numbers) == (chart, small)
    assert choice.reason.endswith(".") and choice.reason.count(". ") == 0  # one sentence


def test_the_reason_states_the_numbers_behind_the_choice():
    small = choose_chart([1, 0, 1, 1], [1, 1, 2, 2])
    assert "fewer than the 5" in small.reason and "n·p̄ ≥ 5" in small.reason
    assert small.median_expected == pytest.approx(0.75)
    steady = choose_chart([100, 110, 95, 105], [1000, 1100, 950, 1050])
    assert "within 25% of their average of 1,025" in steady.reason
    assert steady.centre == pytest.approx(0.1)
    laney = choose_chart([100, 900, 100, 900, 100, 900, 100, 900], [1000, 3000] * 4)
    assert laney.dispersion_p is not None and laney.dispersion_p < 0.05
    assert "Laney" in laney.reason and "1,000 to 3,000" in laney.reason


def test_start_up_and_zero_denominator_periods_do_not_decide_the_chart():
    # Without the first two periods (tiny, left out) every period is large and steady -> XmR.
    choice = choose_chart([0, 0, 100, 110, 95, 105], [1, 0, 1000, 1100, 950, 1050], use=[0, 0, 1, 1, 1, 1])
    assert choice.chart == "xmr" and choice.points_used == 4


def test_no_denominator_anywhere_is_said_in_words():
    choice = choose_chart([0, 0], [0, 0])
    assert choice.chart == "run" and "No period has anyone in the denominator" in choice.reason


@pytest.mark.parametrize(
    ("num", "den", "kind", "message"),
    [
        ([3, 1], [2, 2], "proportion", "larger than its denominator"),
        ([1, 2, 3], [4, 5], "proportion", "3 numerators but 2 denominators"),
        ([-1, 2], [4, 5], "proportion", "negative"),
        ([1, 2], [4, 5], "ratio", "kind must be one of"),
    ],
)
def test_bad_counts_are_refused_with_a_clear_message(num, den, kind, message):
    with pytest.raises(InputError, match=message):
        choose_chart(num, den, kind=kind)


def test_xmr_limits_are_clipped_to_0_and_100_percent_without_changing_any_signal():
    values = [0, 0, 40, 0, 95, 100, 0, 60, 0, 0, 100, 0, 0, 5]
    raw = spc(values, improvement="down")
    clipped = spc(values, improvement="down", bounds=(0, 100))
    assert raw.points["lcl"].min() < 0 and raw.points["ucl"].max() > 100  # the unclipped limits are impossible
    for column in ("lcl", "ucl", "lcl_2s", "ucl_2s"):
        assert clipped.points[column].between(0, 100).all()
    assert clipped.points["variation"].tolist() == raw.points["variation"].tolist()
    assert clipped.points["cl"].tolist() == raw.points["cl"].tolist()


def test_bounds_must_be_in_order():
    with pytest.raises(InputError, match="lower <= upper"):
        spc([1, 2, 3], bounds=(5, 1))


@st.composite
def proportion_series(draw):
    k = draw(st.integers(min_value=2, max_value=40))
    dens = draw(st.lists(st.integers(min_value=0, max_value=400), min_size=k, max_size=k))
    nums = [draw(st.integers(min_value=0, max_value=d)) for d in dens]
    return nums, dens


@settings(max_examples=150, deadline=None)
@given(proportion_series())
def test_limits_of_a_proportion_always_lie_within_0_and_100_percent(series):
    nums, dens = series
    months = list(range(1, len(nums) + 1))
    reading = read_counts(months, nums, dens, improvement="down")
    if reading is None:
        assert sum(d > 0 for d in dens) < 2
        return
    points = reading.result.points
    for column in ("cl", "lcl", "ucl", "lcl_2s", "ucl_2s"):
        values = points[column].dropna()
        assert ((values >= 0) & (values <= 100)).all(), column
    if reading.choice.small_numbers:
        assert (points["variation"] == "common_cause").all()
        assert reading.result.summary.variation_icon is None


@settings(max_examples=100, deadline=None)
@given(proportion_series())
def test_a_run_chart_is_chosen_exactly_when_a_typical_period_expects_fewer_than_five(series):
    nums, dens = series
    usable = [(n, d) for n, d in zip(nums, dens, strict=True) if d > 0]
    choice = choose_chart(nums, dens)
    if not usable:
        assert choice.chart == "run"
        return
    p = sum(n for n, _ in usable) / sum(d for _, d in usable)
    expected = float(np.median([d * min(p, 1 - p) for _, d in usable]))
    assert choice.small_numbers == (expected < MIN_EXPECTED)
