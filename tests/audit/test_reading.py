"""The reading of an audit: Wilson intervals, Newcombe's difference interval, the standard, the sentence, the SPC.

Published values: Newcombe RG. Two-sided confidence intervals for the single proportion (Stat Med 1998;17:857-72),
table I, method 3 (Wilson score); and Interval estimation for the difference between independent proportions
(Stat Med 1998;17:873-90), table II, method 10 (hybrid score). Hand-worked: with no events the Wilson upper limit is
z²/(n + z²); with every patient met the lower limit is n/(n + z²).
"""

from __future__ import annotations

import datetime as dt

import pytest

from qiloop.audit.model import Audit, Change, Collection, Count, Criterion, Reason
from qiloop.audit.reading import Z95, newcombe_difference, percent, read_audit, read_criterion, wilson_interval

D = dt.date


@pytest.mark.parametrize(
    ("met", "n", "lower", "upper"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_matches_newcombe_1998_table(met, n, lower, upper):
    low, high = wilson_interval(met, n)
    assert (round(low, 4), round(high, 4)) == (lower, upper)


def test_wilson_hand_worked_extremes():
    z2 = Z95**2
    assert wilson_interval(0, 10) == pytest.approx((0.0, z2 / (10 + z2)))
    assert wilson_interval(10, 10) == pytest.approx((10 / (10 + z2), 1.0))
    assert round(z2 / (10 + z2), 4) == 0.2775


@pytest.mark.parametrize(
    ("round2", "round1", "d", "lower", "upper"),
    [((56, 70), (48, 80), 0.2, 0.0524, 0.3339), ((9, 10), (3, 10), 0.6, 0.1705, 0.8090),
     ((5, 56), (0, 29), 0.0893, -0.0381, 0.1926)],
)  # fmt: skip
def test_newcombe_difference_matches_newcombe_1998_table_ii(round2, round1, d, lower, upper):
    got = newcombe_difference(round1[0], round1[1], round2[0], round2[1])
    assert tuple(round(v, 4) for v in got) == (d, lower, upper)


def test_newcombe_is_antisymmetric():
    d, low, high = newcombe_difference(48, 80, 56, 70)
    d2, low2, high2 = newcombe_difference(56, 70, 48, 80)
    assert (d2, low2, high2) == pytest.approx((-d, -high, -low))


@pytest.mark.parametrize(("share", "text"), [(0.625, "63%"), (0.615, "62%"), (0.88, "88%"), (1.0, "100%"), (0.0, "0%")])
def test_percent_rounds_half_up(share, text):
    assert percent(share) == text


CRITERION = Criterion(1, "Gastro-protection with an NSAID", "NICE CKS", 90, measure_id="pincer_a_audit")
AUDIT = Audit(
    "NSAID safety",
    Reason.PRESCRIBING_DATA,
    criteria=(CRITERION,),
    collections=(
        Collection(1, D(2026, 3, 31), {1: Count(87, 140)}),
        Collection(2, D(2026, 7, 31), {1: Count(134, 152)}),
    ),
    changes=(Change("PPI prompt", D(2026, 4, 1)),),
)


def test_each_round_against_the_standard():
    reading = read_criterion(AUDIT, CRITERION)
    first, second = reading.rounds
    assert (first.met, first.eligible, first.standard_met) == (87, 140, False)
    assert (second.met, second.eligible, second.standard_met) == (134, 152, False)  # 88.2% < 90%
    assert (first.lower, first.upper) == wilson_interval(87, 140)
    (difference,) = reading.differences
    assert difference.difference == pytest.approx(134 / 152 - 87 / 140)
    assert difference.beyond_chance


def test_the_standard_is_met_at_exactly_the_standard():
    audit = Audit(
        "x", Reason.OTHER, criteria=(CRITERION,), collections=(Collection(1, D(2026, 1, 31), {1: Count(9, 10)}),)
    )
    assert read_criterion(audit, CRITERION).rounds[0].standard_met is True


def test_the_sentence():
    reading = read_criterion(AUDIT, CRITERION)
    low, high = newcombe_difference(87, 140, 134, 152)[1:]
    assert reading.sentence == (
        "Criterion 1 was met for 62% of 140 patients on 31 March 2026 (standard 90%: not met); after the change on "
        "1 April 2026, 88% of 152 on 31 July 2026 (standard 90%: not met). From round 1 to round 2: up 26 percentage "
        f"points (95% interval {round(low * 100)} to {round(high * 100)}), more than chance alone would explain."
    )


def test_a_change_within_chance_says_so():
    audit = Audit("x", Reason.OTHER, criteria=(CRITERION,),
                  collections=(Collection(1, D(2026, 1, 31), {1: Count(8, 10)}),
                               Collection(2, D(2026, 6, 30), {1: Count(9, 10)})))  # fmt: skip
    reading = read_criterion(audit, CRITERION)
    assert not reading.differences[0].beyond_chance
    assert "then 90% of 10 on 30 June 2026 (standard 90%: met)" in reading.sentence
    assert "within what chance alone could explain" in reading.sentence


def test_no_collection_yet():
    audit = Audit("x", Reason.OTHER, criteria=(CRITERION,))
    assert read_audit(audit)[0].sentence == "Criterion 1 has no collection yet."


def test_the_monthly_chart_between_rounds_gives_the_change_verdict():
    months = [f"2025-{m:02d}-28" for m in range(4, 13)] + [f"2026-{m:02d}-28" for m in range(1, 10)]
    eligible = [140] * len(months)
    met = [84, 88, 85, 87, 86, 89, 84, 87, 86, 88, 85, 87] + [130, 133, 135, 134, 136, 133]  # change from April
    reading = read_criterion(AUDIT, CRITERION, series=(months, met, eligible))
    assert reading.verdict is not None and reading.verdict.kind == "improvement"
    assert reading.verdict.points_before == 12
    assert " The monthly chart: since the change on 1 April 2026 (the change)" in reading.sentence
    assert reading.sentence.endswith("the data show a real improvement.")


def test_too_few_months_before_the_change_says_so():
    months = ["2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]
    reading = read_criterion(AUDIT, CRITERION, series=(months, [80, 82, 120, 130], [140] * 4))
    assert reading.verdict is not None and reading.verdict.kind == "too_few_points"
