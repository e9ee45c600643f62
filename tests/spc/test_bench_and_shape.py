"""The result table's shape and types, and the ``qiloop bench spc`` entry point on a small run."""

from __future__ import annotations

import argparse

import pytest

from qiloop.bench import spc as bench_spc
from qiloop.spc import spc
from qiloop.spc.result import POINT_COLUMNS


def test_points_have_exactly_the_documented_columns_and_types() -> None:
    r = spc([3, 5, 4, 6, 5, 7], n=[10, 10, 10, 10, 10, 10], chart="p", splits=[4], exclude=[1], profile="qicharts2")
    pts = r.points
    assert tuple(pts.columns) == POINT_COLUMNS
    assert pts["phase"].dtype.kind == "i"
    assert pts["excluded"].dtype == bool and pts["sigma_signal"].dtype == bool
    assert pts["numerator"].tolist() == [3, 5, 4, 6, 5, 7]
    assert pts["denominator"].tolist() == [10] * 6
    assert pts["y"].tolist() == pytest.approx([0.3, 0.5, 0.4, 0.6, 0.5, 0.7])
    # phase 0 = points 0-2 with point 1 excluded: CL = (3 + 4) / (10 + 10) = 0.35
    assert pts["cl"].iloc[0] == pytest.approx(0.35)
    assert all(isinstance(v, str) for v in pts["rule"])


def test_bench_spc_prints_its_figures(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    bench_spc.add_arguments(parser)
    args = parser.parse_args(["--series", "500", "--points", "24"])
    assert bench_spc.run(args) == 0
    out = capsys.readouterr().out
    assert "500 x 24 points" in out
    assert "series/s" in out and "wall time" in out
