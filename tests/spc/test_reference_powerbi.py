"""PowerBI-SPC test expectations (reference/spc/powerbi-spc): per-chart-type limits and the
rule/icon function cases. Limits are checked to the stated decimal places (toBeCloseTo:
|difference| < 10^-d / 2). The visual screens moving ranges, like the qicharts2 profile."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qiloop.spc import rules, signals, spc
from qiloop_reference import REFERENCE_DIR

pytestmark = pytest.mark.reference

# case lists for parametrisation (ids); the tests themselves read through the reference_dir fixture
PBI = (REFERENCE_DIR or Path("/nonexistent")) / "spc" / "powerbi-spc"


def _chart_types() -> list[str]:
    path = PBI / "chart_type_limits.json"
    return list(json.loads(path.read_text())) if path.exists() else []


def _powerbi_spc(chart: str, inputs: dict[str, Any], extra: dict[str, Any]):
    key, num = inputs["key"], inputs["numerators"]
    den = inputs.get("denominators")
    kw: dict[str, Any] = {"profile": "qicharts2", "x": key}
    if chart in ("i", "mr") and den is not None:
        return spc([a / b for a, b in zip(num, den, strict=True)], chart={"i": "xmr"}.get(chart, chart), **kw)
    if chart == "c":
        groups = extra.get("groupings") or inputs.get("groupings")
        starts = [key[i] for i in range(1, len(groups)) if groups[i] != groups[i - 1]]
        return spc(num, chart="c", splits=starts, **kw)
    if chart in ("p", "pp"):
        return spc(num, n=den, chart=chart, multiply=100, **kw)
    if chart == "u":
        return spc(num, n=den, chart=chart, multiply=10000, **kw)
    if chart == "up":
        return spc(num, n=den, chart=chart, **kw)
    if chart == "xbar":
        return spc(num, n=den, subgroup_sd=inputs["xbar_sds"], chart="xbar", **kw)
    if chart == "s":
        return spc(num, n=den, chart="s", subgroup_sd=num, **kw)
    return spc(num, chart=chart, **kw)


@pytest.mark.parametrize("chart", _chart_types())
def test_powerbi_chart_type_limits(reference_dir: Path, chart: str) -> None:
    case = json.loads((reference_dir / "spc" / "powerbi-spc" / "chart_type_limits.json").read_text())[chart]
    result = _powerbi_spc(chart, case["inputs"], case["extra"] or {})
    pts = result.points
    tolerance = 10 ** -int(case["tolerance_decimal_places"]) / 2
    expected = case["expected"]
    for ours, theirs in [("ucl", "ul99"), ("ucl_2s", "ul95"), ("lcl_2s", "ll95"), ("lcl", "ll99")]:
        want = np.asarray(expected[theirs], dtype=float)
        if want.size == len(pts) + 1 and np.ptp(want) == 0:
            # g and t upstream tests list 68 (constant) limits for 67 points
            want = want[: len(pts)]
        np.testing.assert_allclose(pts[ours].to_numpy(float), want, atol=tolerance, rtol=0, err_msg=theirs)
    if "values" in expected:
        np.testing.assert_allclose(pts["y"].to_numpy(float)[1:], expected["values"], atol=tolerance, rtol=0)


def _rule_cases(function: str) -> list[Any]:
    path = PBI / "rule_function_cases.json"
    if not path.exists():
        return []
    cases = json.loads(path.read_text())[function]["cases"]
    return [pytest.param(c, id=f"{function}-{i}") for i, c in enumerate(cases)]


def _labels(high: np.ndarray, low: np.ndarray, y: list[float] | None = None) -> list[str]:
    out = []
    for i, (h, lo) in enumerate(zip(high.tolist(), low.tolist(), strict=True)):
        if h and lo:
            # a turning point is in both trends; the visual labels it with the trend that starts there
            assert y is not None
            out.append("upper" if y[i + 1] > y[i] else "lower")
        else:
            out.append("upper" if h else "lower" if lo else "none")
    return out


@pytest.mark.parametrize("case", _rule_cases("astronomical"))
def test_powerbi_astronomical(case: dict[str, Any]) -> None:
    a = case["args"]
    high, low = rules.outside_flags(np.array(a["val"], float), np.array(a["ll99"], float), np.array(a["ul99"], float))
    assert _labels(high, low) == case["expected"]


@pytest.mark.parametrize("case", _rule_cases("shift"))
def test_powerbi_shift(case: dict[str, Any]) -> None:
    a = case["args"]
    side = rules.side_of(np.array(a["val"], float), np.array(a["targets"], float))
    flags = rules.shift_flags(side, a["n"])
    assert _labels(flags > 0, flags < 0) == case["expected"]


@pytest.mark.parametrize("case", _rule_cases("trend"))
def test_powerbi_trend(case: dict[str, Any]) -> None:
    a = case["args"]
    rising, falling = rules.trend_flags(np.array(a["val"], float), a["n"])
    assert _labels(rising, falling, a["val"]) == case["expected"]


@pytest.mark.parametrize("case", _rule_cases("twoInThree"))
def test_powerbi_two_in_three(case: dict[str, Any]) -> None:
    a = case["args"]
    y = np.array(a["val"], float)
    lower, upper = np.array(a["ll95"], float), np.array(a["ul95"], float)
    inf = np.full_like(y, np.inf)
    high, low = rules.two_of_three_flags(
        y,
        (lower + upper) / 2,
        lower,
        upper,
        -inf,
        inf,
        same_side=False,
        count_beyond_3sigma=True,
        flag_window=a["highlight_series"],
    )
    assert _labels(high, low) == case["expected"]


DIRECTION = {"increase": "up", "decrease": "down", "neutral": "neither"}
VARIATION_STATUS = {
    "special_cause_improvement": "improvement",
    "special_cause_concern": "deterioration",
}


@pytest.mark.parametrize("case", _rule_cases("checkFlagDirection"))
def test_powerbi_check_flag_direction(case: dict[str, Any]) -> None:
    a = case["args"]
    if a["process_flag_type"] != "both":
        pytest.skip("qiloop always flags both improvement and concern (no 'only improvement' display option)")
    status = a["outlierStatus"]
    direction = np.array([{"upper": 1, "lower": -1, "none": 0}[status]])
    variation = signals.variation_labels(direction, direction != 0, DIRECTION[a["improvement_direction"]])[0]
    if variation == "common_cause":
        got = "none"
    elif variation == "special_cause_neither":
        got = "neutral_high" if status == "upper" else "neutral_low"
    else:
        got = VARIATION_STATUS[variation]
    assert got == case["expected"]


ICON_NAMES = {
    "common_cause": "commonCause",
    "special_cause_improving_high": "improvementHigh",
    "special_cause_improving_low": "improvementLow",
    "special_cause_concerning_high": "concernHigh",
    "special_cause_concerning_low": "concernLow",
    "special_cause_neither_high": "neutralHigh",
    "special_cause_neither_low": "neutralLow",
}


def _point_icon(args: dict[str, Any], i: int) -> str | None:
    """qiloop's icon for point ``i`` from the rule statuses there (None when no rule fired)."""
    improvement = DIRECTION[args["improvement_direction"]]
    statuses = [flags[i] for flags in args["outliers"].values() if flags[i] != "none"]
    if not statuses:
        return None
    favourable = signals.FAVOURABLE[improvement]
    status = statuses[0]
    side = {"improvement": favourable, "deterioration": -favourable, "neutral_high": 1, "neutral_low": -1}[status]
    variation = signals.variation_labels(np.array([side]), np.array([True]), improvement)[0]
    return ICON_NAMES[signals.variation_icon(variation, side, improvement)]


@pytest.mark.parametrize("case", _rule_cases("variationIconsToDraw"))
def test_powerbi_variation_icons(case: dict[str, Any]) -> None:
    """qiloop's summary icon is the flag_last_point=true mode (MDC: the last point); with
    flag_last_point=false the visual draws the icons of every point, so compare that set."""
    a = case["args"]
    n = len(next(iter(a["outliers"].values())))
    points = [n - 1] if a["flag_last_point"] and n else range(n)
    icons = {icon for i in points if (icon := _point_icon(a, i)) is not None}
    assert sorted(icons or {"commonCause"}) == sorted(case["expected"])


ASSURANCE_NAMES = {
    "consistently_passing": "consistentPass",
    "consistently_failing": "consistentFail",
    "hit_and_miss": "inconsistent",
    None: "none",
}


@pytest.mark.parametrize("case", _rule_cases("assuranceIconToDraw"))
def test_powerbi_assurance_icons(case: dict[str, Any]) -> None:
    a = case["args"]
    if not a["has_control_limits"] or not a.get("alt_targets"):
        got = None
    else:
        got = signals.assurance_icon(
            float(a["alt_targets"][-1]),
            float(a["ll99"][-1]),
            float(a["ul99"][-1]),
            DIRECTION[a["improvement_direction"]],
            inclusive=False,  # the visual, like NHSRplotthedots, treats a target on a limit as inconsistent
        )
    assert ASSURANCE_NAMES[got] == case["expected"]
