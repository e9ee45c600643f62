"""Control-limit formulas for funnel plots (Spiegelhalter 2005).

Two families of limits, for a unit with denominator ``n`` (proportions) or
expected count ``m`` under the target (ratios and rates):

* **exact** limits from the sampling distribution itself — binomial for
  proportions, with the interpolation Spiegelhalter (2005, appendix) uses so
  the funnel is smooth; Poisson for ratios, via the chi-squared quantiles
  ``qchisq(α/2, 2m)/(2m)`` and ``qchisq(1 − α/2, 2(m + 1))/(2m)``;
* **normal** limits on a transformed scale: ``t0 ± z·√(s² + τ²)`` (additive
  overdispersion) or ``t0 ± z·√φ·s`` (multiplicative), back-transformed.

The scales (:class:`Scale`) are ``identity`` and ``arcsine`` for proportions
and ``log`` (the SHMI method) and ``sqrt`` (Spiegelhalter's square-root
method) for ratios. Ratios here are relative to the target (``O/(θ0·E)``),
so a ratio's target on its own scale is always 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

FloatArray = NDArray[np.float64]

PROPORTION_SCALES: tuple[str, ...] = ("identity", "arcsine")
RATIO_SCALES: tuple[str, ...] = ("log", "sqrt")


def two_sided_z(level: float) -> float:
    """The standard normal quantile for a two-sided ``level`` (0.95 → 1.959964, 0.998 → 3.090232)."""
    return float(stats.norm.ppf(1 - (1 - level) / 2))


def level_key(level: float) -> str:
    """Column suffix for a limit level: 0.95 → ``'95'``, 0.998 → ``'99_8'``."""
    text = f"{level * 100:.10g}"
    return text.replace(".", "_")


def level_label(level: float) -> str:
    """Human label for a limit level: 0.95 → ``'95%'``, 0.998 → ``'99.8%'``."""
    return f"{level * 100:.10g}%"


def exact_binomial_limit(probability: float, n: ArrayLike, theta: float) -> FloatArray:
    """The ``probability`` quantile of a proportion out of ``n`` when the true rate is ``theta``, interpolated.

    Spiegelhalter (2005, appendix A.1.1): with ``r`` the smallest count such
    that ``P(R ≤ r) ≥ probability`` for ``R ~ Binomial(n, theta)``, the limit
    is ``(r − α)/n`` where ``α = (P(R ≤ r) − probability) / P(R = r)``.
    The result is clipped to [0, 1]. ``n`` must be whole numbers.
    """
    n_arr = np.asarray(n, dtype=float)
    r = stats.binom.ppf(probability, n_arr, theta)
    cdf_r = stats.binom.cdf(r, n_arr, theta)
    pmf_r = stats.binom.pmf(r, n_arr, theta)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(pmf_r > 0, (cdf_r - probability) / pmf_r, 0.0)
        limit = (r - alpha) / n_arr
    return np.asarray(np.clip(limit, 0.0, 1.0), dtype=float)


def exact_poisson_ratio_limits(expected: ArrayLike, level: float) -> tuple[FloatArray, FloatArray]:
    """Exact Poisson limits for an observed/expected ratio with target 1 at expected count ``expected``.

    ``LL = qchisq(α/2, 2m)/(2m)``, ``UL = qchisq(1 − α/2, 2(m + 1))/(2m)``,
    with ``α = 1 − level`` (Spiegelhalter 2005; as FunnelPlotR).
    """
    m = np.asarray(expected, dtype=float)
    alpha = 1 - level
    lower = stats.chi2.ppf(alpha / 2, 2 * m) / (2 * m)
    upper = stats.chi2.ppf(1 - alpha / 2, 2 * (m + 1)) / (2 * m)
    return np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)


@dataclass(frozen=True)
class Scale:
    """A transformation for z-scores and normal-approximation limits.

    ``forward`` maps a unit's value (a proportion, or a ratio to target) to
    the scale; ``standard_error(size)`` is its standard error there under the
    target (``size`` = denominator for proportions, expected count for
    ratios); ``backward`` maps a limit back.
    """

    name: str
    target_value: float  # the target on the original scale: θ0 for proportions, 1 for ratios
    rounding: float = 0.0  # variance of the error rounding adds to each published count (2 when rounded to 5)
    count_ratio: float = 1.0  # numerator per unit of denominator at the target: θ0 (proportions, rates), 1 (ratios)

    @property
    def target(self) -> float:
        """The target on the transformed scale."""
        return float(self.forward(np.array([self.target_value]))[0])

    def forward(self, value: FloatArray) -> FloatArray:
        if self.name == "identity":
            return value
        if self.name == "arcsine":
            return np.asarray(np.arcsin(np.sqrt(np.clip(value, 0.0, 1.0))), dtype=float)
        if self.name == "log":
            with np.errstate(divide="ignore"):
                return np.asarray(np.log(value), dtype=float)
        if self.name == "sqrt":
            return np.asarray(np.sqrt(value), dtype=float)
        raise ValueError(f"unknown scale {self.name!r}")

    def backward(self, y: FloatArray) -> FloatArray:
        if self.name == "identity":
            return np.asarray(np.clip(y, 0.0, 1.0), dtype=float)
        if self.name == "arcsine":
            return np.asarray(np.sin(np.clip(y, 0.0, np.pi / 2)) ** 2, dtype=float)
        if self.name == "log":
            return np.asarray(np.exp(y), dtype=float)
        if self.name == "sqrt":
            # Square back: FunnelPlotR's CQC method forgets this (issue #33).
            return np.asarray(np.clip(y, 0.0, None) ** 2, dtype=float)
        raise ValueError(f"unknown scale {self.name!r}")

    def standard_error(self, size: ArrayLike) -> FloatArray:
        """Sampling standard error under the target, widened by the rounding of published counts when set."""
        size_arr = np.asarray(size, dtype=float)
        if self.name == "identity":
            theta = self.target_value
            variance = theta * (1 - theta) / size_arr
        elif self.name in ("arcsine", "sqrt"):
            variance = 1 / (4 * size_arr)
        elif self.name == "log":
            variance = 1 / size_arr
        else:
            raise ValueError(f"unknown scale {self.name!r}")
        return np.asarray(np.sqrt(variance + self.rounding_variance(size_arr)), dtype=float)

    def rounding_variance(self, size: ArrayLike) -> FloatArray:
        """The variance rounding adds on this scale at ``size`` (delta method at the target).

        A published value is ``(c + e)/(n + f)`` with independent rounding errors of variance ``ρ`` in the
        numerator ``c`` and the denominator ``n``; at the target its variance is ``ρ(1 + k²)/n²`` (``k`` the
        numerator per unit of denominator, θ0 for a proportion), times the scale's slope squared there:
        1 (identity, log), ``1/(4θ0(1 − θ0))`` (arcsine) or 1/4 (square root).
        """
        size_arr = np.asarray(size, dtype=float)
        if not self.rounding:
            return np.zeros_like(size_arr)
        slope2 = {"identity": 1.0, "log": 1.0, "sqrt": 0.25}.get(self.name)
        if self.name == "arcsine":
            slope2 = 1 / (4 * self.target_value * (1 - self.target_value))
        if slope2 is None:
            raise ValueError(f"unknown scale {self.name!r}")
        return np.asarray(self.rounding * (1 + self.count_ratio**2) / size_arr**2 * slope2, dtype=float)


@dataclass(frozen=True)
class LimitModel:
    """Everything needed to draw limits at any denominator: the funnel's recipe.

    ``kind`` is ``'proportion'`` or ``'ratio'`` (rates are ratios to the
    target rate); ``method`` ``'exact'`` or ``'normal'`` for the unadjusted
    limits; ``phi``/``tau2`` are applied only when ``adjustment`` is
    ``'multiplicative'``/``'additive'``.
    """

    kind: str
    method: str
    scale: Scale
    adjustment: str  # 'none' | 'multiplicative' | 'additive' (what is actually applied)
    phi: float
    tau2: float

    def unadjusted(self, size: ArrayLike, level: float) -> tuple[FloatArray, FloatArray]:
        """Limits without overdispersion, on the original scale (a proportion, or a ratio to target)."""
        size_arr = np.asarray(size, dtype=float)
        if self.method == "exact":
            if self.kind == "proportion":
                p = (1 - level) / 2
                theta = self.scale.target_value
                return exact_binomial_limit(p, size_arr, theta), exact_binomial_limit(1 - p, size_arr, theta)
            return exact_poisson_ratio_limits(size_arr, level)
        return self._normal(size_arr, level, inflation=None)

    def adjusted(self, size: ArrayLike, level: float) -> tuple[FloatArray, FloatArray]:
        """Limits in use: overdispersion-adjusted when an adjustment is applied, else :meth:`unadjusted`."""
        size_arr = np.asarray(size, dtype=float)
        if self.adjustment == "none":
            return self.unadjusted(size_arr, level)
        return self._normal(size_arr, level, inflation=self.adjustment)

    def _normal(self, size: FloatArray, level: float, inflation: str | None) -> tuple[FloatArray, FloatArray]:
        z = two_sided_z(level)
        s = self.scale.standard_error(size)
        if inflation == "multiplicative":
            half_width = z * np.sqrt(self.phi) * s
        elif inflation == "additive":
            half_width = z * np.sqrt(s**2 + self.tau2)
        else:
            half_width = z * s
        t0 = self.scale.target
        return self.scale.backward(t0 - half_width), self.scale.backward(t0 + half_width)
