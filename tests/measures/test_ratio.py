"""qiloop.measures.results.ratio: no ratio when the denominator is 0, written once."""

from __future__ import annotations

import doctest
import math

import pandas as pd

from qiloop.measures import results


def test_the_doctest() -> None:
    assert doctest.testmod(results).failed == 0


def test_a_zero_denominator_gives_no_ratio_not_zero_or_infinity() -> None:
    out = results.ratio(pd.Series([0, 5, 2], dtype="Float64"), pd.Series([0, 0, 8], dtype="Float64"))
    assert out.isna().tolist() == [True, True, False]
    assert math.isclose(float(out.iloc[2]), 0.25)
