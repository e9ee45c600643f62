"""A measure's monthly counts read as news: the chosen chart, start-up months left out, the latest signal.

:func:`read_counts` is what a practice's dashboard needs from one measure's series:

* the chart chosen from the data (:func:`qiloop.spc.choose.choose_chart`), with limits
  clipped to what is possible (0–100% for proportions, ≥ 0 for rates);
* start-up months (whose look-back windows reach before the data start, passed in as
  ``startup``) and months below a completeness threshold left out of every
  calculation — still drawn, faded — with a sentence saying so;
* one sentence about the **most recent** signal period ("Since June 2025, 9 months
  above the average — a shift: …"), never the whole history;
* when a shift has lasted :data:`SUSTAINED_POINTS` points or more it is no longer
  news: the sentence says so and :attr:`Reading.proposal` proposes a recalculation
  (a new phase) from the shift's first point, as Wheeler advises (the change most
  likely happened where the run began).

Small numbers get a run chart with no signals and no variation icon at all.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qiloop.errors import InputError
from qiloop.spc.choose import ChartChoice, choose_chart
from qiloop.spc.engine import spc
from qiloop.spc.result import SpcResult
from qiloop.spc.sentence import RULE_PRIORITY, _Labels, _run_start, _trend_start

SUSTAINED_POINTS = 12
"""A shift this long (a year of months) is a lasting change: recalculation is proposed instead of news."""
MIN_COMPLETENESS = 0.9
"""Months whose recorded data are less complete than this are left out (when completeness is given)."""
NO_SIGNAL_RULES = {
    "outside_limits": False,
    "shift_length": None,
    "trend_length": None,
    "two_of_three": False,
    "anhoej_runs": False,
}


@dataclass(frozen=True)
class SignalPeriod:
    """The most recent run of special-cause points: where it starts and ends, its rule and meaning."""

    start: Any
    end: Any
    points: int
    rule: str  # outside_limits, shift, trend, two_of_three, longest_run
    variation: str  # special_cause_improvement / _concern / _neither
    side: str  # "above" or "below" (rising/falling for a trend)
    ongoing: bool  # it reaches the latest point


@dataclass(frozen=True)
class Recalculation:
    """A proposed new phase: recalculate the centre line and limits from ``start``."""

    start: Any
    points: int
    sentence: str


@dataclass(frozen=True)
class Reading:
    """Everything the pages say about one series (see the module docstring)."""

    result: SpcResult
    choice: ChartChoice
    sentence: str
    signal: SignalPeriod | None = None
    proposal: Recalculation | None = None
    left_out: list[Any] = field(default_factory=list)  # x of the start-up and incomplete months
    notes: list[str] = field(default_factory=list)  # sentences: what was left out, and why

    @property
    def chart(self) -> str:
        return self.choice.chart


def read_counts(
    x: Sequence[Any],
    numerators: Iterable[Any],
    denominators: Iterable[Any],
    *,
    kind: str = "proportion",
    improvement: str = "neither",
    multiply: float = 100.0,
    measure_name: str | None = None,
    splits: Iterable[Any] = (),
    startup: Iterable[bool] | None = None,
    startup_reason: str = "",
    completeness: Iterable[Any] | None = None,
    min_completeness: float = MIN_COMPLETENESS,
    sustained_points: int = SUSTAINED_POINTS,
    profile: str = "mdc",
) -> Reading | None:
    """Read a series of counts (one row per period, in date order) as news; None with fewer than 2 periods
    that have a denominator (unless no period has anyone at all, which is read as such).

    A period with a zero or missing denominator is a gap. ``startup`` marks periods whose
    look-back is incomplete (``startup_reason`` says why, e.g. "the measure looks back 15
    months and the data start in April 2021"); ``completeness`` (0–1 per period) leaves out
    periods below ``min_completeness``. ``splits`` – x values where accepted phases start.
    """
    labels = list(x)
    num = np.asarray([_float(v) for v in numerators], dtype=float)
    den = np.asarray([_float(v) for v in denominators], dtype=float)
    if not (len(labels) == num.size == den.size):
        raise InputError(f"x, numerators and denominators differ in length ({len(labels)}, {num.size}, {den.size})")
    no_one = den == 0  # said in words; a missing (suppressed) count is only a gap
    gap = np.isnan(num) | np.isnan(den) | ~(den > 0)
    num, den = np.where(gap, np.nan, num), np.where(gap, np.nan, den)
    left_out = np.zeros(num.size, dtype=bool)
    notes: list[str] = []
    names = _Labels(pd.Series(labels, dtype=object))
    if startup is not None:
        start_mask = np.asarray(list(startup), dtype=bool)
        if start_mask.size != num.size:
            raise InputError(f"startup has {start_mask.size} values for {num.size} periods")
        left_out |= start_mask
        if start_mask.any():
            notes.append(_left_out_sentence(names, start_mask, "start-up", startup_reason))
    if completeness is not None:
        complete = np.asarray([_float(v) for v in completeness], dtype=float)
        if complete.size != num.size:
            raise InputError(f"completeness has {complete.size} values for {num.size} periods")
        thin = ~np.isnan(complete) & (complete < min_completeness) & ~left_out
        left_out |= thin
        if thin.any():
            notes.append(
                _left_out_sentence(
                    names, thin, "incomplete", f"their recorded data are less than {min_completeness:.0%} complete"
                )
            )
    if num.size < 2 or (int(np.count_nonzero(~gap)) < 2 and not no_one.all()):
        return None  # nothing to read (a series in which no month has anyone is said in words below)
    choice = choose_chart(num, den, kind=kind, use=~left_out & ~gap)
    bounds = (0.0, multiply) if kind in ("proportion", "score") else (0.0, None)
    overrides: dict[str, Any] = NO_SIGNAL_RULES if choice.small_numbers else {}
    split_list = [s for s in splits if _position(labels, s) not in (None, 0)]
    common = {
        "x": labels,
        "improvement": improvement,
        "measure_name": measure_name,
        "splits": split_list or None,
        "exclude": [int(i) for i in np.flatnonzero(left_out)] or None,
        "allow_missing": True,
        "profile": profile,
        "bounds": bounds,
        **overrides,
    }
    if choice.chart in ("p", "pp", "u", "up"):
        result = spc(num, n=den, chart=choice.chart, multiply=multiply, **common)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            values = num / den * multiply
        result = spc(values, chart=choice.chart, **common)
    if choice.small_numbers:
        result = _without_icons(result)
    signal = latest_signal(result)
    proposal = _proposal(result, signal, sustained_points, names)
    sentence = _sentence(result, choice, signal, proposal, names, measure_name or "the measure", sustained_points)
    last = num.size - 1
    if no_one[last]:
        sentence += f" In {names.name(last)} there was no one in the denominator."
    summary = dataclasses.replace(result.summary, sentence=sentence, notes=[*result.summary.notes, *notes])
    result = SpcResult(points=result.points, summary=summary)
    return Reading(
        result=result,
        choice=choice,
        sentence=sentence,
        signal=signal,
        proposal=proposal,
        left_out=[labels[i] for i in np.flatnonzero(left_out)],
        notes=notes,
    )


def latest_signal(result: SpcResult) -> SignalPeriod | None:
    """The most recent special-cause period of a result (None when no included point is special cause)."""
    points = result.points
    usable = (~points["excluded"].to_numpy(bool)) & points["y"].notna().to_numpy()
    variation = points["variation"].to_numpy(str)
    special = np.flatnonzero(usable & (variation != "common_cause"))
    if special.size == 0:
        return None
    at = int(special[-1])
    y = points["y"].to_numpy(float)
    cl = points["cl"].to_numpy(float)
    side = np.sign(np.nan_to_num(y - cl))
    fired = [r for r in RULE_PRIORITY if r in str(points["rule"].iloc[at]).split(",")]
    rule = fired[0] if fired else "outside_limits"
    if rule == "outside_limits" and ("shift" in fired or "longest_run" in fired):
        rule = "shift"  # the run the point belongs to is the better summary of the period
    usable_idx = np.flatnonzero(usable)
    if rule in ("shift", "longest_run"):
        start = _run_start(side, usable, at)
        where = "above" if side[at] > 0 else "below"
    elif rule == "trend":
        rising = _rising_at(y, usable_idx, at)
        start = _trend_start(y, usable, at, rising)
        where = "rising" if rising else "falling"
    else:
        start = at
        pos = int(np.searchsorted(usable_idx, at))
        while pos > 0 and variation[usable_idx[pos - 1]] == variation[at] and side[usable_idx[pos - 1]] == side[at]:
            pos -= 1
        start = int(usable_idx[pos])
        where = "above" if side[at] > 0 else "below"
    count = int(np.count_nonzero(usable[start : at + 1]))
    x = points["x"].tolist()
    return SignalPeriod(
        start=x[start],
        end=x[at],
        points=count,
        rule=rule,
        variation=str(variation[at]),
        side=where,
        ongoing=at == int(usable_idx[-1]),
    )


def _rising_at(y: np.ndarray, usable_idx: np.ndarray, at: int) -> bool:
    pos = int(np.searchsorted(usable_idx, at))
    if pos > 0:
        return bool(y[usable_idx[pos]] > y[usable_idx[pos - 1]])
    return False


def _proposal(result: SpcResult, signal: SignalPeriod | None, sustained: int, names: _Labels) -> Recalculation | None:
    """A new phase from the start of a lasting shift that reaches the latest point (and starts after the
    current phase does, so the new phase would be a real split)."""
    if not _lasting(signal, sustained):
        return None
    assert signal is not None
    x = result.points["x"].tolist()
    at = x.index(signal.start)
    phases = result.summary.phases
    phase_start = x.index(phases[-1].start_x) if phases else 0
    if at <= phase_start:
        return None
    return Recalculation(
        start=signal.start,
        points=signal.points,
        sentence=(
            f"Recalculate the average and limits from {names.name(at)}: the {signal.points} {names.unit} since then "
            "become a new phase, so the chart shows what has changed since the shift instead of the shift itself."
        ),
    )


def _lasting(signal: SignalPeriod | None, sustained: int) -> bool:
    return (
        signal is not None and signal.ongoing and signal.rule in ("shift", "longest_run") and signal.points >= sustained
    )


def _sentence(
    result: SpcResult,
    choice: ChartChoice,
    signal: SignalPeriod | None,
    proposal: Recalculation | None,
    names: _Labels,
    measure: str,
    sustained: int,
) -> str:
    summary = result.summary
    if choice.points_used == 0:
        return f"No month shown has anyone in the denominator of {measure}: there is nothing to chart yet."
    if choice.small_numbers:
        if choice.centre in (0.0, 1.0) and choice.kind == "proportion":
            return (
                f"{_cap(measure)} is {'0' if choice.centre == 0 else '100'}% in every month shown: "
                "with nothing varying there is no signal to read."
            )
        return (
            f"The numbers are too small for signals (a typical month has {_count(choice.median_denominator)} in the "
            "denominator): read the counts, not the percentage; no month is marked as special cause."
        )
    if signal is None or not _enough(result):
        return summary.sentence
    unit = names.unit
    x = result.points["x"].tolist()
    start, end = names.name(x.index(signal.start)), names.name(x.index(signal.end))
    meaning = {
        "special_cause_improvement": "an improvement",
        "special_cause_concern": "a concern",
    }.get(signal.variation, "")
    centre = "median" if summary.chart == "run" else "average"
    if _lasting(signal, sustained):
        text = (
            f"{_cap(measure)} has stayed {signal.side} its {centre} since {start} ({signal.points} {unit}): "
            f"a lasting change{', ' + meaning + ',' if meaning else ''} rather than news"
        )
        if proposal is not None:
            text += f"; recalculating the limits from {start} would show whether it is still changing"
        return text + _assurance_tail(summary.sentence) + "."
    limit = "upper" if signal.side == "above" else "lower"
    if signal.rule in ("shift", "longest_run"):
        body = f"{signal.points} {unit} {signal.side} the {centre} — a shift"
    elif signal.rule == "trend":
        body = f"{signal.points} {unit} {signal.side} in a row — a trend"
    elif signal.rule == "two_of_three":
        body = f"close to its {limit} limit for two of three {unit}"
    elif signal.points > 1:
        body = f"{signal.points} {unit} {signal.side} the {limit} limit"
    else:
        body = f"{signal.side} the {limit} limit"
    tail = f" and is {meaning}" if meaning else ""
    if signal.ongoing and signal.points > 1 and signal.rule != "two_of_three":
        text = f"Since {start}, {body} in {measure}: this is unlikely to be chance{tail}"
    elif signal.ongoing:
        text = f"In {end} {measure} was {body}: this is unlikely to be chance{tail}"
    else:
        span = f"in {end}" if signal.points == 1 else f"from {start} to {end}"
        text = (
            f"The most recent signal was {span}: {body}{' (' + meaning + ')' if meaning else ''}; since then "
            f"{measure} shows only common-cause variation"
        )
    return text + _assurance_tail(summary.sentence) + "."


def _enough(result: SpcResult) -> bool:
    return not any(note.startswith("Limits, rules and icons not shown") for note in result.summary.notes)


def _assurance_tail(sentence: str) -> str:
    for marker in ("; at its current level", "; it will not meet", "; it will sometimes"):
        if marker in sentence:
            return sentence[sentence.index(marker) :].rstrip(".")
    return ""


def _without_icons(result: SpcResult) -> SpcResult:
    summary = dataclasses.replace(result.summary, variation_icon=None, assurance_icon=None)
    return SpcResult(points=result.points, summary=summary)


def _left_out_sentence(names: _Labels, mask: np.ndarray, what: str, reason: str) -> str:
    idx = np.flatnonzero(mask)
    count = idx.size
    first, last = names.name(int(idx[0])), names.name(int(idx[-1]))
    months = first if count == 1 else f"{first} to {last}"
    unit = names.unit if count > 1 else names.unit.rstrip("s")
    text = f"{count} {what} {unit} ({months}) {'are' if count > 1 else 'is'} drawn faded and left out of the average and limits"
    return text + (f": {reason}." if reason else ".")


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(pd.Timestamp(a) == pd.Timestamp(b))
    except (TypeError, ValueError):
        return bool(a == b)


def _position(labels: list[Any], value: Any) -> int | None:
    for i, label in enumerate(labels):
        if _same(label, value):
            return i
    return None


def _float(value: Any) -> float:
    if value is None or value is pd.NA or value is pd.NaT:
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{str(value)[:40]!r} is not a number") from None


def _count(value: float | None) -> str:
    if value is None:
        return "no one"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
