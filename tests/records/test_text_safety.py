"""The free-text safety check: what it blocks, what it warns about, where it says it is, and what it lets through."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qiloop.text_safety import BLOCK, WARN, blocking, check_text, ordinal, warnings

TODAY = date(2026, 12, 6)


def kinds(text: str) -> list[str]:
    return [f.kind for f in check_text(text, today=TODAY)]


def check_digit(nine: str) -> int | None:
    """The modulus-11 check digit, worked by hand from the NHS Data Dictionary rule (weights 10 down to 2)."""
    remainder = sum(int(d) * w for d, w in zip(nine, range(10, 1, -1), strict=True)) % 11
    check = 11 - remainder
    return None if check == 10 else 0 if check == 11 else check


def test_the_hand_worked_check_digit_agrees_with_a_published_example():
    assert check_digit("943476591") == 9  # 943 476 5919, the NHS Digital example number


@pytest.mark.parametrize("written", ["943 476 5919", "943-476-5919", "9434765919", "NHS no. 943 476 5919."])
def test_a_valid_nhs_number_is_blocked_however_it_is_written(written):
    assert kinds(written) == ["nhs_number"]
    assert blocking(check_text(written, today=TODAY))


@pytest.mark.parametrize(
    "text",
    [
        "94347659191",  # eleven digits: not an NHS number
        "9434765918",  # the wrong check digit
        "943 476 5918",
        "1234567890",  # check digit would be 10: never issued
        "Reference 943476591",  # nine digits
    ],
)
def test_numbers_that_are_not_nhs_numbers_are_not_blocked(text):
    assert "nhs_number" not in kinds(text)


nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9)


@st.composite
def nhs_numbers(draw):
    nine = draw(nine_digits)
    check = check_digit(nine)
    assume(check is not None)
    number = nine + str(check)
    style = draw(st.sampled_from(["plain", "spaces", "hyphens"]))
    if style == "spaces":
        return f"{number[:3]} {number[3:6]} {number[6:]}"
    if style == "hyphens":
        return f"{number[:3]}-{number[3:6]}-{number[6:]}"
    return number


@settings(max_examples=300, deadline=None)
@given(
    filler=st.text(min_size=0, max_size=2000),
    number=nhs_numbers(),
    where=st.floats(min_value=0, max_value=1),
    before=st.sampled_from([" ", "\n", ": ", "(", "x"]),
    after=st.sampled_from([" ", "\n", ".", ")", "x"]),
)
def test_a_valid_nhs_number_anywhere_in_2000_characters_of_filler_is_always_blocked(
    filler, number, where, before, after
):
    cut = int(len(filler) * where)
    text = filler[:cut] + before + number + after + filler[cut:]
    start, end = cut + len(before), cut + len(before) + len(number)
    # Blocked, by a finding on the number itself (with digits around it, an overlapping ten may be named instead).
    found = blocking(check_text(text, today=TODAY))
    assert any(f.start < end and start < f.end for f in found)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("write to jo.bloggs@example.com please", "email"),
        ("call 07700 900123", "phone"),
        ("ring 020 7946 0958", "phone"),
        ("+44 (0)113 496 0000", "phone"),
        ("(01632) 960001", "phone"),
        ("+447700900123", "phone"),
    ],
)
def test_email_addresses_and_uk_phone_numbers_are_blocked(text, kind):
    assert kinds(text) == [kind]
    assert check_text(text, today=TODAY)[0].severity == BLOCK


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("born 12/03/1954", "birth_date"),
        ("DOB 1.3.54", "birth_date"),
        ("12 March 1954", "birth_date"),
        ("3rd of Sept 2001", "birth_date"),
        ("March 12, 1954", "birth_date"),
        ("1954-03-12", "birth_date"),
        ("lives at LS1 4AP", "postcode"),
        ("sw1a2aa", "postcode"),
        ("seen by Mrs Smith", "title_name"),
        ("Dr. Patel said", "title_name"),
        ("MR JONES", "title_name"),
        ("aged 93", "age_90_plus"),
        ("a 94-year-old man", "age_90_plus"),
        ("96yo", "age_90_plus"),
        ("she is 101 years old", "age_90_plus"),
    ],
)
def test_possible_identifiers_are_warned_about(text, kind):
    assert kinds(text) == [kind]
    assert check_text(text, today=TODAY)[0].severity == WARN


@pytest.mark.parametrize(
    "text",
    [
        "Reduce missed appointments from 8% to 4% by March 2026",  # a month, no day
        "Review on 01/04/2027",  # a future date cannot be a date of birth
        "31/02/1950",  # no such day
        "Dr",  # a title alone
        "Dr to review the list",  # a title, no name
        "Share it on MS Teams",
        "GP2 3rd cycle",  # not a postcode
        "aged 45",
        "over 90 minutes",  # not an age
        "A 10-digit run 12345 67890 with the wrong check",
        "Audit of HbA1c in 2025 for 131 patients; 3 of 131 had no test",
        "",
    ],
)
def test_ordinary_qi_text_passes(text):
    assert kinds(text) == []


def test_a_finding_names_the_place_and_the_kind_but_never_the_text():
    text = "Aim: fewer DNAs\nAsk Mrs Smith (943 476 5919) first"
    found = check_text(text, today=TODAY)
    assert [(f.kind, f.line, f.column, f.start) for f in found] == [
        ("title_name", 2, 5, 20),
        ("nhs_number", 2, 16, 31),
    ]
    assert [f.blocks for f in found] == [False, True]
    messages = [f.message("Aim") for f in found]
    assert messages[1].startswith("Aim: there is an NHS number at character 16 of the 2nd line.")
    assert messages[0].startswith("Aim: there may be a title followed by a name at character 5 of the 2nd line.")
    for message in messages:
        assert "Smith" not in message and "5919" not in message and "943" not in message
    assert "Smith" not in repr(found) and "943" not in repr(found)


def test_overlapping_findings_are_reported_once_with_the_block_first():
    # "+44 7700 900123" is a phone number; its last ten digits may also pass the NHS check: one finding.
    found = check_text("call +44 7700 900123 or 9434765919", today=TODAY)
    assert [f.kind for f in found] == ["phone", "nhs_number"]
    assert warnings(found) == []


@pytest.mark.parametrize(("n", "word"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (22, "22nd")])
def test_ordinals(n, word):
    assert ordinal(n) == word
