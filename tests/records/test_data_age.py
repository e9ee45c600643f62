"""How old the data are, in words, with fixed dates (no clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from qiloop.records.data_age import STALE_AFTER_DAYS, data_age, long_date, whole_months

D = dt.date


def test_the_issues_example_march_data_seen_in_december():
    age = data_age(D(2026, 3, 31), D(2026, 12, 6))
    assert age.stale and age.days == 250 and age.months == 8
    assert age.message == "Data to 31 March 2026 — 8 months old; import a newer extract."


@pytest.mark.parametrize(
    ("today", "stale"),
    [
        (D(2026, 3, 31), False),  # the data cover today
        (D(2026, 5, 11), False),  # 41 days after the last day
        (D(2026, 5, 12), True),  # 42 days: six weeks
        (D(2026, 3, 1), False),  # "today" before the last day (a clock behind): not old
    ],
)
def test_no_message_under_six_weeks(today, stale):
    age = data_age(D(2026, 3, 31), today)
    assert age.stale is stale
    assert bool(age.message) is stale
    assert STALE_AFTER_DAYS == 42


@pytest.mark.parametrize(
    ("last", "today", "words"),
    [
        (D(2026, 3, 31), D(2026, 5, 12), "6 weeks"),
        (D(2026, 3, 31), D(2026, 5, 25), "7 weeks"),  # 55 days, under two whole months
        (D(2026, 3, 31), D(2026, 5, 31), "2 months"),
        (D(2026, 3, 31), D(2027, 3, 31), "1 year"),
        (D(2026, 3, 31), D(2027, 6, 1), "1 year and 2 months"),
        (D(2026, 3, 31), D(2028, 4, 30), "2 years and 1 month"),
    ],
)
def test_age_in_words(last, today, words):
    assert data_age(last, today).age_words == words
    assert f"— {words} old;" in data_age(last, today).message


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2026, 3, 31), D(2026, 4, 29), 0),
        (D(2026, 3, 31), D(2026, 4, 30), 1),  # April has no 31st: its last day completes the month
        (D(2026, 3, 31), D(2026, 11, 29), 7),
        (D(2026, 3, 31), D(2026, 11, 30), 8),
        (D(2026, 3, 31), D(2026, 12, 6), 8),
        (D(2026, 1, 15), D(2026, 2, 14), 0),
        (D(2026, 1, 15), D(2026, 2, 15), 1),
        (D(2026, 1, 31), D(2026, 2, 28), 1),  # not a leap year
        (D(2028, 1, 31), D(2028, 2, 28), 0),  # a leap year: 29 February ends the month
        (D(2026, 5, 1), D(2026, 3, 1), 0),
    ],
)
def test_whole_calendar_months(start, end, months):
    assert whole_months(start, end) == months


def test_long_date_has_no_leading_zero():
    assert long_date(D(2026, 4, 1)) == "1 April 2026"


def test_a_threshold_below_one_day_is_refused():
    with pytest.raises(ValueError, match="stale_after_days must be at least 1"):
        data_age(D(2026, 3, 31), D(2026, 4, 1), stale_after_days=0)
