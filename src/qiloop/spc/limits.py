"""Centre lines and limits of each chart type, for one phase.

Each function takes the phase's values and a boolean ``base`` mask (points the
limits are computed from: included, not missing, within the frozen baseline)
and returns per-point arrays ``cl, lcl, ucl, lcl_2s, ucl_2s``. Formulas follow
qicharts2 (domain notes §12.3); the XmR constant and moving-range screening
come from the :class:`~qiloop.spc.profiles.RuleProfile`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from qiloop.spc.profiles import RuleProfile

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

D2 = 1.128  # expected range of two normal observations in σ units: σ = mean MR / d2
D4 = 3.267  # upper limit of a moving-range chart: UCL = D4 × mean MR
T_CHART_POWER = 3.6  # Nelson's transform of times between events: y ** (1 / 3.6) is near normal
G_MEDIAN_FACTOR = 0.693  # ln 2: the median of a geometric distribution ≈ 0.693 × its mean (MDC G chart)

CHARTS: tuple[str, ...] = ("run", "xmr", "i", "mr", "c", "u", "up", "p", "pp", "ip", "g", "t", "xbar", "s")
RATIO_CHARTS = frozenset({"p", "pp", "u", "up", "ip"})
SUBGROUP_CHARTS = frozenset({"xbar", "s"})


@dataclass(frozen=True)
class PhaseLines:
    """Per-point lines of one phase."""

    cl: FloatArray
    lcl: FloatArray
    ucl: FloatArray
    lcl_2s: FloatArray
    ucl_2s: FloatArray


def _full(n: int, value: float) -> FloatArray:
    return np.full(n, value, dtype=float)


def _nanmean(values: FloatArray) -> float:
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float("nan")


def mean_moving_range(values: FloatArray, *, screening: bool, screen_constant: float = D4) -> float:
    """Mean of |Δvalues| (moving ranges next to a missing value are skipped).

    With ``screening``, moving ranges at or above ``screen_constant`` × the mean are
    dropped and the mean recomputed once (qicharts2, NHSRplotthedots).
    """
    mr = np.abs(np.diff(values))
    mr = mr[~np.isnan(mr)]
    if mr.size == 0:
        return float("nan")
    amr = float(mr.mean())
    if screening:
        keep = mr < screen_constant * amr
        # summed with zeros in place of the dropped ranges, exactly as the batch path does
        amr = float(np.where(keep, mr, 0.0).sum() / keep.sum()) if keep.any() else float("nan")
    return amr


def _lines(cl: FloatArray, sigma: FloatArray, k: float, lower: float | None, upper: float | None) -> PhaseLines:
    with np.errstate(invalid="ignore"):
        lines = [cl - k * sigma, cl + k * sigma, cl - 2 * sigma, cl + 2 * sigma]
        if lower is not None:
            lines = [np.where(line < lower, lower, line) for line in lines]
        if upper is not None:
            lines = [np.where(line > upper, upper, line) for line in lines]
    return PhaseLines(cl=cl, lcl=lines[0], ucl=lines[1], lcl_2s=lines[2], ucl_2s=lines[3])


def xmr_lines(y: FloatArray, base: BoolArray, profile: RuleProfile) -> PhaseLines:
    """Individuals: CL = mean, σ = (xmr_constant / 3) × mean MR of the base points."""
    n = y.size
    cl = _nanmean(y[base])
    amr = mean_moving_range(y[base], screening=profile.mr_screening, screen_constant=profile.mr_screen_constant)
    sigma = profile.xmr_constant / 3 * amr
    return _lines(_full(n, cl), _full(n, sigma), profile.sigma_multiplier, None, None)


def mr_lines(mr: FloatArray, base: BoolArray, profile: RuleProfile) -> PhaseLines:
    """Moving-range chart: CL = mean MR, UCL = D4 × CL, LCL = 0; the upper 2σ line is
    (2/3) × D4 × CL (as qicharts2 and PowerBI-SPC draw it), the lower one 0."""
    n = mr.size
    cl = _nanmean(mr[base])
    ucl = D4 * cl * profile.sigma_multiplier / 3
    return PhaseLines(
        cl=_full(n, cl), lcl=_full(n, 0.0), ucl=_full(n, ucl), lcl_2s=_full(n, 0.0), ucl_2s=_full(n, 2 / 3 * D4 * cl)
    )


def run_lines(y: FloatArray, base: BoolArray) -> PhaseLines:
    """Run chart: CL = median, no limits."""
    n = y.size
    values = y[base & ~np.isnan(y)]
    cl = float(np.median(values)) if values.size else float("nan")
    nan = _full(n, float("nan"))
    return PhaseLines(cl=_full(n, cl), lcl=nan, ucl=nan.copy(), lcl_2s=nan.copy(), ucl_2s=nan.copy())


def c_lines(y: FloatArray, base: BoolArray, profile: RuleProfile) -> PhaseLines:
    """C chart: CL = mean count, σ = √CL, LCL ≥ 0."""
    cl = _nanmean(y[base])
    return _lines(_full(y.size, cl), _full(y.size, np.sqrt(cl)), profile.sigma_multiplier, 0.0, None)


def _laney_sigma_z(y: FloatArray, cl: float, sigma: FloatArray, base: BoolArray, profile: RuleProfile) -> float:
    z = (y[base] - cl) / sigma[base]
    return mean_moving_range(z, screening=profile.mr_screening, screen_constant=profile.mr_screen_constant) / D2


def ratio_lines(
    chart: str, numerator: FloatArray, denominator: FloatArray, base: BoolArray, profile: RuleProfile
) -> PhaseLines:
    """P, P′ (Laney), U and U′ charts: CL = Σnumerator / Σdenominator over the base points.

    P: σᵢ = √(CL(1 − CL)/nᵢ), limits clipped to [0, 1]; U: σᵢ = √(CL/nᵢ), LCL ≥ 0.
    P′/U′ multiply σᵢ by σ_z = mean MR of zᵢ = (yᵢ − CL)/σᵢ over d2 (screened as the profile says).
    """
    ok = base & ~np.isnan(numerator) & ~np.isnan(denominator)
    cl = float(numerator[ok].sum() / denominator[ok].sum()) if ok.any() else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        y = numerator / denominator
        sigma = np.sqrt(cl * (1 - cl) / denominator) if chart in ("p", "pp") else np.sqrt(cl / denominator)
        if chart in ("pp", "up"):
            sigma = sigma * _laney_sigma_z(y, cl, sigma, ok, profile)
    upper = 1.0 if chart in ("p", "pp") else None
    return _lines(_full(y.size, cl), sigma, profile.sigma_multiplier, 0.0, upper)


def ip_lines(numerator: FloatArray, denominator: FloatArray, base: BoolArray, profile: RuleProfile) -> PhaseLines:
    """I′ (Taylor's normalised individuals) chart for ratios yᵢ = numeratorᵢ/nᵢ with unequal nᵢ.

    CL = Σnumerator/Σn; sᵢ = √(π/2)·|yᵢ − yᵢ₋₁| / √(1/nᵢ₋₁ + 1/nᵢ) over the base points;
    σᵢ = mean(s)·√(1/nᵢ). The s values are not screened.
    """
    ok = base & ~np.isnan(numerator) & ~np.isnan(denominator)
    cl = float(numerator[ok].sum() / denominator[ok].sum()) if ok.any() else float("nan")
    y, n = numerator[ok] / denominator[ok], denominator[ok]
    s = np.sqrt(np.pi / 2) * np.abs(np.diff(y)) / np.sqrt(1 / n[:-1] + 1 / n[1:])
    sbar = float(s.mean()) if s.size else float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = sbar * np.sqrt(1 / denominator)
    return _lines(_full(numerator.size, cl), sigma, profile.sigma_multiplier, None, None)


def g_lines(y: FloatArray, base: BoolArray, profile: RuleProfile) -> PhaseLines:
    """G chart (cases between events): σ = √(ḡ(ḡ + 1)) with ḡ the mean; UCL = ḡ + 3σ, LCL = 0.

    The centre line shown is the median (qicharts2), 0.693 × ḡ (MDC) or ḡ, as the profile says.
    """
    values = y[base & ~np.isnan(y)]
    gbar = float(values.mean()) if values.size else float("nan")
    sigma = np.sqrt(gbar * (gbar + 1))
    lines = _lines(_full(y.size, gbar), _full(y.size, sigma), profile.sigma_multiplier, 0.0, None)
    if profile.g_centre == "median":
        centre = float(np.median(values)) if values.size else float("nan")
    elif profile.g_centre == "0.693_mean":
        centre = G_MEDIAN_FACTOR * gbar
    else:
        centre = gbar
    return PhaseLines(cl=_full(y.size, centre), lcl=lines.lcl, ucl=lines.ucl, lcl_2s=lines.lcl_2s, ucl_2s=lines.ucl_2s)


def t_lines(y: FloatArray, base: BoolArray, profile: RuleProfile) -> PhaseLines:
    """T chart (time between events): an I chart on y^(1/3.6), every line raised back to ^3.6.

    A negative line on the transformed scale becomes 0.
    """
    transformed = np.power(y, 1 / T_CHART_POWER)
    lines = xmr_lines(transformed, base, profile)

    def back(line: FloatArray) -> FloatArray:
        with np.errstate(invalid="ignore"):
            return np.where(line < 0, 0.0, np.power(np.maximum(line, 0.0), T_CHART_POWER))

    return PhaseLines(
        cl=back(lines.cl),
        lcl=back(lines.lcl),
        ucl=back(lines.ucl),
        lcl_2s=back(lines.lcl_2s),
        ucl_2s=back(lines.ucl_2s),
    )


def c4(n: FloatArray) -> FloatArray:
    """Bias-correction constant c4(n) = √(2/(n − 1)) · Γ(n/2) / Γ((n − 1)/2)."""
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(2 / (n - 1)) * np.exp(gammaln(n / 2) - gammaln((n - 1) / 2))


def _pooled_sd(sd: FloatArray, size: FloatArray, base: BoolArray) -> float:
    ok = base & ~np.isnan(sd) & (size > 1)
    if not ok.any():
        return float("nan")
    if np.unique(size[base]).size > 1:
        return float(np.sqrt(np.sum(sd[ok] ** 2 * (size[ok] - 1)) / np.sum(size[ok] - 1)))
    return float(sd[ok].mean())


def xbar_lines(mean: FloatArray, sd: FloatArray, size: FloatArray, base: BoolArray, profile: RuleProfile) -> PhaseLines:
    """Xbar chart: CL = Σnᵢȳᵢ/Σnᵢ, σᵢ = s̄ / (c4(nᵢ)√nᵢ), s̄ pooled when subgroup sizes vary."""
    ok = base & ~np.isnan(mean)
    cl = float(np.sum(size[ok] * mean[ok]) / np.sum(size[ok])) if ok.any() else float("nan")
    sbar = _pooled_sd(sd, size, base)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = sbar / (c4(size) * np.sqrt(size))
    return _lines(_full(mean.size, cl), sigma, profile.sigma_multiplier, None, None)


def s_lines(sd: FloatArray, size: FloatArray, base: BoolArray, profile: RuleProfile) -> PhaseLines:
    """S chart: CL = s̄, σᵢ = s̄·c5/c4 with c5 = √(1 − c4²); LCL ≥ 0 (B3/B4 limits)."""
    sbar = _pooled_sd(sd, size, base)
    c = c4(size)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = sbar * np.sqrt(1 - c**2) / c
    return _lines(_full(sd.size, sbar), sigma, profile.sigma_multiplier, 0.0, None)
