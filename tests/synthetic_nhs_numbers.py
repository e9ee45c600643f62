"""Synthetic NHS numbers for tests: nine digits and their modulus-11 check digit, worked out long-hand here
(not with ``qiloop.records.pseudonym``) so a test of the library cannot agree with it by construction."""

from __future__ import annotations

from hypothesis import strategies as st


def check_digit(first_nine: str) -> int | None:
    """The check digit of nine digits (weights 10 down to 2; 11 -> 0); None when it would be 10 (unusable)."""
    total = sum(weight * int(digit) for weight, digit in zip(range(10, 1, -1), first_nine, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def synthetic_nhs_numbers(count: int, start: int = 999_000_000) -> list[str]:
    """``count`` distinct valid ten-digit numbers from ``start`` upwards (the 999 range is not issued to people)."""
    numbers: list[str] = []
    base = start
    while len(numbers) < count:
        nine = f"{base:09d}"
        check = check_digit(nine)
        if check is not None:
            numbers.append(nine + str(check))
        base += 1
    return numbers


valid_nhs_numbers = (
    st.text(alphabet="0123456789", min_size=9, max_size=9)
    .map(lambda nine: (nine, check_digit(nine)))
    .filter(lambda pair: pair[1] is not None)
    .map(lambda pair: pair[0] + str(pair[1]))
)
