"""Bad input: a clear InputError naming the 1-based row, and nothing computed."""

from __future__ import annotations

import math

import pytest

from qiloop.errors import InputError, QiloopError
from qiloop.spc import spc


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": [1, 2, "three", 4]}, "y: row 3 is 'three', not a number"),
        ({"y": [1, 2, math.nan, 4]}, "y: row 3 is missing"),
        ({"y": [1, None, 3]}, "y: row 2 is missing"),
        ({"y": [1, 2, 3], "n": [10, 0, 10], "chart": "p"}, "row 2: the denominator is 0"),
        ({"y": [1, 2, 3], "n": [10, 10, -5], "chart": "u"}, "row 3: the denominator is -5"),
        (
            {"y": [1, 20, 3], "n": [10, 10, 10], "chart": "p"},
            "row 2: the numerator (20) is larger than the denominator",
        ),
        ({"y": [1, -2, 3], "chart": "c"}, "row 2: the count is -2"),
        ({"y": [5]}, "at least 2 points"),
        ({"y": [1, 2, 3], "x": ["2025-01-01", "2025-03-01", "2025-02-01"]}, "x: row 3 (2025-02-01) is before row 2"),
        ({"y": [1, 2, 3], "x": ["2025-01-01", "2025-01-01", "2025-02-01"]}, "x: row 2 (2025-01-01) repeats row 1"),
        ({"y": [1, 2, 3], "x": ["a", "b"]}, "x has 2 values but y has 3"),
        ({"y": [1, 2, 3], "chart": "z"}, "unknown chart type 'z'"),
        ({"y": [1, 2, 3], "profile": "nelson"}, "unknown SPC rule profile 'nelson'"),
        ({"y": [1, 2, 3], "shift_lenght": 7}, "unknown rule setting(s): shift_lenght"),
        ({"y": [1, 2, 3], "exclude": [5]}, "exclude: point 5 is out of range"),
        ({"y": [1, 2, 3], "splits": [9]}, "split 9 is not one of the x values"),
        ({"y": [1, 2, 3], "freeze": 5}, "freeze=5 but the first phase has only 3 points"),
        ({"y": [1, 2, 3], "chart": "p"}, "needs denominators"),
        ({"y": [1, 0, 3], "chart": "t"}, "y: row 2 is 0; times between events must be greater than zero"),
        ({"y": [1, 2, 3], "improvement": "higher"}, "improvement must be 'up', 'down' or 'neither'"),
    ],
)
def test_bad_input_is_named(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError) as caught:
        spc(**kwargs)
    assert message in str(caught.value)
    assert isinstance(caught.value, QiloopError)


def test_allow_missing_leaves_a_gap() -> None:
    r = spc([1, 2, math.nan, 4, 5], allow_missing=True, min_points_for_limits=1)
    assert math.isnan(r.points["y"].iloc[2])
    assert r.summary.n_useful == 4
    assert r.points["rule"].iloc[2] == ""


def test_result_helpers_round_trip() -> None:
    import json

    r = spc([1, 2, 3, 4, 5], x=["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01", "2025-05-01"])
    data = json.loads(r.to_json())
    assert data["points"][0]["x"] == "2025-01-01"
    assert data["points"][0]["ucl"] is None  # hidden: fewer than 13 points under MDC
    assert data["summary"]["phases"][0]["cl"] == 3
    csv_text = r.points_csv()
    assert (
        csv_text.splitlines()[0]
        == "x,y,numerator,denominator,cl,lcl,ucl,lcl_2s,ucl_2s,mr,phase,excluded,sigma_signal,rule,variation"
    )
    assert len(csv_text.splitlines()) == 6
