"""Checks on what a user enters for an audit: each refusal says what is wrong and what to do."""

from __future__ import annotations

import pytest

from qiloop.audit.model import (
    EMPTY_POPULATION,
    MAX_CHECKLIST_CASES,
    AuditInputError,
    Count,
    check_count,
    check_standard,
    count_checklist,
)


@pytest.mark.parametrize(("value", "expected"), [(0, 0.0), (90, 90.0), (100, 100.0), (62.5, 62.5)])
def test_standards_from_0_to_100_are_taken(value, expected):
    assert check_standard(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "the standard must be a percentage from 0 to 100, not -1"),
        (101, "the standard must be a percentage from 0 to 100, not 101"),
        (100.5, "the standard must be a percentage from 0 to 100, not 100.5"),
        (None, "the criterion has no standard"),
    ],
)
def test_standards_outside_0_to_100_are_refused(value, message):
    with pytest.raises(AuditInputError) as caught:
        check_standard(value)
    assert caught.value.message == message
    assert "e.g. 90" in (caught.value.hint or "")


def test_counts_are_taken():
    assert check_count(62, 100, 3) == Count(62, 100, 3)
    assert check_count(0, 1).share == 0
    assert check_count(5, 5).share == 1


@pytest.mark.parametrize(
    ("met", "eligible", "excluded", "message"),
    [
        (11, 10, 0, "criterion 2: 11 patients met the criterion but only 10 were eligible"),
        (-1, 10, 0, "criterion 2: met cannot be negative (-1)"),
        (1, 10, -2, "criterion 2: excluded cannot be negative (-2)"),
        (1.5, 10, 0, "criterion 2: met must be a whole number of patients, not 1.5"),
        (True, 10, 0, "criterion 2: met must be a whole number of patients, not True"),
        (0, 0, 0, f"criterion 2: {EMPTY_POPULATION}"),
    ],
)
def test_bad_counts_are_refused(met, eligible, excluded, message):
    with pytest.raises(AuditInputError) as caught:
        check_count(met, eligible, excluded, criterion=2)
    assert caught.value.message == message


def test_checklist_tallies_each_criterion():
    rows = [
        {1: "met", 2: "not_met"},
        {1: "met", 2: "excluded"},
        {1: "not_met", 2: "met"},
        {1: "excluded", 2: "met"},
    ]
    assert count_checklist(rows, [1, 2]) == {1: Count(2, 3, 1), 2: Count(2, 3, 1)}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "the checklist has no cases"),
        ([{1: "met"}] * (MAX_CHECKLIST_CASES + 1), "the checklist has 501 cases; at most 500 can be entered by hand"),
        ([{1: "met"}, {}], "case 2 has no answer for criterion 1"),
        ([{1: "yes"}], "case 1, criterion 1: 'yes' is not met, not_met or excluded"),
        ([{1: "excluded"}], f"criterion 1: {EMPTY_POPULATION}"),
    ],
)
def test_bad_checklists_are_refused(rows, message):
    with pytest.raises(AuditInputError) as caught:
        count_checklist(rows, [1])
    assert caught.value.message == message


def test_a_checklist_of_exactly_500_cases_is_taken():
    assert count_checklist([{1: "met"}] * 500, [1]) == {1: Count(500, 500, 0)}
