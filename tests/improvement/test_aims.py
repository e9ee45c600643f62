"""Aims: what, how much, by when — and the prompts for what is missing."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qiloop.improvement.aims import (
    PROMPT_BY_WHEN,
    PROMPT_HOW_MUCH,
    PROMPT_WHAT,
    aim_sentence,
    check_aim,
    has_quantity,
    parse_date,
)

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from 8% to 4%", True),
        ("to 90%", True),
        ("halve", True),
        ("by half", True),
        ("by a third", True),
        ("double the number", True),
        ("to zero", True),
        ("no patients on the list", True),
        ("ten per cent fewer", True),
        ("from 3 days to 2", True),
        ("", False),
        ("a lot", False),
        ("significantly", False),
        ("improve it", False),
        ("as much as we can", False),
    ],
)
def test_how_much_needs_an_amount(text, expected):
    assert has_quantity(text) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2027-03-31", date(2027, 3, 31)),
        ("31/03/2027", date(2027, 3, 31)),
        ("31 March 2027", date(2027, 3, 31)),
        ("31 Mar 2027", date(2027, 3, 31)),
        ("March 31, 2027", date(2027, 3, 31)),
        ("March 2027", date(2027, 3, 31)),
        ("February 2028", date(2028, 2, 29)),
        ("  ", None),
        (None, None),
        (date(2027, 1, 5), date(2027, 1, 5)),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


def test_parse_date_refuses_text_that_is_not_a_date():
    with pytest.raises(ValueError, match="not a date"):
        parse_date("next spring")


def test_a_specific_aim_is_ok():
    check = check_aim("Reduce missed appointments", "from 8% to 4%", "31 March 2027", today=TODAY)
    assert check.ok
    assert (check.has_what, check.has_how_much, check.has_by_when) == (True, True, True)
    assert check.missing == []
    assert check.by_date == date(2027, 3, 31)


def test_each_missing_part_gets_its_prompt_in_order():
    check = check_aim("", "more", None, today=TODAY)
    assert not check.ok
    assert (check.has_what, check.has_how_much, check.has_by_when) == (False, False, False)
    assert check.missing == [PROMPT_WHAT, PROMPT_HOW_MUCH, PROMPT_BY_WHEN]


def test_a_single_word_is_not_enough_to_say_what():
    check = check_aim("DNAs", "halve", "2027-03-31", today=TODAY)
    assert not check.has_what
    assert check.missing == [PROMPT_WHAT]


def test_a_past_or_todays_date_is_not_a_deadline():
    past = check_aim("Reduce missed appointments", "halve", "2026-01-31", today=TODAY)
    assert not past.has_by_when and not past.ok
    assert past.missing == ["The date 31 January 2026 has already passed: choose a date in the future."]
    assert not check_aim("Reduce missed appointments", "halve", TODAY, today=TODAY).has_by_when
    assert check_aim("Reduce missed appointments", "halve", date(2026, 11, 27), today=TODAY).has_by_when


def test_an_unreadable_date_says_how_to_write_one():
    check = check_aim("Reduce missed appointments", "halve", "after Christmas", today=TODAY)
    assert not check.has_by_when
    assert check.missing == [
        "Write the date so it can be read, e.g. '31 March 2027' or '2027-03-31' (we read 'after Christmas')."
    ]


def test_aim_sentence():
    assert (
        aim_sentence("Reduce missed appointments.", "from 8% to 4%", "2027-03-31")
        == "Reduce missed appointments from 8% to 4% by 31 March 2027"
    )
    assert aim_sentence("Reduce DNAs", "", None) == "Reduce DNAs"
    assert aim_sentence("Reduce DNAs", "by half", "soon") == "Reduce DNAs by half by soon"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), st.dates(min_value=date(2000, 1, 1)))
def test_has_by_when_is_exactly_a_future_date(deadline, today):
    check = check_aim("Reduce missed appointments", "halve", deadline, today=today)
    assert check.has_by_when is (deadline > today)
    assert check.ok is (deadline > today)
    assert len(check.missing) == (0 if deadline > today else 1)


@given(st.integers(min_value=0, max_value=10_000))
def test_any_number_is_an_amount(number):
    assert has_quantity(f"to {number}")
    assert has_quantity(f"by {number}%")


def test_none_counts_as_empty():
    check = check_aim(None, None, None, today=TODAY)
    assert check.missing == [PROMPT_WHAT, PROMPT_HOW_MUCH, PROMPT_BY_WHEN]
    assert aim_sentence(None, None, None) == ""
