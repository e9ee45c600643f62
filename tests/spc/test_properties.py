"""Property tests: SPC invariants, the vectorised rules against a plain-Python oracle, and the
batch path against spc()."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qiloop.spc import rules, spc
from qiloop.spc.batch import xmr_batch

values = st.lists(st.integers(min_value=0, max_value=200), min_size=2, max_size=40)
sides = st.lists(st.sampled_from([-1, 0, 1]), min_size=0, max_size=40)


def oracle_runs(seq: list[int]) -> list[int]:
    """Plain-Python length of the run of equal values each element belongs to."""
    out: list[int] = []
    i = 0
    while i < len(seq):
        j = i
        while j + 1 < len(seq) and seq[j + 1] == seq[i]:
            j += 1
        out += [j - i + 1] * (j - i + 1)
        i = j + 1
    return out


@given(sides, st.integers(min_value=2, max_value=9))
def test_shift_matches_oracle(side: list[int], length: int) -> None:
    runs = oracle_runs(side)
    expected = [s if s != 0 and r >= length else 0 for s, r in zip(side, runs, strict=True)]
    assert rules.shift_flags(np.array(side, dtype=np.int64), length).tolist() == expected


@given(st.lists(st.integers(min_value=0, max_value=5), min_size=0, max_size=30), st.integers(min_value=2, max_value=8))
def test_trend_matches_oracle(y: list[int], length: int) -> None:
    rising = [False] * len(y)
    falling = [False] * len(y)
    for start in range(len(y)):
        for end in range(start + length - 1, len(y)):
            window = y[start : end + 1]
            if all(b > a for a, b in zip(window, window[1:], strict=False)):
                rising[start : end + 1] = [True] * len(window)
            if all(b < a for a, b in zip(window, window[1:], strict=False)):
                falling[start : end + 1] = [True] * len(window)
    got_rising, got_falling = rules.trend_flags(np.array(y, dtype=float), length)
    assert got_rising.tolist() == rising
    assert got_falling.tolist() == falling


@settings(max_examples=40, deadline=None)
@given(values)
def test_xmr_limits_are_symmetric_about_the_centre(y: list[int]) -> None:
    r = spc(y, profile="mdc", min_points_for_limits=1)
    pts = r.points
    np.testing.assert_allclose(pts["ucl"] - pts["cl"], pts["cl"] - pts["lcl"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(pts["ucl_2s"] - pts["cl"], (pts["ucl"] - pts["cl"]) * 2 / 3, rtol=1e-12, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(values, st.sampled_from([2.0, 4.0, 0.5, 8.0]))
def test_scaling_y_scales_the_lines_and_keeps_the_signals(y: list[int], factor: float) -> None:
    a = spc(y, profile="mdc", min_points_for_limits=1, improvement="up")
    b = spc([v * factor for v in y], profile="mdc", min_points_for_limits=1, improvement="up")
    for column in ("cl", "lcl", "ucl"):
        np.testing.assert_allclose(b.points[column], a.points[column] * factor, rtol=1e-12, atol=1e-9)
    assert b.points["variation"].tolist() == a.points["variation"].tolist()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=100), min_size=2, max_size=5))
def test_no_multi_point_rule_fires_on_fewer_points_than_it_needs(y: list[int]) -> None:
    r = spc(y, profile="mdc", min_points_for_limits=1, outside_limits=False, two_of_three=False)
    assert set(r.points["rule"]) == {""}
    hi, lo = rules.two_of_three_flags(np.array(y[:2], float), *(np.zeros(len(y[:2])) for _ in range(5)))
    assert not hi.any() and not lo.any()


@given(sides, st.integers(min_value=2, max_value=8))
def test_inserting_a_centre_line_point_never_creates_a_shift(side: list[int], length: int) -> None:
    before = rules.shift_flags(np.array(side, dtype=np.int64), length)
    for at in range(len(side) + 1):
        after = rules.shift_flags(np.array(side[:at] + [0] + side[at:], dtype=np.int64), length)
        flagged_after = np.delete(after != 0, at)
        assert not (flagged_after & ~(before != 0)).any()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=50), min_size=13, max_size=30),
    st.sampled_from(["mdc", "plotthedots"]),
    st.sampled_from(["up", "down", "neither"]),
)
def test_batch_agrees_with_spc(y: list[int], profile: str, improvement: str) -> None:
    out = xmr_batch(np.array([y], dtype=float), profile=profile, improvement=improvement)
    r = spc(y, profile=profile, improvement=improvement)
    for column in ("cl", "lcl", "ucl", "lcl_2s", "ucl_2s"):
        np.testing.assert_array_equal(getattr(out, column)[0], r.points[column].to_numpy(float))
    assert out.variation_labels(0) == r.points["variation"].tolist()


@pytest.mark.parametrize("profile", ["mdc", "plotthedots"])
def test_batch_agrees_with_spc_on_300_seeded_series(profile: str) -> None:
    rng = np.random.default_rng(7)
    level = rng.uniform(5, 50, size=(300, 1))
    matrix = np.round(level + rng.normal(0, 3, size=(300, 40)), 1)
    matrix[::4, 25:] += 6  # shifts in a quarter of the series
    out = xmr_batch(matrix, profile=profile, improvement="up")
    for i in range(300):
        r = spc(matrix[i], profile=profile, improvement="up")
        np.testing.assert_array_equal(out.ucl[i], r.points["ucl"].to_numpy(float))
        np.testing.assert_array_equal(out.lcl[i], r.points["lcl"].to_numpy(float))
        assert out.variation_labels(i) == r.points["variation"].tolist(), f"series {i}"
    assert (out.variation != 0).any()  # the data do contain signals


def test_batch_hides_limits_for_short_series() -> None:
    out = xmr_batch(np.arange(24.0).reshape(2, 12))
    assert np.isnan(out.ucl).all() and (out.variation == 0).all()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(min_value=1, max_value=60), min_size=4, max_size=30),
    st.sampled_from(["run", "xmr", "mr", "c", "p", "pp", "u", "up", "ip", "g", "t"]),
    st.sampled_from(["mdc", "qicharts2", "plotthedots"]),
    st.data(),
)
def test_any_chart_with_phases_and_exclusions_keeps_its_invariants(
    y: list[int], chart: str, profile: str, data: st.DataObject
) -> None:
    size = len(y)
    split = data.draw(st.integers(min_value=2, max_value=size))
    excluded = data.draw(st.lists(st.integers(min_value=0, max_value=size - 1), max_size=2, unique=True))
    n = (
        [v + data.draw(st.integers(min_value=0, max_value=40)) for v in y]
        if chart in ("p", "pp", "u", "up", "ip")
        else None
    )
    r = spc(
        y,
        n=n,
        chart=chart,
        profile=profile,
        splits=[split + 1] if split < size else None,
        exclude=excluded,
        improvement="up",
        min_points_for_limits=1,
    )
    pts = r.points
    assert len(pts) == size
    assert pts["phase"].max() == (1 if split < size else 0)
    assert (pts.loc[pts["excluded"], "rule"] == "").all()
    assert (pts.loc[pts["excluded"], "variation"] == "common_cause").all()
    assert ((pts["rule"] == "") == (pts["variation"] == "common_cause")).all()
    limits = pts[["lcl", "ucl"]].dropna()
    assert (limits["lcl"] <= limits["ucl"]).all()
    assert isinstance(r.summary.sentence, str) and r.summary.sentence.endswith(".")
