"""Shared pieces of the built-in measure library: code-list shortcuts, governance defaults, small helpers.

The building blocks here are written in the public measure language
(:mod:`qiloop.measures.language`); anything built on the model directly says why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from qiloop.codelists import Codelist, load
from qiloop.measures.language import BoolSeries, age, co_prescribed, medications, sex

PRESCRIBING_SAFETY = "prescribing_safety"
ACCESS_CONTINUITY = "access_continuity"
LONG_TERM_CONDITIONS = "long_term_conditions"
TOPICS = (PRESCRIBING_SAFETY, ACCESS_CONTINUITY, LONG_TERM_CONDITIONS)

AUTHOR = "qiloop"
CHECKED_BY = "spec tests in tests/measures/library (hand-worked cases); not yet clinically reviewed"
REVIEW_DATE = dt.date(2027, 3, 31)
LIBRARY_VERSION = "1"


DEVELOPER_CHECK = "qiloop developers (definitions check, issue 15; not a clinician — clinical sign-off pending)"
CHECKED_ON = dt.date(2026, 12, 6)
QOF_V49 = "QOF 2024/25 business rules v49 (as summarised indicator by indicator, with the NHS Digital PCD refsets)"
PINCER_COMMIT = "PINCER study definition, opensafely/pincer-measures@2e1589432d5a (2023-09-21)"


def codelist(name: str) -> Codelist:
    """A built-in code list (see docs/codelists.md)."""
    return load(name)


def governance(**metadata: Any) -> dict[str, Any]:
    """Governance metadata with the library's defaults (author, checked_by, review date, version)."""
    defaults: dict[str, Any] = {
        "author": AUTHOR,
        "checked_by": CHECKED_BY,
        "review_date": REVIEW_DATE,
        "version": LIBRARY_VERSION,
    }
    defaults.update(metadata)
    return defaults


def issued_in_last(name: str, months: int) -> BoolSeries:
    """A prescription from code list ``name`` between the date ``months`` months back and the reference date, both inclusive.

    PINCER windows include their first day ("between index - 3 months and index"), hence the extra day.
    """
    return medications(codelist(name)).in_last(months=months, days=1).exists()


def co_prescribed_inclusive(first: str, second: str, *, months: int = 3, under_days: int = 28) -> BoolSeries:
    """Issues of both lists in the inclusive ``months`` window, strictly less than ``under_days`` days apart.

    PINCER's window includes the day ``months`` back and its pairing rule is "strictly within 28 days".
    """
    return co_prescribed(
        codelist(first), codelist(second), in_last_months=months, in_last_days=1, within_days=under_days - 1
    )


def any_of(*conditions: BoolSeries) -> BoolSeries:
    result = conditions[0]
    for condition in conditions[1:]:
        result = result | condition
    return result


EVERYONE = age >= 0
"""Every registered, living patient (the population every measure starts from)."""

ADULT_MALE_OR_FEMALE = (age >= 18) & (age <= 120) & sex.is_in("male", "female")
"""The PINCER study population: aged 18 to 120 with sex recorded as male or female."""
