"""Long-term conditions: who is diagnosed, and when.

Each condition has a curve F(age): the chance of having been diagnosed by
that age. A patient draws u ~ U(0, 1) and is diagnosed at the age where F
reaches u (never, if u is above F's top). Prevalence among people aged a is
then F(a), so scaling F so that its average under England's age pyramid
equals the target calibrates the all-ages prevalence.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from qiloop.synth import params
from qiloop.synth.population import Population
from qiloop.synth.sampling import NO_DATE

CONDITIONS = tuple(params.CONDITION_AGE_CURVES)


@dataclass
class Diagnoses:
    """Diagnosis day per condition (NO_DATE when never diagnosed while in the data)."""

    onset: dict[str, np.ndarray]
    resolved: dict[str, np.ndarray]  # a "resolved" code's day for asthma, hypertension, diabetes, COPD
    diabetes_type1: np.ndarray  # bool
    ckd_stage: np.ndarray  # 0 none, 3, 4 or 5

    @property
    def asthma_resolved(self) -> np.ndarray:
        return self.resolved["asthma"]

    def active_until(self, condition: str) -> np.ndarray:
        """The day a condition was coded resolved (NO_DATE while it is not)."""
        return self.resolved.get(condition, np.full(len(self.onset[condition]), NO_DATE))


def _pyramid_ages() -> tuple[np.ndarray, np.ndarray]:
    steps = 20
    offsets = (np.arange(steps) + 0.5) / steps
    ages = (params.AGE_BAND_LOWER[:, None] + offsets[None, :] * params.AGE_BAND_WIDTH[:, None]).ravel()
    weights = np.repeat(params.AGE_BAND_SHARES / steps, steps)
    return ages, weights


@cache
def scaled_curve(condition: str) -> tuple[np.ndarray, np.ndarray]:
    """Knot ages and cumulative diagnosis chance, scaled to the condition's target."""
    knots = params.CONDITION_AGE_CURVES[condition]
    ages = np.array([k[0] for k in knots], dtype=float)
    levels = np.array([k[1] for k in knots], dtype=float)
    target, min_age = params.PREVALENCE_TARGETS[condition]
    if condition == "asthma":
        target = target / (1.0 - params.ASTHMA_RESOLVED_SHARE * 0.8)  # most resolutions fall before the end date
    grid, weights = _pyramid_ages()
    adult = grid >= min_age
    expected = np.sum(np.interp(grid[adult], ages, levels) * weights[adult]) / weights[adult].sum()
    levels = np.minimum(levels * target / expected, 0.95)
    levels = levels + np.arange(len(levels)) * 1e-9  # strictly increasing, so the curve can be inverted
    return ages, levels


def _onset_days(
    rng: np.random.Generator, pop: Population, condition: str, last_day: np.ndarray, factor: float = 1.0
) -> np.ndarray:
    """Diagnosis days; ``factor`` scales the practice's chance of a diagnosis at every age (deprivation)."""
    ages, levels = scaled_curve(condition)
    u = rng.random(pop.size) / factor
    onset_age = np.interp(u, levels, ages)
    onset = pop.dob + np.floor(onset_age * params.DAYS_PER_YEAR).astype(np.int64)
    diagnosed = (u < levels[-1]) & (u > levels[0]) & (onset <= last_day)
    return np.where(diagnosed, onset, NO_DATE)


def diagnose(
    rng: np.random.Generator, pop: Population, last_day: np.ndarray, factors: dict[str, float] | None = None
) -> Diagnoses:
    """Diagnosis dates up to each patient's ``last_day`` in the data (``factors``: the practice's multipliers)."""
    factors = factors or {}
    onset = {name: _onset_days(rng, pop, name, last_day, factors.get(name, 1.0)) for name in CONDITIONS}
    resolved = {
        condition: _resolutions(rng, onset[condition], last_day, share, years)
        for condition, (share, years) in params.RESOLVED_CODES.items()
    }
    onset_age = (onset["diabetes"] - pop.dob) / params.DAYS_PER_YEAR
    type1 = (onset["diabetes"] != NO_DATE) & (
        (onset_age < 25) | (rng.random(pop.size) < params.DIABETES_TYPE1_SHARE / 2)
    )
    stage = np.where(onset["ckd"] != NO_DATE, 3 + (rng.random(pop.size) < 0.15) + (rng.random(pop.size) < 0.03), 0)
    return Diagnoses(
        onset=onset,
        resolved=resolved,
        diabetes_type1=type1,
        ckd_stage=np.minimum(stage, 5).astype(np.int8),
    )


def _resolutions(
    rng: np.random.Generator, onset: np.ndarray, last_day: np.ndarray, share: float, years: tuple[float, float]
) -> np.ndarray:
    """A resolved code for ``share`` of the diagnosed, ``years`` (low, high) after diagnosis, if before ``last_day``."""
    n = len(onset)
    day = onset + np.floor(rng.uniform(years[0], years[1], n) * params.DAYS_PER_YEAR).astype(np.int64)
    resolves = (onset != NO_DATE) & (rng.random(n) < share) & (day <= last_day)
    return np.where(resolves, day, NO_DATE)
