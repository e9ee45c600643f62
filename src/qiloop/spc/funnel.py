"""Funnel plots: compare units (practices, clinicians) with their average or a target without ranking them.

>>> from qiloop.spc.funnel import funnel
>>> result = funnel([12, 30, 8], [100, 240, 90], labels=["A", "B", "C"])
>>> result.summary.sentence  # doctest: +ELLIPSIS
'All 3 units lie within the 99.8% limits...'

Each unit's value (a proportion, an indirectly standardised ratio O/E, or a
rate) is plotted against its precision (denominator or expected count) with
Spiegelhalter (2005) control limits around the centre line (the pooled
average, 1 for ratios, or a given target) at 95% and 99.8%.
Overdispersion — more spread between units than chance alone explains, as
is usual with GP data — can widen the limits multiplicatively (φ) or
additively (a random-effects τ², DerSimonian–Laird, as in the SHMI method).

Choices (see docs/funnel.md):

* ``data_type``: ``'proportion'`` (numerator events out of denominator
  people; target Σnumerator/Σdenominator), ``'ratio'`` (observed/expected;
  target 1) or ``'rate'`` (events per unit of denominator, e.g. per patient
  year; target Σnumerator/Σdenominator, treated as a Poisson ratio to it).
* ``method``: ``'exact'`` (binomial with Spiegelhalter's interpolation, or
  exact Poisson) or ``'normal'`` (normal approximation on ``scale``).
* ``scale``: where z-scores, overdispersion and normal limits are worked out:
  ``'identity'`` or ``'arcsine'`` for proportions, ``'log'`` (SHMI) or
  ``'sqrt'`` (Spiegelhalter/CQC) for ratios and rates.
* ``trim``: ``'winsorise'`` or ``'truncate'`` (SHMI) the top and bottom
  ``winsorise`` fraction of z-scores before estimating φ.

Overdispersion is applied only when φ > 1 (and, with ``dispersion_alpha``,
only when the χ² test finds it at that level). Points on a limit are inside it.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from qiloop.csv_safety import frame_to_csv
from qiloop.errors import InputError
from qiloop.spc.funnel_dispersion import TRIM_METHODS, estimate_dispersion, truncate, winsorise
from qiloop.spc.funnel_limits import (
    PROPORTION_SCALES,
    RATIO_SCALES,
    FloatArray,
    LimitModel,
    Scale,
    level_key,
    level_label,
)

DATA_TYPES: tuple[str, ...] = ("proportion", "ratio", "rate")
METHODS: tuple[str, ...] = ("exact", "normal")
OVERDISPERSION: tuple[str, ...] = ("none", "multiplicative", "additive")


@dataclass(frozen=True)
class FunnelSummary:
    """Whole-plot figures. ``target`` and the limits are on the plotted scale (× ``multiplier``)."""

    data_type: str
    method: str
    scale: str
    target: float
    multiplier: float
    limits: tuple[float, ...]
    overdispersion: str  # what was asked for
    overdispersion_applied: bool  # False when none was asked for or φ ≤ 1
    phi: float
    tau2: float
    dispersion_p_value: float
    trim: str
    trim_fraction: float
    n_units: int
    n_trimmed: int
    n_outside: dict[str, int]  # level label ('99.8%') -> units outside it
    n_above: int  # outside the widest limits, above
    n_below: int
    unit_name: str
    sentence: str
    notes: list[str] = field(default_factory=list)
    centre_label: str = "target"  # what the centre line is called: "target", "pooled average", "network average"
    dispersion_alpha: float | None = None  # when set, φ > 1 is adjusted for only if the χ² test's p is below it
    rounding: float = 0.0  # the rounding variance of each published count allowed for in the standard errors


@dataclass(frozen=True)
class FunnelResult:
    """Per-unit table (:attr:`units`), the summary, and the limit recipe for drawing curves."""

    units: pd.DataFrame
    summary: FunnelSummary
    model: LimitModel
    target_raw: float  # θ0 before the multiplier

    def limits_curve(self, denominators: Sequence[float] | np.ndarray | None = None, points: int = 200) -> pd.DataFrame:
        """Limits at each denominator (default: a grid spanning the units' denominators), for drawing.

        Columns: ``denominator``, ``lower_<level>``/``upper_<level>`` (the limits
        in use) and ``lower_<level>_unadjusted``/``upper_<level>_unadjusted``.
        """
        if denominators is None:
            grid = _default_grid(self.units["denominator"].to_numpy(dtype=float), points, self.model)
        else:
            grid = np.asarray(denominators, dtype=float)
        table = pd.DataFrame({"denominator": grid})
        for name, values in _limit_columns(self.model, grid, self.target_raw, self.summary).items():
            table[name] = values
        return table

    @property
    def levels(self) -> tuple[float, ...]:
        return self.summary.limits

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"summary": {...}, "units": [{...}, ...]}`` (NaN becomes null)."""
        summary = {f.name: getattr(self.summary, f.name) for f in dataclasses.fields(self.summary)}
        units = [{k: _json_value(v) for k, v in row.items()} for row in self.units.to_dict("records")]
        return {"summary": _json_value(summary), "units": units}

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def units_csv(self) -> str:
        """The per-unit table as CSV text."""
        return str(frame_to_csv(self.units, lineterminator="\n"))


def funnel(
    numerator: Sequence[float] | np.ndarray | pd.Series,
    denominator: Sequence[float] | np.ndarray | pd.Series,
    *,
    labels: Sequence[Any] | None = None,
    data_type: str = "proportion",
    method: str = "exact",
    scale: str | None = None,
    limits: Sequence[float] = (0.95, 0.998),
    overdispersion: str = "none",
    winsorise: float = 0.1,
    trim: str = "winsorise",
    target: float | None = None,
    multiplier: float = 1.0,
    unit_name: str = "units",
    dispersion_alpha: float | None = None,
    centre_label: str | None = None,
    rounding: float = 0.0,
) -> FunnelResult:
    """Funnel-plot statistics for units with ``numerator`` events out of ``denominator``.

    ``denominator`` is the number of people (proportions), the expected count
    (ratios) or the exposure (rates). ``target`` defaults to the pooled value
    (proportions, rates) or 1 (ratios), before ``multiplier``. The centre line
    is called ``centre_label`` in the sentence and the charts (default: "target"
    when one is given, else "pooled average" or, for ratios, "expected ratio
    of 1"). With ``dispersion_alpha`` (e.g. 0.05) the overdispersion adjustment
    is applied only when the χ² test finds overdispersion at that level, not
    merely φ > 1. ``rounding`` (e.g. 2.0 for counts published rounded to the
    nearest 5: errors −2 to 2, variance 2) adds the variance rounding puts
    into each published value to every standard error, so z-scores, φ and the
    limits allow for it; it needs ``method='normal'``. Returns a
    :class:`FunnelResult`; raises :class:`~qiloop.errors.InputError` for bad
    input, naming the unit (1-based position and label).
    """
    _check_choices(data_type, method, scale, overdispersion, trim, limits, winsorise, multiplier)
    if rounding < 0:
        raise InputError(f"rounding must be a variance of 0 or more, such as 2 for counts rounded to 5; got {rounding}")
    if rounding and method == "exact":
        raise InputError("rounding needs normal-approximation limits", hint="use method='normal' with rounding")
    if dispersion_alpha is not None and not 0 < dispersion_alpha < 1:
        raise InputError(f"dispersion_alpha must be a level between 0 and 1, such as 0.05; got {dispersion_alpha}")
    num = _as_float_array(numerator, "numerator")
    den = _as_float_array(denominator, "denominator")
    if len(num) != len(den):
        raise InputError(f"numerator has {len(num)} values but denominator has {len(den)}")
    names = [str(v) for v in labels] if labels is not None else [str(i + 1) for i in range(len(num))]
    if len(names) != len(num):
        raise InputError(f"labels has {len(names)} values but there are {len(num)} units")
    _check_values(num, den, names, data_type, method)
    if len(num) < 2:
        raise InputError(f"a funnel plot needs at least 2 units; got {len(num)}")

    theta = _target(num, den, data_type, target)
    scale_name = scale or ("identity" if data_type == "proportion" else "log")
    base = Scale(
        scale_name,
        theta if data_type == "proportion" else 1.0,
        rounding=rounding,
        count_ratio=1.0 if data_type == "ratio" else theta,
    )
    size = den if data_type == "proportion" else theta * den  # n, or the expected count under the target
    relative = num / den if data_type == "proportion" else num / size  # value on the limits' own scale

    z = _z_scores(base, num, relative, size)
    trimmed = winsorise_or_truncate(z, trim, winsorise)
    dispersion = estimate_dispersion(trimmed.z, base.standard_error(size))
    significant = dispersion_alpha is None or (
        not math.isnan(dispersion.p_value) and dispersion.p_value < dispersion_alpha
    )
    applied = overdispersion != "none" and dispersion.phi > 1 and significant
    model = LimitModel(
        kind="proportion" if data_type == "proportion" else "ratio",
        method=method,
        scale=base,
        adjustment=overdispersion if applied else "none",
        phi=dispersion.phi,
        tau2=dispersion.tau2 if overdispersion == "additive" else 0.0,
    )
    notes = _notes(overdispersion, applied, dispersion, dispersion_alpha, num, data_type, scale_name)

    value = (num / den) * multiplier
    units = pd.DataFrame(
        {
            "label": names,
            "numerator": num,
            "denominator": den,
            "value": value,
            "expected": theta * den,
            "z": z,
            "z_trimmed": trimmed.z,
            "trimmed": trimmed.touched,
            "z_adjusted": _adjusted_z(model, z, base.standard_error(size)),
        }
    )
    levels = tuple(sorted(float(v) for v in limits))
    provisional = _provisional_summary(data_type, method, scale_name, theta, multiplier, levels, overdispersion)
    for name, values in _limit_columns(model, den, theta, provisional).items():
        units[name] = values
    n_outside: dict[str, int] = {}
    for level in levels:
        key = level_key(level)
        outside = outside_limits(value, units[f"lower_{key}"].to_numpy(), units[f"upper_{key}"].to_numpy())
        units[f"outside_{key}"] = outside
        n_outside[level_label(level)] = int(outside.sum())
    widest = level_key(levels[-1])
    above = value > units[f"upper_{widest}"].to_numpy()
    below = value < units[f"lower_{widest}"].to_numpy()
    units["signal"] = np.where(above, "high", np.where(below, "low", ""))

    summary = dataclasses.replace(
        provisional,
        overdispersion_applied=applied,
        phi=dispersion.phi,
        tau2=model.tau2,
        dispersion_p_value=dispersion.p_value,
        trim=trim,
        trim_fraction=winsorise,
        n_units=len(num),
        n_trimmed=int(trimmed.touched.sum()),
        n_outside=n_outside,
        n_above=int(above.sum()),
        n_below=int(below.sum()),
        unit_name=unit_name,
        notes=notes,
        centre_label=centre_label or _default_centre(data_type, target),
        dispersion_alpha=dispersion_alpha,
        rounding=rounding,
    )
    summary = dataclasses.replace(summary, sentence=funnel_sentence(summary))
    return FunnelResult(units=units, summary=summary, model=model, target_raw=theta)


def outside_limits(value: Any, lower: Any, upper: Any) -> np.ndarray:
    """True where a value lies strictly outside its limits: a point on a limit is in control."""
    return np.asarray((np.asarray(value) < lower) | (np.asarray(value) > upper), dtype=bool)


def winsorise_or_truncate(z: FloatArray, trim: str, fraction: float) -> Any:
    """Apply the chosen trimming to z-scores (see :mod:`qiloop.spc.funnel_dispersion`)."""
    return truncate(z, fraction) if trim == "truncate" else winsorise(z, fraction)


def funnel_sentence(summary: FunnelSummary) -> str:
    """A plain-English reading of the funnel that never ranks the units, naming the centre line and any adjustment."""
    widest = level_label(summary.limits[-1])
    outside = summary.n_above + summary.n_below
    units = summary.unit_name
    centre = summary.centre_label
    if outside == 0:
        text = (
            f"All {summary.n_units} {units} lie within the {widest} limits: "
            f"the differences between them are in line with chance variation around the {centre}."
        )
    else:
        verb = "lies" if outside == 1 else "lie"
        parts = []
        if summary.n_above:
            parts.append(f"{summary.n_above} above")
        if summary.n_below:
            parts.append(f"{summary.n_below} below")
        text = (
            f"{outside} of {summary.n_units} {units} {verb} outside the {widest} limits ({', '.join(parts)}): "
            "worth a conversation about why, not a league table."
        )
    adjustment = adjustment_words(summary)
    return f"{text} {adjustment}" if adjustment else text


def adjustment_words(summary: FunnelSummary) -> str:
    """One sentence on overdispersion: which adjustment widened the limits, or why none did ("" when none asked)."""
    if summary.overdispersion_applied:
        test = _test_words(summary)
        if summary.overdispersion == "additive":
            return (
                f"Limits are widened for overdispersion by an additive random-effects term "
                f"(Spiegelhalter; φ = {summary.phi:.2f}, τ² = {summary.tau2:.3g}{test})."
            )
        return f"Limits are widened for overdispersion by a multiplicative factor (Spiegelhalter; φ = {summary.phi:.2f}{test})."
    if summary.overdispersion == "none" or math.isnan(summary.phi):
        return ""
    if summary.phi <= 1:
        return f"Limits are not widened: no overdispersion (φ = {summary.phi:.2f})."
    return f"Limits are not widened: no significant overdispersion (φ = {summary.phi:.2f}{_test_words(summary)})."


def _test_words(summary: FunnelSummary) -> str:
    p = summary.dispersion_p_value
    if summary.dispersion_alpha is None or math.isnan(p):
        return ""
    return ", χ² test p < 0.001" if p < 0.001 else f", χ² test p = {p:.2g}"


# -- helpers -----------------------------------------------------------------


def _check_choices(
    data_type: str,
    method: str,
    scale: str | None,
    overdispersion: str,
    trim: str,
    limits: Sequence[float],
    fraction: float,
    multiplier: float,
) -> None:
    _one_of("data_type", data_type, DATA_TYPES)
    _one_of("method", method, METHODS)
    _one_of("overdispersion", overdispersion, OVERDISPERSION)
    _one_of("trim", trim, TRIM_METHODS)
    if scale is not None:
        _one_of("scale", scale, PROPORTION_SCALES if data_type == "proportion" else RATIO_SCALES)
    if not limits or any(not 0 < float(v) < 1 for v in limits):
        raise InputError(f"limits must be levels between 0 and 1, such as (0.95, 0.998); got {tuple(limits)}")
    if not 0 <= fraction < 0.5:
        raise InputError(f"winsorise must be a fraction in [0, 0.5); got {fraction}")
    if not multiplier > 0:
        raise InputError(f"multiplier must be positive; got {multiplier}")


def _one_of(name: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise InputError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _as_float_array(values: Any, name: str) -> FloatArray:
    try:
        return np.asarray(pd.to_numeric(pd.Series(list(values)), errors="raise"), dtype=float)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name} must be numbers: {exc}") from None


def _check_values(num: FloatArray, den: FloatArray, names: list[str], data_type: str, method: str) -> None:
    for i, (o, n) in enumerate(zip(num, den, strict=True)):
        where = f"unit {i + 1} ({names[i]})"
        if math.isnan(o) or math.isnan(n):
            raise InputError(f"{where}: numerator and denominator must both be given")
        if n <= 0:
            raise InputError(f"{where}: denominator must be positive; got {n:g}", hint="leave out units with none")
        if o < 0:
            raise InputError(f"{where}: numerator must not be negative; got {o:g}")
        if data_type == "proportion" and o > n:
            raise InputError(f"{where}: numerator {o:g} is larger than denominator {n:g} for a proportion")
        if data_type == "proportion" and method == "exact" and n != round(n):
            raise InputError(
                f"{where}: exact binomial limits need whole-number denominators; got {n:g}",
                hint="use method='normal' for non-integer denominators",
            )


def _target(num: FloatArray, den: FloatArray, data_type: str, target: float | None) -> float:
    pooled = 1.0 if data_type == "ratio" else float(num.sum() / den.sum())
    theta = pooled if target is None else float(target)
    if data_type == "proportion" and not 0 < theta < 1:
        raise InputError(
            f"the target proportion must be strictly between 0 and 1; got {theta:g}",
            hint="with no events (or only events) in every unit there is nothing to compare",
        )
    if data_type != "proportion" and not theta > 0:
        raise InputError(f"the target {data_type} must be positive; got {theta:g}", hint="there are no events")
    return theta


def _z_scores(scale: Scale, num: FloatArray, relative: FloatArray, size: FloatArray) -> FloatArray:
    value = relative
    if scale.name == "log":
        # log(0) is -inf: a zero count gets half an event so its z-score stays finite.
        value = np.where(num > 0, relative, 0.5 / size)
    return np.asarray((scale.forward(value) - scale.target) / scale.standard_error(size), dtype=float)


def _adjusted_z(model: LimitModel, z: FloatArray, s: FloatArray) -> FloatArray:
    if model.adjustment == "multiplicative":
        return np.asarray(z / math.sqrt(model.phi), dtype=float)
    if model.adjustment == "additive":
        return np.asarray(z * s / np.sqrt(s**2 + model.tau2), dtype=float)
    return z


def _limit_columns(model: LimitModel, den: FloatArray, theta: float, summary: FunnelSummary) -> dict[str, FloatArray]:
    size = den if model.kind == "proportion" else theta * den
    to_plot = summary.multiplier * (1.0 if model.kind == "proportion" else theta)
    columns: dict[str, FloatArray] = {}
    for level in summary.limits:
        key = level_key(level)
        low, high = model.adjusted(size, level)
        columns[f"lower_{key}"] = low * to_plot
        columns[f"upper_{key}"] = high * to_plot
    for level in summary.limits:
        key = level_key(level)
        low, high = model.unadjusted(size, level)
        columns[f"lower_{key}_unadjusted"] = low * to_plot
        columns[f"upper_{key}_unadjusted"] = high * to_plot
    return columns


def _provisional_summary(
    data_type: str, method: str, scale: str, theta: float, multiplier: float, levels: tuple[float, ...], od: str
) -> FunnelSummary:
    return FunnelSummary(
        data_type=data_type,
        method=method,
        scale=scale,
        target=theta * multiplier,
        multiplier=multiplier,
        limits=levels,
        overdispersion=od,
        overdispersion_applied=False,
        phi=math.nan,
        tau2=0.0,
        dispersion_p_value=math.nan,
        trim="winsorise",
        trim_fraction=0.0,
        n_units=0,
        n_trimmed=0,
        n_outside={},
        n_above=0,
        n_below=0,
        unit_name="units",
        sentence="",
    )


def _default_centre(data_type: str, target: float | None) -> str:
    if target is not None:
        return "target"
    return "expected ratio of 1" if data_type == "ratio" else "pooled average"


def _notes(
    od: str,
    applied: bool,
    dispersion: Any,
    alpha: float | None,
    num: FloatArray,
    data_type: str,
    scale: str,
) -> list[str]:
    notes = []
    phi, p_value = dispersion.phi, dispersion.p_value
    if od != "none" and not applied:
        if phi <= 1 or math.isnan(phi):
            notes.append(f"No overdispersion found (φ = {phi:.2f} ≤ 1): the unadjusted limits are used.")
        else:
            notes.append(
                f"No significant overdispersion (φ = {phi:.2f}, χ² test p = {p_value:.2g} ≥ {alpha:g}): "
                "the unadjusted limits are used."
            )
    if data_type != "proportion" and scale == "log" and bool((num == 0).any()):
        notes.append("Units with no events were given half an event for their log-scale z-score.")
    return notes


def _default_grid(den: FloatArray, points: int, model: LimitModel) -> FloatArray:
    low = max(float(den.min()) * 0.8, 1e-9)
    high = float(den.max()) * 1.1
    grid = np.geomspace(low, high, points)
    if model.kind == "proportion" and model.method == "exact":
        grid = np.unique(np.maximum(np.round(grid), 1.0))
    return np.asarray(grid, dtype=float)


def _json_value(value: Any) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) or math.isinf(float(value)) else float(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value
