"""Did the change work? Hand-worked tables and properties.

Every table uses the same baseline: 12 monthly points alternating 10, 12 — mean 11, every
moving range 2, so the XmR limits are 11 ± 2.66 × 2 = 5.68 and 16.32 and the 2σ lines
11 ± 3.547 (7.45, 14.55). The change is on 1 January 2026, the 13th point.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from qiloop.errors import InputError
from qiloop.improvement.change import MIN_AFTER, MIN_BEFORE, assess_change, change_position, has_baseline, phase_start

MONTHS = [f"{2025 + (i // 12)}-{i % 12 + 1:02d}-01" for i in range(36)]
BASE = [10, 12] * 6
CHANGE = "2026-01-01"


def verdict(after, low_is_good=True, **kwargs):
    y = BASE + list(after)
    return assess_change(MONTHS[: len(y)], y, CHANGE, low_is_good=low_is_good, label="PDSA 2", **kwargs)


def test_thresholds():
    assert MIN_BEFORE == 12
    assert MIN_AFTER == 6
    assert has_baseline(12) and not has_baseline(11)


# after the change -> (kind when low is good, kind when high is good, rules, sustained when low is good)
TABLE = [
    ("six below the mean: a shift", [9] * 6, "improvement", "deterioration", ("shift",), True),
    ("alternating inside the limits", [9, 12] * 3, "no_change_yet", "no_change_yet", (), False),
    ("one point below the lower limit", [11] * 5 + [5], "improvement", "deterioration", ("outside_limits",), False),
    ("one point above the upper limit", [11] * 5 + [17], "deterioration", "improvement", ("outside_limits",), False),
    ("six falling points: a trend", [12, 11.5, 11, 10.5, 10, 9.5], "improvement", "deterioration", ("trend",), False),
    (
        "two of three beyond the lower 2σ line",
        [11, 11, 11, 7, 10, 7],
        "improvement",
        "deterioration",
        ("two_of_three",),
        False,
    ),
    ("better, then worse: the latest decides", [9] * 6 + [13] * 6, "deterioration", "improvement", ("shift",), False),
    ("worse, then better", [13] * 6 + [9] * 6, "improvement", "deterioration", ("shift",), True),
    ("five below the mean: too few", [9] * 5, "too_few_points", "too_few_points", (), False),
]


@pytest.mark.parametrize(
    ("name", "after", "low_good", "high_good", "rules", "sustained"), TABLE, ids=[t[0] for t in TABLE]
)
def test_hand_worked(name, after, low_good, high_good, rules, sustained):
    low = verdict(after, low_is_good=True)
    high = verdict(after, low_is_good=False)
    assert (low.kind, high.kind) == (low_good, high_good)
    assert low.rules == rules == high.rules
    assert low.sustained is sustained
    assert not high.sustained or high.kind == "improvement"
    assert (low.points_before, low.points_after) == (12, len(after))
    assert (low.baseline_cl, low.baseline_lcl, low.baseline_ucl) == pytest.approx((11, 5.68, 16.32))


def test_sentences():
    assert verdict([9] * 6).sentence == (
        "Since the change on 1 January 2026 (PDSA 2), all 6 months are below the old average: "
        "the data show a real improvement."
    )
    assert verdict([9] * 8).sentence == (
        "Since the change on 1 January 2026 (PDSA 2), all 8 months are below the old average: "
        "the data show a real improvement."
    )
    assert verdict([11] * 5 + [5]).sentence == (
        "Since the change on 1 January 2026 (PDSA 2), 1 month was below the old lower limit: "
        "the data show a real improvement."
    )
    assert verdict([9] * 6, low_is_good=False).sentence.endswith(
        "all 6 months are below the old average: the data show that things have got worse; "
        "look at what the change affected."
    )
    assert verdict([9, 12] * 3).sentence == (
        "Since the change on 1 January 2026 (PDSA 2), the 6 months since show only common-cause variation "
        "against the old limits: no change yet. A real improvement would show as 6 months in a row below the old "
        "average or one below the old lower limit."
    )
    assert verdict([9] * 5).sentence == (
        "Since the change on 1 January 2026 (PDSA 2) there have been 5 months; at least 6 are needed to see a real "
        "change, so it is too early to tell."
    )
    assert verdict([5, 9, 9]).sentence.endswith(
        "One is already below the old lower limit: an early sign of improvement."
    )
    assert verdict([9] * 6 + [13] * 6).sentence.endswith("things have got worse again after an earlier improvement.")


def test_too_few_before():
    y = BASE[:11] + [9] * 6
    result = assess_change(MONTHS[:17], y, "2025-12-01", low_is_good=True)
    assert result.kind == "too_few_points"
    assert (result.points_before, result.points_after) == (11, 6)
    assert result.baseline_cl is None
    assert result.sentence == (
        "Only 11 months before the change on 1 December 2025: at least 12 are needed to know what was usual before it, "
        "so it is too early to tell whether the change worked. Add earlier data if you have it."
    )


def test_no_points_after_yet():
    result = assess_change(MONTHS[:12], BASE, "2026-03-15", low_is_good=True)
    assert (result.kind, result.points_after) == ("too_few_points", 0)
    assert "there have been no points yet" in result.sentence


def test_a_change_between_points_counts_from_the_next_point():
    assert change_position(MONTHS[:18], date(2025, 12, 3)) == 12
    assert phase_start(MONTHS[:18], date(2025, 12, 3)) == "2026-01-01"
    assert phase_start(MONTHS[:12], date(2026, 5, 1)) is None
    result = assess_change(MONTHS[:18], BASE + [9] * 6, date(2025, 12, 3), low_is_good=True)
    assert (result.kind, result.points_before) == ("improvement", 12)
    assert result.sentence.startswith("Since the change on 3 December 2025, all 6 months")


def test_labels_instead_of_dates():
    x = [f"week {i}" for i in range(1, 19)]
    result = assess_change(x, BASE + [9] * 6, "week 13", low_is_good=True, label="PDSA 1")
    assert result.kind == "improvement"
    assert result.sentence.startswith("Since the change at week 13 (PDSA 1), all 6 points are below")
    with pytest.raises(InputError, match="not one of the x values"):
        assess_change(x, BASE + [9] * 6, "week 40", low_is_good=True)


def test_weekly_dates_count_weeks():
    x = [date(2026, 1, 5) + (date(2026, 1, 12) - date(2026, 1, 5)) * i for i in range(18)]
    result = assess_change(x, BASE + [9] * 6, x[12], low_is_good=True)
    assert "all 6 weeks are below" in result.sentence


def test_missing_values_are_skipped():
    y = BASE + [None, 9, 9, 9, 9, 9, 9]
    result = assess_change(MONTHS[:19], y, CHANGE, low_is_good=True)
    assert (result.kind, result.points_after) == ("improvement", 6)


def test_since_drops_an_older_period():
    y = [30] * 6 + BASE + [9] * 6
    x = [f"{2024}-{m:02d}-01" for m in range(7, 13)] + MONTHS[:18]
    with_old = assess_change(x, y, CHANGE, low_is_good=True)
    assert with_old.points_before == 18
    result = assess_change(x, y, CHANGE, low_is_good=True, since="2025-01-01")
    assert (result.kind, result.points_before, result.baseline_cl) == ("improvement", 12, 11)


def test_ratio_chart_with_denominators():
    # DNA counts out of about 1,000 appointments a month: ~8% before, ~4% after.
    numerators = [78, 85, 80, 76, 83, 79, 81, 84, 77, 82, 80, 79] + [41, 38, 44, 40, 39, 42]
    denominators = [1000, 1010, 990, 1005, 995, 1000, 1002, 998, 1001, 999, 1003, 997] + [1000] * 6
    result = assess_change(MONTHS[:18], numerators, CHANGE, low_is_good=True, n=denominators)
    assert result.kind == "improvement"
    assert result.rules[0] == "outside_limits"
    assert result.baseline_cl == pytest.approx(sum(numerators[:12]) / sum(denominators[:12]))
    p_chart = assess_change(MONTHS[:18], numerators, CHANGE, low_is_good=True, n=denominators, chart="p")
    assert p_chart.kind == "improvement"


def test_bad_input_is_refused_clearly():
    with pytest.raises(InputError, match="x has 3 values but y has 2"):
        assess_change(MONTHS[:3], [1, 2], CHANGE, low_is_good=True)
    with pytest.raises(InputError, match="not a date"):
        assess_change(MONTHS[:18], BASE + [9] * 6, "after the meeting", low_is_good=True)
    with pytest.raises(InputError, match="n has 2 values"):
        assess_change(MONTHS[:3], [1, 2, 3], CHANGE, low_is_good=True, n=[4, 5])


# --- properties -----------------------------------------------------------------------------------

values = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_subnormal=False)


@st.composite
def series(draw, min_before=0, min_after=0):
    before = draw(st.integers(min_value=min_before, max_value=24))
    after = draw(st.integers(min_value=min_after, max_value=12))
    y = draw(st.lists(st.integers(min_value=-50, max_value=50), min_size=before + after, max_size=before + after))
    return [float(v) for v in y], before


@given(series(), st.booleans())
@settings(max_examples=40, deadline=None)
def test_mirror_symmetry(data, low_is_good):
    y, before = data
    if len(y) < 2 or before == 0:
        return
    x = MONTHS[: len(y)]
    change = x[before] if before < len(y) else "2030-01-01"
    one = assess_change(x, y, change, low_is_good=low_is_good)
    other = assess_change(x, [-v for v in y], change, low_is_good=not low_is_good)
    assert (one.kind, one.rules, one.sustained) == (other.kind, other.rules, other.sustained)
    assert (one.points_before, one.points_after) == (other.points_before, other.points_after)


@given(
    st.floats(min_value=-1e4, max_value=1e4, allow_nan=False),
    st.integers(min_value=2, max_value=35),
    st.integers(min_value=1, max_value=34),
    st.booleans(),
)
@settings(max_examples=40, deadline=None)
def test_a_constant_series_never_shows_a_change(level, size, at, low_is_good):
    at = min(at, size - 1)
    result = assess_change(MONTHS[:size], [level] * size, MONTHS[at], low_is_good=low_is_good)
    assert result.kind in ("no_change_yet", "too_few_points")
    assert result.kind == ("too_few_points" if at < MIN_BEFORE or size - at < MIN_AFTER else "no_change_yet")


@given(
    st.lists(st.floats(min_value=0, max_value=1), min_size=MIN_BEFORE, max_size=24),
    st.lists(st.floats(min_value=5, max_value=10), min_size=MIN_AFTER, max_size=12),
    st.booleans(),
)
@example([0.0] * 12, [5.0, 10.0, 9.0, 8.0, 7.0, 6.0, 5.0], False)  # found by Hypothesis in CI: worse, then a trend
@settings(max_examples=40, deadline=None)
def test_a_big_step_the_good_way_with_enough_points_is_always_an_improvement(baseline, after, low_is_good):
    # baseline in [0, 1]: mean moving range ≤ 1, so the limits are within 2.66 of the mean; a step to [5, 10] is
    # beyond them (or, mirrored, below them) at every point.
    sign = -1.0 if low_is_good else 1.0
    y = baseline + [sign * v for v in after]
    result = assess_change(MONTHS[: len(y)], y, MONTHS[len(baseline)], low_is_good=low_is_good)
    assert result.kind == "improvement"
    assert "outside_limits" in result.rules
    assert result.sustained
    worse = assess_change(MONTHS[: len(y)], y, MONTHS[len(baseline)], low_is_good=not low_is_good)
    if worse.kind == "improvement":
        # Making Data Count: a point beyond the bad limit that is also part of a good-way trend counts as improvement.
        assert worse.rules == ("trend",)
        # ...and a first point beyond the bad limit before the trend starts is an earlier signal of worse.
        assert any(
            words in worse.sentence
            for words in ("still worse than before the change", "after an earlier signal that things had got worse")
        )
    else:
        assert worse.kind == "deterioration"


def test_a_worse_level_that_is_falling_reads_as_improvement_with_a_warning():
    result = verdict([30, 29, 28, 27, 26, 25], low_is_good=True)
    assert (result.kind, result.rules) == ("improvement", ("trend",))
    assert result.sentence == (
        "Since the change on 1 January 2026 (PDSA 2), the measure fell for 6 months in a row: the data show a real "
        "improvement, although some of those points are still worse than before the change: look at the chart."
    )


@given(series(min_before=1), st.booleans())
@settings(max_examples=40, deadline=None)
def test_too_few_points_exactly_when_a_side_is_short(data, low_is_good):
    y, before = data
    if len(y) < 2:
        return
    x = MONTHS[: len(y)]
    change = x[before] if before < len(y) else "2030-01-01"
    result = assess_change(x, y, change, low_is_good=low_is_good)
    after = len(y) - before
    assert (result.points_before, result.points_after) == (before, after)
    short = before < MIN_BEFORE or after < MIN_AFTER
    assert (result.kind == "too_few_points") is short
    if result.kind in ("improvement", "deterioration"):
        assert result.rules
    if result.sustained:
        assert result.kind == "improvement"


@given(st.lists(st.integers(min_value=-20, max_value=20), min_size=MIN_BEFORE + MIN_AFTER, max_size=30))
@settings(max_examples=40, deadline=None)
def test_points_before_the_change_never_fire_on_their_own(y):
    # Whatever the baseline does, if every point after the change equals the old mean the verdict is "no change yet".
    before = len(y) - MIN_AFTER
    mean = float(np.mean(y[:before]))
    series_ = [float(v) for v in y[:before]] + [mean] * MIN_AFTER
    result = assess_change(MONTHS[: len(series_)], series_, MONTHS[before], low_is_good=True)
    assert result.kind == "no_change_yet"


@pytest.mark.parametrize("level", [0.1, 1 / 3, 0.07, 123.456])
def test_a_flat_series_is_not_a_shift_despite_rounding(level):
    # The mean of twelve 0.1s is 0.09999999999999999: the points must still count as on the old average.
    result = assess_change(MONTHS[:18], [level] * 18, CHANGE, low_is_good=False)
    assert result.kind == "no_change_yet"
