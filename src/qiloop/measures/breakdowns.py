"""Breakdown columns: practice always; optionally age band, sex, ethnicity and IMD quintile.

Every breakdown value is text; a missing ethnicity or IMD quintile is ``"unknown"``.
"""

from __future__ import annotations

from qiloop.errors import QiloopError

BREAKDOWNS = ("age_band", "sex", "ethnicity", "imd_quintile")

# (lowest age, label); a band runs to the next band's lowest age minus one.
AGE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "0-17"),
    (18, "18-29"),
    (30, "30-39"),
    (40, "40-49"),
    (50, "50-59"),
    (60, "60-69"),
    (70, "70-79"),
    (80, "80+"),
)
UNKNOWN = "unknown"


def age_band(age: int) -> str:
    label = AGE_BANDS[0][1]
    for lowest, name in AGE_BANDS:
        if age >= lowest:
            label = name
    return label


def check_breakdowns(names: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        if name not in BREAKDOWNS:
            raise QiloopError(f"unknown breakdown {name!r}", hint=f"use any of {', '.join(BREAKDOWNS)}")
        if name not in out:
            out.append(name)
    return tuple(out)
