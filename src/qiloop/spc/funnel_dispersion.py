"""Overdispersion for funnel plots: trimmed z-scores, the dispersion ratio φ and τ².

Spiegelhalter (2005, Qual Saf Health Care) and the SHMI method (NHS Digital):

* z-scores are computed on the funnel's scale, ``zᵢ = (yᵢ − t0)/sᵢ``;
* extreme z-scores are tamed before estimating φ, either by **winsorising**
  (values beyond the ``trim`` and ``1 − trim`` quantiles are pulled in to
  them; quantiles as R's default type 7) or by **truncating** (SHMI: the
  top and bottom ``trim`` fraction by rank are left out);
* ``φ = Σz²/I`` over the I z-scores kept; ``I·φ`` is compared with χ²(I − 1);
* ``τ² = max(0, (I·φ − (I − 1)) / (Σwᵢ − Σwᵢ²/Σwᵢ))``, ``wᵢ = 1/sᵢ²``
  over the same units (DerSimonian–Laird), and 0 when ``I·φ < I − 1``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

TRIM_METHODS: tuple[str, ...] = ("winsorise", "truncate")


@dataclass(frozen=True)
class Trimmed:
    """z-scores after winsorising or truncating: ``z`` (NaN where truncated) and which units were touched."""

    z: FloatArray
    touched: BoolArray


def winsorise(z: FloatArray, fraction: float) -> Trimmed:
    """Pull z-scores beyond the ``fraction`` and ``1 − fraction`` quantiles in to those quantiles.

    A unit counts as winsorised unless it lies strictly between the two
    quantiles (so a value equal to a quantile is flagged but unchanged).
    """
    if fraction <= 0:
        return Trimmed(z=z.copy(), touched=np.zeros(len(z), dtype=bool))
    low, high = np.quantile(z, [fraction, 1 - fraction])  # numpy 'linear' == R type 7
    touched = ~((z > low) & (z < high))
    return Trimmed(z=np.clip(z, low, high), touched=np.asarray(touched, dtype=bool))


def truncate(z: FloatArray, fraction: float) -> Trimmed:
    """Leave out the top and bottom ``fraction`` of z-scores by rank (the SHMI method).

    With ``k = 1/fraction`` groups and average ranks ``rᵢ``, a unit's group is
    ``floor(rᵢ·k/(I + 1))``; units in the bottom group (0) or the top groups
    (≥ k − 1) are truncated. With fewer than about ``k`` units none are.
    """
    if fraction <= 0:
        return Trimmed(z=z.copy(), touched=np.zeros(len(z), dtype=bool))
    k = 1 / fraction
    ranks = stats.rankdata(z, method="average")
    group = np.floor(ranks * k / (len(z) + 1))
    touched = (group <= 0) | (group >= k - 1)
    return Trimmed(z=np.where(touched, np.nan, z), touched=np.asarray(touched, dtype=bool))


@dataclass(frozen=True)
class Dispersion:
    """The estimated overdispersion: φ, τ², the χ² test, and how many units it used."""

    phi: float
    tau2: float
    n_used: int
    p_value: float  # P(χ²(I − 1) ≥ I·φ): small means more spread than chance alone


def estimate_dispersion(trimmed_z: FloatArray, standard_errors: FloatArray) -> Dispersion:
    """φ and the DerSimonian–Laird τ² from trimmed z-scores (NaN = left out) and their standard errors."""
    keep = ~np.isnan(trimmed_z)
    z = trimmed_z[keep]
    n = int(keep.sum())
    if n == 0:
        return Dispersion(phi=math.nan, tau2=0.0, n_used=0, p_value=math.nan)
    phi = float(np.sum(z**2) / n)
    p_value = float(stats.chi2.sf(n * phi, n - 1)) if n > 1 else math.nan
    w = 1 / standard_errors[keep] ** 2
    denominator = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    no_excess = n * phi < n - 1 or denominator <= 0
    tau2 = 0.0 if no_excess else max(0.0, (n * phi - (n - 1)) / denominator)
    return Dispersion(phi=phi, tau2=tau2, n_used=n, p_value=p_value)
