"""NHSRplotthedots v0.2.2 (reference/spc/nhsrplotthedots): the rule-function unit cases and the
ptd_spc() outputs on the upstream vignette and test data, under qiloop's ``plotthedots`` profile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from qiloop.spc import rules, spc
from qiloop_reference import REFERENCE_DIR

pytestmark = pytest.mark.reference

# case lists for parametrisation (ids); the tests themselves read through the reference_dir fixture
PTD = (REFERENCE_DIR or Path("/nonexistent")) / "spc" / "nhsrplotthedots"


def _rule_cases() -> list[Any]:
    path = PTD / "rule_function_cases.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text())
    return [pytest.param(name, case, id=f"{name}-{i}") for name, cases in data.items() for i, case in enumerate(cases)]


@pytest.mark.parametrize(("function", "case"), _rule_cases())
def test_plotthedots_rule_functions(function: str, case: dict[str, Any]) -> None:
    if function == "seven_point_one_side_mean":
        got = rules.shift_end_flags(np.array(case["input"], dtype=np.int64), 7)
        assert [abs(int(v)) for v in got] == case["expected"]
    elif function == "part_of_seven_trend":
        got = rules.backfill(np.array(case["input"], dtype=np.int64), 7)
        assert got.astype(int).tolist() == case["expected"]
    elif function == "seven_point_trend":
        got = rules.trend_end_flags(np.array(case["input"], dtype=float), 7)
        assert got.tolist() == case["expected"]
    else:
        close = np.array(case["close_to_limits"], dtype=bool)
        side = np.array(case["relative_to_mean"], dtype=float)
        # Encode the flags as values: y = side, centre 0, 2σ lines at ±0.5 (close points pushed to ±0.75),
        # process limits at ±1 (never crossed).
        y = side * np.where(close, 0.75, 0.25)
        zeros, half, one = np.zeros_like(y), np.full_like(y, 0.5), np.ones_like(y)
        window_hi, window_lo = rules.two_of_three_flags(y, zeros, -half, half, -one, one, flag_window=True)
        part_hi, part_lo = rules.two_of_three_flags(y, zeros, -half, half, -one, one)
        assert (window_hi | window_lo).astype(int).tolist() == case["two_in_three"]
        assert (part_hi | part_lo).astype(int).tolist() == case["part_of_two_in_three"]


def _ids() -> list[str]:
    path = PTD / "generated" / "index.json"
    return [c["id"] for c in json.loads(path.read_text())] if path.exists() else []


POINT_TYPE = {
    "common_cause": "common_cause",
    "special_cause_improvement": "special_cause_improvement",
    "special_cause_concern": "special_cause_concern",
    "special_cause_neutral": "special_cause_neither",
}
ASSURANCE = {"pass": "consistently_passing", "fail": "consistently_failing", "inconsistent": "hit_and_miss", None: None}


@pytest.mark.parametrize("case_id", _ids())
def test_plotthedots_ptd_spc(reference_dir: Path, case_id: str) -> None:
    folder = reference_dir / "spc" / "nhsrplotthedots" / "generated"
    case = next(c for c in json.loads((folder / "index.json").read_text()) if c["id"] == case_id)
    args = case["ptd_spc_args"]
    data = pd.read_csv(folder / case["input"])
    expected = pd.read_csv(folder / case["expected"])
    groups = data.groupby(args["facet_field"], sort=True) if "facet_field" in args else [("no facet", data)]
    for facet, part in groups:
        kw: dict[str, Any] = {
            "chart": "xmr",
            "profile": "plotthedots",
            "improvement": "up",  # ptd_spc's default improvement_direction is "increase"
            "mr_screening": args.get("screen_outliers", True),
        }
        if "fix_after_n_points" in args:
            kw["freeze"] = args["fix_after_n_points"]
        if "target" in args:
            kw["target"] = args["target"]
        result = spc(part[args["value_field"]].tolist(), x=part[args["date_field"]].tolist(), **kw)
        want = expected[expected["f"].astype(str) == str(facet)]
        pts = result.points
        np.testing.assert_allclose(pts["cl"], want["mean_col"], atol=1e-9, rtol=0)
        np.testing.assert_allclose(pts["lcl"], want["lpl"], atol=1e-9, rtol=0)
        np.testing.assert_allclose(pts["ucl"], want["upl"], atol=1e-9, rtol=0)
        assert pts["sigma_signal"].tolist() == want["outside_limits"].tolist()
        assert pts["variation"].tolist() == [POINT_TYPE[t] for t in want["point_type"]]
        last = next(v for v in case["variation_from_last_point"] if str(v["f"]) == str(facet))
        assert pts["variation"].iloc[-1] == POINT_TYPE[last["last_point_type"]]
        assurance = next(v for v in case["assurance"] if str(v["f"]) == str(facet))["assurance_type"]
        assert result.summary.assurance_icon == ASSURANCE[assurance]
        summary = next(s for s in case["summary"] if str(s.get("f", "no facet")) in (str(facet), "no facet"))
        assert (pts["variation"] == "special_cause_improvement").sum() == summary["special_cause_improvement"]
        assert (pts["variation"] == "special_cause_concern").sum() == summary["special_cause_concern"]


@pytest.mark.parametrize(
    ("lpl", "upl", "direction", "expected"),
    [
        (1, 3, "up", "consistently_failing"),
        (5, 7, "up", "consistently_passing"),
        (1, 5, "up", "hit_and_miss"),
        (1, 3, "down", "consistently_passing"),
        (5, 7, "down", "consistently_failing"),
        (1, 5, "down", "hit_and_miss"),
        (1, 3, "neither", None),
    ],
)
def test_plotthedots_assurance_upstream_values(lpl: float, upl: float, direction: str, expected: str | None) -> None:
    # tests/testthat/test-ptd_calculate_assurance_type.R: target 4 against lpl/upl
    from qiloop.spc.signals import assurance_icon

    assert assurance_icon(4.0, lpl, upl, direction, inclusive=False) == expected
