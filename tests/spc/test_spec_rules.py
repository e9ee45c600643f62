"""Spec tests for each rule and profile on small hand-made series, plus the icons and the sentence."""

from __future__ import annotations

import numpy as np
import pytest

from qiloop.spc import get_profile, rules, spc
from qiloop.spc.signals import assurance_icon


def test_shift_of_six_flags_the_whole_run() -> None:
    # sides: + + + + + + - : a run of 6 above
    got = rules.shift_flags(np.array([1, 1, 1, 1, 1, 1, -1]), 6)
    assert got.tolist() == [1, 1, 1, 1, 1, 1, 0]
    assert rules.shift_flags(np.array([1, 1, 1, 1, 1, 1, -1]), 7).tolist() == [0] * 7


def test_a_point_on_the_centre_line_breaks_a_shift() -> None:
    assert rules.shift_flags(np.array([-1, -1, -1, 0, -1, -1, -1]), 6).tolist() == [0] * 7


def test_trend_of_six_and_ties_break_it() -> None:
    rising, falling = rules.trend_flags(np.array([1, 2, 3, 4, 5, 6, 2.0]), 6)
    assert rising.tolist() == [True] * 6 + [False]
    assert not falling.any()
    rising, _ = rules.trend_flags(np.array([1, 2, 3, 3, 4, 5, 6.0]), 6)  # the tie splits it into 3 + 4 points
    assert not rising.any()


def test_two_of_three_beyond_the_same_2_sigma_line() -> None:
    # CL 0, 2σ lines ±2, limits ±3. Points 2.5, 1, 2.5: two beyond +2σ, all above the CL -> the two flagged
    y = np.array([2.5, 1.0, 2.5, -1.0])
    cl, l2, u2, l3, u3 = (np.full(4, v) for v in (0.0, -2.0, 2.0, -3.0, 3.0))
    high, low = rules.two_of_three_flags(y, cl, l2, u2, l3, u3)
    assert high.tolist() == [True, False, True, False]
    assert not low.any()


def test_two_of_three_needs_all_three_on_one_side_and_ignores_points_beyond_3_sigma() -> None:
    cl, l2, u2, l3, u3 = (np.full(3, v) for v in (0.0, -2.0, 2.0, -3.0, 3.0))
    high, _ = rules.two_of_three_flags(np.array([2.5, -1.0, 2.5]), cl, l2, u2, l3, u3)
    assert not high.any()  # the middle point is below the centre line
    high, _ = rules.two_of_three_flags(np.array([3.5, 1.0, 2.5]), cl, l2, u2, l3, u3)
    assert not high.any()  # 3.5 is beyond 3σ and does not count (MDC)
    high, _ = rules.two_of_three_flags(np.array([3.5, 1.0, 2.5]), cl, l2, u2, l3, u3, count_beyond_3sigma=True)
    assert high.tolist() == [True, False, True]


def _mdc(y, **kw):
    return spc(y, profile="mdc", **kw)


def test_mdc_needs_13_points_for_limits_and_icons() -> None:
    twelve = _mdc(list(range(12)), improvement="up")
    assert twelve.points["ucl"].isna().all()
    assert set(twelve.points["variation"]) == {"common_cause"}
    assert twelve.summary.variation_icon is None
    assert twelve.summary.notes and "fewer than 13" in twelve.summary.notes[0]
    thirteen = _mdc(list(range(13)), improvement="up")
    assert thirteen.points["ucl"].notna().all()
    assert thirteen.summary.variation_icon == "special_cause_improving_high"  # 13 rising points: a trend


def test_mdc_improvement_wins_a_conflict() -> None:
    # 20 30 ... falling for 6 points below the mean after a high start -> trend down and shift below
    y = [30, 31, 29, 30, 31, 29, 30, 31, 29, 30, 28, 26, 24, 22, 20, 18]
    down = _mdc(y, improvement="down")
    up = _mdc(y, improvement="up")
    # the last six points fall (trend down) -> improvement when down is good, concern when up is good
    assert down.points["variation"].iloc[-1] == "special_cause_improvement"
    assert up.points["variation"].iloc[-1] == "special_cause_concern"
    assert "trend" in down.points["rule"].iloc[-1]
    assert down.summary.variation_icon == "special_cause_improving_low"
    assert up.summary.variation_icon == "special_cause_concerning_low"
    neither = _mdc(y, improvement="neither")
    assert neither.summary.variation_icon == "special_cause_neither_low"


def test_profile_overrides_change_the_rules() -> None:
    y = [10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 10, 11, 12, 12, 12, 12, 12, 12]
    six = _mdc(y, improvement="up")
    seven = _mdc(y, improvement="up", shift_length=7)
    assert "shift" in six.points["rule"].iloc[-1]
    assert "shift" not in seven.points["rule"].iloc[-1]
    assert get_profile("mdc", shift_length=7).shift_length == 7


def test_mdc_rules_cross_phases_but_plotthedots_rules_do_not() -> None:
    # four points above the mean either side of a split: 8 in a row across it (MDC), 4 within each phase
    # phase 0: 1 3 1 3 1 3 1 3 4 4 4 4 (mean 32/12 = 2.67); phase 1: 3 3 3 3 0 2 0 2 0 2 0 2 (mean 20/12 = 1.67)
    y = [1, 3, 1, 3, 1, 3, 1, 3, 4, 4, 4, 4, 3, 3, 3, 3, 0, 2, 0, 2, 0, 2, 0, 2]
    kw = {"improvement": "up", "splits": [13], "min_points_for_limits": 1, "trend_length": None}
    crossing = spc(y, profile="mdc", **kw)
    resetting = spc(y, profile="mdc", rules_cross_phases=False, **kw)
    assert crossing.points["rule"].iloc[8:16].tolist() == ["shift"] * 8
    assert resetting.points["rule"].iloc[8:16].tolist() == [""] * 8


@pytest.mark.parametrize(
    ("direction", "target", "inclusive", "expected"),
    [
        ("up", 5.0, True, "consistently_passing"),  # target at the lower limit: MDC passes
        ("up", 5.0, False, "hit_and_miss"),  # NHSRplotthedots: strict
        ("up", 15.0, True, "consistently_failing"),
        ("up", 10.0, True, "hit_and_miss"),
        ("down", 15.0, True, "consistently_passing"),
        ("down", 4.0, True, "consistently_failing"),
        ("neither", 10.0, True, None),
    ],
)
def test_assurance(direction: str, target: float, inclusive: bool, expected: str | None) -> None:
    # limits 5 .. 15
    assert assurance_icon(target, 5.0, 15.0, direction, inclusive=inclusive) == expected


def test_qicharts2_profile_flags_long_runs_only() -> None:
    # 20 points: 10 below then 10 above the median -> longest run 10 > round(log2 20) + 3 = 7; 1 crossing < 6
    y = list(range(1, 11)) + list(range(20, 30))
    r = spc(y, chart="run", profile="qicharts2", improvement="up")
    assert r.summary.runs_signal
    assert r.summary.longest_run == 10 and r.summary.longest_run_max == 7
    assert set(r.points["rule"]) == {"longest_run"}
    assert r.points["variation"].iloc[-1] == "special_cause_improvement"


class TestSentence:
    months = [f"2025-{m:02d}-01" for m in range(1, 13)] + [f"2026-{m:02d}-01" for m in range(1, 9)]

    def test_too_few_points(self) -> None:
        s = spc([1, 2, 3], measure_name="the DNA rate").summary.sentence
        assert s.startswith("With only 3 points it is too early to tell whether the DNA rate is changing")

    def test_common_cause(self) -> None:
        y = [10, 11, 10, 12, 10, 11, 10, 12, 11, 10, 11, 10, 12, 11]
        s = spc(y, measure_name="the DNA rate").summary.sentence
        assert s == (
            "The DNA rate shows only common-cause variation: the ups and downs are what the process usually "
            "produces and are likely to be chance."
        )

    def test_shift_since_a_month(self) -> None:
        y = [10, 11, 10, 12, 10, 11, 10, 12, 11, 10, 11, 10, 13, 13, 13, 13, 13, 13, 13, 13]
        r = spc(y, x=self.months, measure_name="the DNA rate", improvement="down", trend_length=None)
        assert r.summary.sentence == (
            "Since January 2026 the DNA rate has been above its average for 8 months in a row: "
            "this is unlikely to be chance and is a concern."
        )

    def test_point_outside_the_limits_with_target(self) -> None:
        y = [10, 11, 10, 12, 10, 11, 10, 12, 11, 10, 11, 10, 12, 11, 10, 11, 10, 12, 11, 30]
        r = spc(y, x=self.months, measure_name="uptake", improvement="up", target=5)
        assert r.summary.sentence == (
            "In August 2026 uptake was above the upper limit: this is unlikely to be chance and is an improvement; "
            "at its current level it should consistently meet the target of 5."
        )

    def test_trend(self) -> None:
        # 12, 11, then 10.8 falling by 0.2 to 9.8: 8 points each below the one before (none beyond the limits)
        y = [10, 11, 10, 12, 10, 11, 10, 12, 11, 10, 11, 10, 12, 11, 10.8, 10.6, 10.4, 10.2, 10.0, 9.8]
        r = spc(y, x=self.months, measure_name="waiting time", improvement="down")
        assert r.summary.sentence == (
            "Waiting time has fallen for 8 months in a row up to August 2026: this is unlikely to be chance "
            "and is an improvement."
        )
