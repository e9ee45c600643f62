"""``spc()``: one chart from a series, with every intermediate value."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from qiloop.errors import InputError
from qiloop.spc import limits, rules, signals, validate
from qiloop.spc.profiles import RuleProfile, get_profile
from qiloop.spc.result import POINT_COLUMNS, PhaseSummary, SpcResult, SpcSummary
from qiloop.spc.sentence import describe

FloatArray = NDArray[np.float64]

CHART_ALIASES = {
    "i": "xmr",
    "individuals": "xmr",
    "p'": "pp",
    "u'": "up",
    "i'": "ip",
    "p_prime": "pp",
    "u_prime": "up",
    "i_prime": "ip",
}
NO_ASSURANCE_CHARTS = frozenset({"run", "t", "g", "mr"})


def _subgroups(y: FloatArray, x: Sequence[Any]) -> tuple[list[Any], FloatArray, FloatArray, FloatArray, FloatArray]:
    """Group raw observations by x (in order of first appearance): labels, mean, sd, size, sum."""
    frame = pd.DataFrame({"x": list(x), "y": y})
    grouped = frame.groupby("x", sort=False)["y"]
    labels = list(grouped.groups.keys())
    order = pd.unique(frame["x"])
    stats = grouped.agg(["mean", "std", "count", "sum"]).reindex(order)
    labels = list(order)
    return (
        labels,
        stats["mean"].to_numpy(float),
        stats["std"].to_numpy(float),
        stats["count"].to_numpy(float),
        stats["sum"].to_numpy(float),
    )


def _phase_ids(n: int, split_at: list[int]) -> NDArray[np.int64]:
    phase = np.zeros(n, dtype=np.int64)
    for position in split_at:
        phase[position:] += 1
    return phase


def spc(
    y: Iterable[Any],
    *,
    x: Sequence[Any] | None = None,
    n: Iterable[Any] | None = None,
    chart: str = "xmr",
    profile: str | RuleProfile = "mdc",
    improvement: str = "neither",
    target: float | None = None,
    splits: Iterable[Any] | None = None,
    freeze: int | None = None,
    exclude: Iterable[int] | None = None,
    measure_name: str | None = None,
    multiply: float = 1.0,
    subgroup_sd: Iterable[Any] | None = None,
    allow_missing: bool = False,
    bounds: tuple[float | None, float | None] | None = None,
    **profile_overrides: Any,
) -> SpcResult:
    """Compute a control chart or run chart and read its signals.

    ``y`` – values (counts for C/P/U charts, with denominators ``n``; raw observations
    grouped by ``x`` for Xbar/S charts, or subgroup means with ``n`` sizes and
    ``subgroup_sd``). ``chart`` – ``run, xmr (i), mr, c, p, pp, u, up, ip, g, t, xbar, s``.
    ``profile`` – ``mdc`` (default), ``qicharts2`` or ``plotthedots``; any
    :class:`~qiloop.spc.profiles.RuleProfile` field can be overridden by keyword
    (``shift_length=7``). ``improvement`` – ``up``, ``down`` or ``neither``.
    ``splits`` – x values where a new phase starts; ``freeze`` – the limits of the
    first phase come from its first ``freeze`` points; ``exclude`` – 0-based points
    left out of every calculation (still plotted). ``multiply`` scales ratios
    (e.g. 100 for percentages). ``bounds`` – ``(lower, upper)`` the plotted values can
    never pass (``(0, 100)`` for percentages, ``(0, None)`` for counts and rates): limits
    and 2σ lines are clipped to them, so no chart shows a limit that cannot be reached.

    >>> result = spc([5, 6, 5, 7, 6, 5, 6, 7, 5, 6, 6, 5, 7, 6], improvement="up")
    >>> round(result.summary.phases[0].cl, 3)
    5.857
    """
    chart = CHART_ALIASES.get(chart.lower(), chart.lower())
    if chart not in limits.CHARTS or chart == "i":
        raise InputError(f"unknown chart type {chart!r}", hint=f"choose one of: {', '.join(limits.CHARTS)}")
    if improvement not in signals.FAVOURABLE:
        raise InputError(f"improvement must be 'up', 'down' or 'neither', not {improvement!r}")
    rule_profile = get_profile(profile, **profile_overrides)
    values = validate.as_numbers(y, "y", allow_missing=allow_missing)
    labels: list[Any] = list(x) if x is not None else list(range(1, values.size + 1))
    grouped = chart in limits.SUBGROUP_CHARTS and subgroup_sd is None
    validate.check_x(labels, values.size, grouped=grouped)
    dates = validate.as_dates(labels)
    if dates is not None:
        labels = list(dates)

    numerator = np.full(values.size, np.nan)
    denominator = np.full(values.size, np.nan)
    sd = size = None
    if chart in limits.SUBGROUP_CHARTS:
        if subgroup_sd is not None:
            if n is None:
                raise InputError("subgroup_sd needs n: the size of each subgroup")
            sd = validate.as_numbers(subgroup_sd, "subgroup_sd", allow_missing=allow_missing)
            size = validate.as_numbers(n, "n", allow_missing=allow_missing)
            if sd.size != values.size or size.size != values.size:
                raise InputError("y, n and subgroup_sd must have one value per subgroup")
            means = values
        else:
            labels, means, sd, size, _ = _subgroups(values, labels)
        numerator = np.full(size.size, np.nan)
        denominator = size
        plotted = means if chart == "xbar" else sd
    elif chart in limits.RATIO_CHARTS:
        if n is None:
            raise InputError(f"a {chart.upper()} chart needs denominators: pass n=[...]")
        denominator = validate.as_numbers(n, "n", allow_missing=allow_missing)
        if denominator.size != values.size:
            raise InputError(f"n has {denominator.size} values but y has {values.size}")
        validate.check_counts(chart, values if chart != "ip" else np.abs(values), denominator)
        numerator = values
        with np.errstate(invalid="ignore", divide="ignore"):
            plotted = values / denominator
    else:
        if n is not None:
            raise InputError(f"a {chart} chart takes no denominators; use chart='p' or 'u' for ratios")
        if chart in ("c", "g"):
            validate.check_counts(chart, values, None)
        if chart == "t":
            validate.check_positive(values[~np.isnan(values)], "y")
        plotted = values
    count = plotted.size
    if count < validate.MIN_POINTS:
        raise InputError(f"a chart needs at least {validate.MIN_POINTS} points; got {count}")

    if chart == "mr":
        raw = plotted
        plotted = np.concatenate([[np.nan], np.abs(np.diff(raw))])

    split_at = validate.split_positions(splits, labels)
    phase = _phase_ids(count, split_at)
    excluded = np.zeros(count, dtype=bool)
    excluded[validate.check_indices(exclude, count, "exclude")] = True
    first_phase_length = int(np.count_nonzero(phase == 0))
    if freeze is not None:
        if isinstance(freeze, bool) or not isinstance(freeze, (int, np.integer)) or not freeze >= 2:
            raise InputError(f"freeze must be a number of points (2 or more), not {freeze!r}")
        if freeze > first_phase_length:
            raise InputError(
                f"freeze={freeze} but the first phase has only {first_phase_length} points",
                hint="freeze the baseline within the first phase",
            )
    position_in_phase = np.arange(count) - np.searchsorted(phase, phase, side="left")
    baseline = ~((phase == 0) & (freeze is not None) & (position_in_phase >= (freeze or 0)))
    included = ~excluded

    lines = {name: np.full(count, np.nan) for name in ("cl", "lcl", "ucl", "lcl_2s", "ucl_2s")}
    for p in range(int(phase.max()) + 1):
        idx = np.flatnonzero(phase == p)
        base = (included & baseline)[idx]
        if chart == "run":
            pl = limits.run_lines(plotted[idx], base)
        elif chart == "xmr":
            pl = limits.xmr_lines(plotted[idx], base, rule_profile)
        elif chart == "mr":
            pl = limits.mr_lines(plotted[idx], base & (position_in_phase[idx] > 0), rule_profile)
        elif chart == "c":
            pl = limits.c_lines(plotted[idx], base, rule_profile)
        elif chart == "ip":
            pl = limits.ip_lines(numerator[idx], denominator[idx], base, rule_profile)
        elif chart in limits.RATIO_CHARTS:
            pl = limits.ratio_lines(chart, numerator[idx], denominator[idx], base, rule_profile)
        elif chart == "g":
            pl = limits.g_lines(plotted[idx], base, rule_profile)
        elif chart == "t":
            pl = limits.t_lines(plotted[idx], base, rule_profile)
        elif chart == "xbar":
            assert sd is not None and size is not None
            pl = limits.xbar_lines(plotted[idx], sd[idx], size[idx], base, rule_profile)
        else:
            assert size is not None
            pl = limits.s_lines(plotted[idx], size[idx], base, rule_profile)
        for name in lines:
            lines[name][idx] = getattr(pl, name)
    if not rule_profile.two_sigma_lines:
        lines["lcl_2s"][:] = np.nan
        lines["ucl_2s"][:] = np.nan

    plotted = plotted * multiply
    for name in lines:
        lines[name] = lines[name] * multiply
    if bounds is not None:
        _clip_lines(lines, bounds)

    usable = included & ~np.isnan(plotted)
    n_usable = int(np.count_nonzero(usable))
    notes: list[str] = []
    enough = n_usable >= rule_profile.min_points_for_limits
    if not enough:
        for name in ("lcl", "ucl", "lcl_2s", "ucl_2s"):
            lines[name][:] = np.nan
        notes.append(
            f"Limits, rules and icons not shown: {n_usable} points, fewer than "
            f"{rule_profile.min_points_for_limits} (profile {rule_profile.name})"
        )

    above, below = rules.outside_flags(plotted, lines["lcl"], lines["ucl"])
    sigma_signal = above | below

    if rule_profile.rules_cross_phases:
        segments = [np.flatnonzero(usable)]
    else:
        segments = [np.flatnonzero(usable & (phase == p)) for p in range(int(phase.max()) + 1)]
    if not enough:
        segments = []
    hits = signals.evaluate_rules(
        plotted, lines["cl"], lines["lcl"], lines["ucl"], lines["lcl_2s"], lines["ucl_2s"], segments, rule_profile
    )
    direction, special = signals.point_directions(hits, rule_profile, improvement)
    variation = signals.variation_labels(direction, special, improvement)
    rule_text = signals.rule_labels(hits)

    mr = np.full(count, np.nan)
    for p in range(int(phase.max()) + 1):
        idx = np.flatnonzero(phase == p)
        source = plotted if chart != "mr" else raw[idx] * multiply
        seq = source[idx] if chart != "mr" else source
        if idx.size > 1:
            mr[idx[1:]] = np.abs(np.diff(seq))

    points = pd.DataFrame(
        {
            "x": labels,
            "y": plotted,
            "numerator": numerator,
            "denominator": denominator,
            **lines,
            "mr": mr,
            "phase": phase,
            "excluded": excluded,
            "sigma_signal": sigma_signal,
            "rule": rule_text,
            "variation": variation,
        },
        columns=list(POINT_COLUMNS),
    )

    phases: list[PhaseSummary] = []
    runs_by_phase = []
    for p in range(int(phase.max()) + 1):
        idx = np.flatnonzero(phase == p)
        use = idx[usable[idx]]
        runs = rules.anhoej_runs(plotted[use], lines["cl"][use])
        runs_by_phase.append(runs)
        first = idx[0]
        phases.append(
            PhaseSummary(
                phase=p,
                start_x=labels[first],
                n=int(idx.size),
                cl=_opt(lines["cl"][first]),
                lcl=_opt(lines["lcl"][first]),
                ucl=_opt(lines["ucl"][first]),
                lcl_2s=_opt(lines["lcl_2s"][first]),
                ucl_2s=_opt(lines["ucl_2s"][first]),
                baseline_points=int(freeze) if (p == 0 and freeze is not None) else None,
                n_useful=int(runs["n_useful"]),
                longest_run=int(runs["longest_run"]),
                longest_run_max=int(runs["longest_run_max"]),
                n_crossings=int(runs["n_crossings"]),
                n_crossings_min=int(runs["n_crossings_min"]),
                runs_signal=bool(runs["runs_signal"]),
            )
        )
    last_runs = runs_by_phase[-1]

    usable_idx = np.flatnonzero(usable)
    v_icon: str | None = None
    a_icon: str | None = None
    if enough and usable_idx.size:
        last = usable_idx[-1]
        v_icon = signals.variation_icon(variation[last], int(direction[last]), improvement)
        if target is not None and chart not in NO_ASSURANCE_CHARTS:
            a_icon = signals.assurance_icon(
                float(target),
                float(lines["lcl"][last]),
                float(lines["ucl"][last]),
                improvement,
                inclusive=rule_profile.assurance_inclusive,
            )
    if target is not None and improvement == "neither":
        notes.append("No assurance icon: the improvement direction is 'neither'")
    if target is not None and chart in NO_ASSURANCE_CHARTS:
        notes.append(f"No assurance icon for a {chart} chart")

    summary = SpcSummary(
        chart=chart,
        profile=rule_profile.name,
        n=count,
        n_useful=int(sum(int(r["n_useful"]) for r in runs_by_phase)),
        longest_run=int(last_runs["longest_run"]),
        longest_run_max=int(last_runs["longest_run_max"]),
        n_crossings=int(last_runs["n_crossings"]),
        n_crossings_min=int(last_runs["n_crossings_min"]),
        runs_signal=any(bool(r["runs_signal"]) for r in runs_by_phase),
        sigma_signal=bool(np.any(sigma_signal & usable)),
        variation_icon=v_icon,
        assurance_icon=a_icon,
        improvement=improvement,
        target=None if target is None else float(target),
        sentence="",
        phases=phases,
        notes=notes,
    )
    sentence = describe(points, summary, measure_name=measure_name, enough_points=enough)
    summary = SpcSummary(**{**summary.__dict__, "sentence": sentence})
    return SpcResult(points=points, summary=summary)


def _clip_lines(lines: dict[str, FloatArray], bounds: tuple[float | None, float | None]) -> None:
    """Clip every limit and 2σ line (not the centre line) to what the plotted values can reach.

    Signals are unchanged: a value inside the bounds is never beyond a line that was outside them.
    """
    lower, upper = bounds
    if lower is not None and upper is not None and lower > upper:
        raise InputError(f"bounds must be (lower, upper) with lower <= upper, not {bounds!r}")
    for name in ("lcl", "ucl", "lcl_2s", "ucl_2s"):
        line = lines[name]
        with np.errstate(invalid="ignore"):
            if lower is not None:
                line[line < lower] = lower
            if upper is not None:
                line[line > upper] = upper


def _opt(value: float) -> float | None:
    return None if np.isnan(value) else float(value)
