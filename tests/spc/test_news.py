"""Signals that carry news: start-up months left out, small numbers unbadged, the latest signal period,
and a recalculation proposed (never "45 months in a row") when a shift has lasted."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qiloop.measures.codes import Codes
from qiloop.measures.language import age, clinical_events, measure, medications
from qiloop.measures.lookback import earliest_day_read, incomplete, lookback_months
from qiloop.spc import read_counts
from qiloop.spc.news import SUSTAINED_POINTS

CODES = Codes("tests", frozenset({"1"}), "1", "snomedct")
DRUGS = Codes("drugs", frozenset({"2"}), "1", "dmd")


def months(first: str, count: int) -> list[pd.Timestamp]:
    return list(pd.date_range(first, periods=count, freq="MS"))


def month_ends(first: str, count: int) -> list[dt.date]:
    return [d.date() for d in pd.date_range(first, periods=count, freq="ME")]


# --- start-up months ------------------------------------------------------------------------------------------------

# Data from 1 April 2021; results for the month ends of January to December 2022.
# A window "after A, up to R" needs every day from A + 1: for June 2022 (R = 30 June 2022):
#   in_last(months=15, days=1): A = 31 March 2021 − 1 day -> needs 31 March 2021 < 1 April: incomplete;
#       July 2022 needs 30 April 2021: complete. Excluded: January to June 2022 (6 months).
#   in_last(months=15): A = 31 March 2021 -> needs 1 April 2021: complete. Excluded: January to May (5).
#   on_or_before(months_ago=15) (open): reads up to 31 March 2021, which the data do not reach: incomplete.
#       Excluded: January to June (6).
LOOKBACK_CASES = [
    (medications(DRUGS).in_last(months=15, days=1).exists(), 6, 15),
    (medications(DRUGS).in_last(months=15).exists(), 5, 15),
    (medications(DRUGS).on_or_before(months_ago=15).exists(), 6, 15),
    (clinical_events(CODES).in_last(months=3).exists(), 0, 3),
    (age >= 65, 0, 0),
]


@pytest.mark.parametrize(("numerator", "excluded", "look_back"), LOOKBACK_CASES)
def test_a_15_month_look_back_excludes_exactly_the_months_whose_window_starts_before_the_data(
    numerator, excluded, look_back
):
    m = measure(id="m", title="M", denominator=age >= 18, numerator=numerator, low_is_good=False)
    flags = incomplete(m, month_ends("2022-01-01", 12), dt.date(2021, 4, 1))
    assert flags == [True] * excluded + [False] * (12 - excluded)
    assert lookback_months(m) == look_back


def test_the_look_back_walks_every_part_of_the_measure():
    # The numerator looks back 3 months, the denominator 15: the measure needs the 15.
    m = measure(
        id="m",
        title="M",
        denominator=medications(DRUGS).on_or_before(months_ago=15).exists(),
        numerator=clinical_events(CODES).in_last(months=3).exists(),
        low_is_good=False,
    )
    assert earliest_day_read(m, dt.date(2022, 7, 31)) == dt.date(2021, 4, 30)


def test_start_up_months_are_drawn_faded_left_out_of_the_lines_and_said_in_a_sentence():
    x = months("2022-01-01", 24)
    den = [200] * 24
    num = [0, 0, 0] + [20, 22, 18, 21, 19, 20, 23, 17, 20, 21, 19, 20, 22, 18, 20, 21, 19, 20, 22, 18, 20]
    startup = [True] * 3 + [False] * 21
    reading = read_counts(
        x, num, den, improvement="up", startup=startup, startup_reason="the measure looks back 15 months"
    )
    points = reading.result.points
    assert points["excluded"].tolist() == startup
    assert points["cl"].iloc[5] == pytest.approx(sum(num[3:]) / sum(den[3:]) * 100)  # without the three zeros
    assert (points["variation"].iloc[:3] == "common_cause").all()  # the 0% months are no "concern"
    assert reading.notes == [
        "3 start-up months (January 2022 to March 2022) are drawn faded and left out of the average and limits: "
        "the measure looks back 15 months."
    ]
    assert reading.left_out == x[:3]


def test_months_below_the_completeness_threshold_are_left_out():
    x = months("2023-01-01", 15)
    reading = read_counts(x, [20] * 15, [200] * 15, completeness=[0.5] + [1.0] * 14, min_completeness=0.9)
    assert reading.result.points["excluded"].tolist() == [True] + [False] * 14
    assert "1 incomplete month (January 2023)" in reading.notes[0] and "less than 90% complete" in reading.notes[0]


# --- small numbers --------------------------------------------------------------------------------------------------


def test_lithium_one_patient_of_one_is_a_run_chart_with_no_special_cause_badge():
    # The demo: "100% · special cause: concern", 1 patient of 1, limits 15.8–102%.
    x = months("2024-01-01", 24)
    num, den = [0] * 23 + [1], [1] * 24
    reading = read_counts(x, num, den, improvement="down", measure_name="lithium without a level")
    assert reading.chart == "run" and reading.choice.small_numbers
    summary = reading.result.summary
    assert summary.variation_icon is None and summary.assurance_icon is None
    assert (reading.result.points["variation"] == "common_cause").all()
    assert reading.result.points[["lcl", "ucl"]].isna().all().all()  # no limits at all
    assert "too small for signals" in reading.sentence and "special cause" in reading.sentence
    assert "typical month has 1 in the denominator" in reading.sentence


def test_runs_of_zero_percent_on_small_numbers_are_not_badged_improvement():
    # ~8% of 30 for a year, then 0 of 30 for a year: under XmR that is a 12-month "improvement" shift.
    x = months("2024-01-01", 24)
    num = [2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3] + [0] * 12
    reading = read_counts(x, num, [30] * 24, improvement="down")
    # p̄ = 30/720 = 0.042; 30 × 0.042 = 1.25 expected < 5
    assert reading.choice.median_expected == pytest.approx(1.25)
    assert reading.chart == "run"
    assert reading.result.summary.variation_icon is None
    assert not (reading.result.points["variation"] == "special_cause_improvement").any()


def test_nothing_in_the_numerator_ever_is_said_plainly():
    reading = read_counts(months("2024-01-01", 14), [0] * 14, [20] * 14, measure_name="the hazard")
    assert reading.sentence == "The hazard is 0% in every month shown: with nothing varying there is no signal to read."


def test_a_latest_month_without_a_denominator_says_no_one_was_in_it():
    x = months("2024-01-01", 15)
    reading = read_counts(x, [50] * 14 + [0], [500] * 14 + [0])
    assert reading.sentence.endswith("In March 2025 there was no one in the denominator.")


# --- the latest signal period ---------------------------------------------------------------------------------------

LOW = [500, 510, 490, 505, 495]  # of 1,000: about 50%


def shift_series(before: int, after: int) -> tuple[list[pd.Timestamp], list[int], list[int]]:
    num = (LOW * 8)[:before] + [600, 605, 598, 602, 600, 603, 597, 601] * 5
    num = num[: before + after]
    return months("2022-01-01", before + after), num, [1000] * (before + after)


def test_the_sentence_reports_the_most_recent_signal_period():
    # 20 months near 50%, then 9 near 60%: the mean of all 29 is about 53%, so the 9 are a run above it.
    x, num, den = shift_series(20, 9)
    reading = read_counts(x, num, den, improvement="up", measure_name="the review rate")
    assert reading.chart == "xmr"
    signal = reading.signal
    assert (signal.start, signal.end, signal.points, signal.rule) == (x[20], x[28], 9, "shift")
    assert reading.sentence == (
        "Since September 2023, 9 months above the average — a shift in the review rate: "
        "this is unlikely to be chance and is an improvement."
    )
    assert reading.proposal is None


def test_a_signal_that_has_ended_is_reported_as_the_most_recent_not_as_news():
    # 49%/51% alternating (either side of the mean, 50.7%) with one month at 70%: mean MR (27 × 2 + 2 × 19)/29
    # = 3.17 points, so the upper limit is 50.7 + 2.66 × 3.17 = 59.1 and November 2022 is beyond it.
    x = months("2022-01-01", 30)
    num = [490, 510] * 15
    num[10] = 700
    reading = read_counts(x, num, [1000] * 30, improvement="up", measure_name="the rate")
    assert reading.result.points["ucl"].iloc[0] == pytest.approx(15210 / 300 + 2.66 * (920 / 29) / 10)
    assert not reading.signal.ongoing
    assert reading.sentence == (
        "The most recent signal was in November 2022: above the upper limit (an improvement); "
        "since then the rate shows only common-cause variation."
    )


def test_a_lasting_shift_proposes_a_recalculation_from_its_start_and_is_never_news():
    x, num, den = shift_series(24, 24)
    reading = read_counts(x, num, den, improvement="up", measure_name="the review rate")
    assert reading.proposal is not None
    assert (reading.proposal.start, reading.proposal.points) == (x[24], 24)
    assert "in a row" not in reading.sentence
    assert reading.sentence.startswith(
        "The review rate has stayed above its average since January 2024 (24 months): a lasting change, "
        "an improvement, rather than news; recalculating the limits from January 2024"
    )
    # Accepted: a new phase from January 2024; the chart reads the months since as they are, and proposes nothing.
    after = read_counts(x, num, den, improvement="up", measure_name="the review rate", splits=[x[24]])
    assert after.proposal is None
    assert len(after.result.summary.phases) == 2
    assert after.result.summary.phases[1].start_x == x[24]
    assert after.result.summary.variation_icon == "common_cause"


def test_a_shift_shorter_than_a_year_is_news_not_a_proposal():
    x, num, den = shift_series(24, SUSTAINED_POINTS - 1)
    reading = read_counts(x, num, den, improvement="up")
    assert reading.proposal is None and reading.sentence.startswith("Since ")


def test_a_split_outside_the_months_shown_is_ignored():
    x, num, den = shift_series(20, 9)
    reading = read_counts(x, num, den, splits=[pd.Timestamp("2019-01-01"), x[0]])
    assert len(reading.result.summary.phases) == 1


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=1000), min_size=13, max_size=60),
    st.sampled_from(["up", "down"]),
)
def test_no_sentence_presents_a_long_shift_as_months_in_a_row(numerators, improvement):
    x = months("2020-01-01", len(numerators))
    reading = read_counts(x, numerators, [1000] * len(numerators), improvement=improvement)
    assert "its average for" not in reading.sentence
    # News ("Since June 2025, 9 months above the average — a shift") only while a shift is shorter than a year;
    # a shift that has ended may be reported as the most recent signal, with its dates.
    for match in re.finditer(
        r"^Since [A-Z][a-z]+ \d{4}, (\d+) months (above|below) the average — a shift", reading.sentence
    ):
        assert int(match.group(1)) < SUSTAINED_POINTS
    if reading.proposal is not None:
        assert reading.signal.ongoing and reading.signal.points >= SUSTAINED_POINTS


# Library measures, read from their definitions (qiloop/measures/library/pincer.py): the longest window of each.
LIBRARY_LOOKBACKS = [
    ("pincer_ac", 15),  # ACE inhibitor or loop diuretic on or before 15 months ago; tests in the last 15 months
    ("pincer_am", 12),  # amiodarone issued between 12 and 6 months ago
    ("pincer_li", 6),  # lithium issued between 6 and 3 months ago
    ("pincer_k", 3),  # latest eGFR on or before 3 months ago; NSAID in the last 3 months
    ("pincer_e", 3),  # anticoagulant and antiplatelet in the last 3 months
]


@pytest.mark.parametrize(("measure_id", "months_back"), LIBRARY_LOOKBACKS)
def test_library_measures_look_back_as_their_definitions_say(measure_id, months_back):
    from qiloop.measures import all_measures

    m = all_measures()[measure_id]
    assert lookback_months(m) == months_back
    # With data from April 2021: each of these windows reaches a day further than whole months (PINCER's
    # inclusive first day, or an open window's last day), so the month ending months_back months after the
    # end of March 2021 still reads 31 March: the first complete month is the next one.
    flags = incomplete(m, month_ends("2021-04-01", 24), dt.date(2021, 4, 1))
    assert flags == [True] * months_back + [False] * (24 - months_back)


def test_a_suppressed_latest_month_is_a_gap_not_no_one():
    x = months("2024-01-01", 15)
    reading = read_counts(x, [50] * 14 + [float("nan")], [500] * 14 + [float("nan")])
    assert "no one in the denominator" not in reading.sentence
    assert reading.result.points["y"].isna().tolist() == [False] * 14 + [True]


def test_a_series_where_no_month_has_anyone_is_said_in_words_not_left_out():
    reading = read_counts(months("2024-01-01", 14), [0] * 14, [0] * 14, measure_name="amiodarone without a TFT")
    assert reading.sentence.startswith(
        "No month shown has anyone in the denominator of amiodarone without a TFT: there is nothing to chart yet."
    )
    assert reading.result.summary.variation_icon is None
    assert read_counts(months("2024-01-01", 3), [0, 1, 0], [0, 2, float("nan")]) is None  # one month: too little
