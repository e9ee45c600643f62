"""The result of an SPC calculation: every intermediate value, per point and in summary.

:func:`qiloop.spc.spc` returns an :class:`SpcResult`. Charts (``qiloop.charts``),
funnel plots and the CLI read it; nothing in it depends on how it was computed.

``SpcResult.points`` has one row per input point with exactly the columns in
:data:`POINT_COLUMNS`:

* ``x`` – the label or date; ``y`` – the plotted value (a rate for P/U charts);
* ``numerator``/``denominator`` – as given (``NaN`` when not given);
* ``cl``, ``lcl``, ``ucl`` – centre line and 3σ (process) limits; ``NaN`` where
  the profile shows no limits (run charts, too few points);
* ``lcl_2s``, ``ucl_2s`` – 2σ lines (``NaN`` when the chart has none);
* ``mr`` – moving range to the previous point (``NaN`` where undefined);
* ``phase`` – 0-based phase number (a new phase starts at each split);
* ``excluded`` – left out of the calculations (still plotted);
* ``sigma_signal`` – beyond the process limits (strictly);
* ``rule`` – comma-separated names of the rules that fired at that point
  (:data:`RULE_NAMES`), ``''`` if none;
* ``variation`` – one of :data:`POINT_VARIATIONS`.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qiloop.csv_safety import frame_to_csv

POINT_COLUMNS: tuple[str, ...] = (
    "x",
    "y",
    "numerator",
    "denominator",
    "cl",
    "lcl",
    "ucl",
    "lcl_2s",
    "ucl_2s",
    "mr",
    "phase",
    "excluded",
    "sigma_signal",
    "rule",
    "variation",
)

RULE_NAMES: tuple[str, ...] = ("outside_limits", "shift", "trend", "two_of_three", "longest_run", "crossings")

POINT_VARIATIONS: tuple[str, ...] = (
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neither",
)

VARIATION_ICONS: tuple[str, ...] = (
    "common_cause",
    "special_cause_improving_high",
    "special_cause_improving_low",
    "special_cause_concerning_high",
    "special_cause_concerning_low",
    "special_cause_neither_high",
    "special_cause_neither_low",
)

ASSURANCE_ICONS: tuple[str, ...] = ("consistently_passing", "consistently_failing", "hit_and_miss")

IMPROVEMENT_DIRECTIONS: tuple[str, ...] = ("up", "down", "neither")


@dataclass(frozen=True)
class PhaseSummary:
    """Centre line and limits of one phase (the values at its first point when limits vary),
    and the Anhøj runs analysis of the phase's included points."""

    phase: int
    start_x: Any
    n: int
    cl: float | None
    lcl: float | None
    ucl: float | None
    lcl_2s: float | None = None
    ucl_2s: float | None = None
    baseline_points: int | None = None
    n_useful: int = 0
    longest_run: int = 0
    longest_run_max: int = 0
    n_crossings: int = 0
    n_crossings_min: int = 0
    runs_signal: bool = False


@dataclass(frozen=True)
class SpcSummary:
    """Whole-chart figures: runs analysis, signals, icons and the plain-English sentence.

    ``longest_run``/``n_crossings`` and their critical values are those of the last
    phase (per-phase values are in :attr:`phases`); ``runs_signal`` is true when any
    phase has an Anhøj runs signal; ``n_useful`` is summed over phases.
    """

    chart: str
    profile: str
    n: int
    n_useful: int
    longest_run: int
    longest_run_max: int
    n_crossings: int
    n_crossings_min: int
    runs_signal: bool
    sigma_signal: bool
    variation_icon: str | None
    assurance_icon: str | None
    improvement: str
    target: float | None
    sentence: str
    phases: list[PhaseSummary] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _json_value(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class SpcResult:
    """Per-point values (:attr:`points`) and the chart summary (:attr:`summary`)."""

    points: pd.DataFrame
    summary: SpcSummary

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"summary": {...}, "points": [{...}, ...]}`` (NaN becomes null)."""
        summary = {f.name: getattr(self.summary, f.name) for f in dataclasses.fields(self.summary)}
        summary["phases"] = [dataclasses.asdict(p) for p in self.summary.phases]
        records = [{col: _json_value(row[col]) for col in POINT_COLUMNS} for row in self.points.to_dict("records")]
        return {"summary": _json_value(summary), "points": records}

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), **kwargs)

    def points_csv(self) -> str:
        """The per-point table as CSV text (columns in :data:`POINT_COLUMNS` order)."""
        return str(frame_to_csv(self.points.loc[:, list(POINT_COLUMNS)], lineterminator="\n"))
