"""One practice's patients: the list at the start date, joiners, births, leavers and deaths."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qiloop.synth import params
from qiloop.synth.practices import PracticeSpec
from qiloop.synth.sampling import NO_DATE, first_of_month

AGEING_SHARE = 0.6  # how far the start-date list is shifted younger, as a share of the window's years

SEX_FEMALE, SEX_MALE, SEX_INTERSEX, SEX_UNKNOWN = 0, 1, 2, 3


@dataclass(frozen=True)
class Window:
    """The generated period, in days since 1970 (both ends inclusive)."""

    start: int
    end: int

    @property
    def years(self) -> float:
        return (self.end - self.start + 1) / params.DAYS_PER_YEAR


@dataclass
class Population:
    """Per-patient arrays for one practice (index i is the i-th patient)."""

    patient_id: np.ndarray
    dob: np.ndarray
    sex: np.ndarray
    death: np.ndarray  # NO_DATE when alive at the end date (or died after leaving)
    reg_start: np.ndarray
    reg_end: np.ndarray  # NO_DATE while registered
    ethnicity: np.ndarray  # index into schema.ETHNICITIES, -1 for null
    imd: np.ndarray  # 1-5, 0 for null
    usual_gp: np.ndarray

    @property
    def size(self) -> int:
        return len(self.patient_id)

    def obs_start(self, window: Window) -> np.ndarray:
        return np.maximum(self.reg_start, window.start)

    def obs_end(self, window: Window) -> np.ndarray:
        return np.minimum(self.reg_end, window.end)


def _ages_from_pyramid(rng: np.random.Generator, n: int, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    cumulative = np.cumsum(weights / weights.sum())
    band = np.minimum(np.searchsorted(cumulative, rng.random(n), side="right"), len(weights) - 1)
    ages = params.AGE_BAND_LOWER[band] + rng.random(n) * params.AGE_BAND_WIDTH[band]
    return ages, band


def _pyramid(tilt: float, movers: bool = False) -> np.ndarray:
    mids = params.AGE_BAND_LOWER + params.AGE_BAND_WIDTH / 2
    weights = params.AGE_BAND_SHARES * np.exp(-tilt * (mids - 40.0) / 40.0)
    if movers:  # people who change practice are mostly young adults
        weights = weights * np.where((mids >= 18) & (mids < 40), 2.0, 1.0)
    return weights


def _sexes(rng: np.random.Generator, band: np.ndarray) -> np.ndarray:
    female = rng.random(len(band)) < params.FEMALE_SHARE_BY_BAND[band]
    sex = np.where(female, SEX_FEMALE, SEX_MALE).astype(np.int8)
    sex[rng.random(len(band)) < params.UNKNOWN_SEX_RATE] = SEX_UNKNOWN
    return sex


def _years_to_death(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    """Gompertz survival from ``age``, drawn by inverting the cumulative hazard."""
    a, b = np.exp(params.GOMPERTZ_LOG_A), params.GOMPERTZ_B
    e = rng.exponential(1.0, len(age))
    return np.log(e * b / a + np.exp(b * age)) / b - age


def _years_to_leaving(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    rate = np.empty(len(age))
    lower = 0.0
    for upper, value in params.LEAVE_RATE_BY_AGE:
        rate[(age >= lower) & (age < upper)] = value
        lower = upper
    return rng.exponential(1.0, len(age)) / rate


def _exits(rng: np.random.Generator, age: np.ndarray, since: np.ndarray, window: Window) -> tuple[np.ndarray, ...]:
    """Death date (if before leaving) and registration end for people aged ``age`` at day ``since``."""
    death = since + np.floor(_years_to_death(rng, age) * params.DAYS_PER_YEAR).astype(np.int64) + 1
    leave = since + np.floor(_years_to_leaving(rng, age) * params.DAYS_PER_YEAR).astype(np.int64) + 1
    dies_registered = (death <= leave) & (death <= window.end)
    death_out = np.where(dies_registered, death, NO_DATE)
    end = np.minimum(death, leave)
    reg_end = np.where(end <= window.end, end, NO_DATE)
    return death_out, reg_end


def make_population(rng: np.random.Generator, spec: PracticeSpec, first_patient_id: int, window: Window) -> Population:
    """Everyone ever registered at the practice during the window."""
    n0 = spec.list_size
    # The list on the start date.
    age0, band0 = _ages_from_pyramid(rng, n0, _pyramid(spec.age_tilt))
    # Shift the list younger so that, once aged through the window, it matches the pyramid at the end
    # (people who would be "negative" are the births still to come, drawn as young children instead).
    age0 = np.abs(age0 - AGEING_SHARE * window.years)
    dob0 = window.start - np.floor(age0 * params.DAYS_PER_YEAR).astype(np.int64)
    registered_years = np.minimum(rng.exponential(params.INITIAL_REGISTRATION_MEAN_YEARS, n0), age0)
    reg_start0 = window.start - np.floor(registered_years * params.DAYS_PER_YEAR).astype(np.int64)
    reg_start0 = np.maximum(reg_start0, dob0)
    death0, reg_end0 = _exits(rng, age0, np.full(n0, window.start, dtype=np.int64), window)

    # Births to the practice's families during the window.
    n_births = int(rng.poisson(n0 * params.BIRTH_RATE * window.years))
    birth_day = window.start + np.floor(rng.random(n_births) * (window.end - window.start + 1)).astype(np.int64)
    reg_start_b = birth_day + rng.integers(7, 61, n_births)
    keep = reg_start_b <= window.end
    birth_day, reg_start_b = birth_day[keep], reg_start_b[keep]
    n_births = len(birth_day)
    death_b, reg_end_b = _exits(rng, np.zeros(n_births), reg_start_b, window)
    band_b = np.zeros(n_births, dtype=np.int64)

    # Joiners replace leavers and deaths (less births) and the list grows slowly.
    exits = int(np.count_nonzero(reg_end0 != NO_DATE))
    wanted = max(0.0, exits - n_births + n0 * params.LIST_GROWTH_RATE * window.years) / 0.88
    n_join = int(rng.poisson(wanted))
    age_j, band_j = _ages_from_pyramid(rng, n_join, _pyramid(spec.age_tilt, movers=True))
    join_day = window.start + 1 + np.floor(rng.random(n_join) * (window.end - window.start)).astype(np.int64)
    dob_j = join_day - np.floor(age_j * params.DAYS_PER_YEAR).astype(np.int64)
    death_j, reg_end_j = _exits(rng, age_j, join_day, window)

    dob = first_of_month(np.concatenate([dob0, birth_day, dob_j]))
    n = len(dob)
    sex = _sexes(rng, np.concatenate([band0, band_b, band_j]))
    ethnicity = np.searchsorted(np.cumsum(spec.ethnicity_mix), rng.random(n), side="right")
    ethnicity = np.minimum(ethnicity, len(spec.ethnicity_mix) - 1).astype(np.int8)
    ethnicity[rng.random(n) < spec.ethnicity_null] = -1
    imd = np.clip(spec.imd_quintile + rng.choice(np.array([-1, 0, 0, 0, 0, 1]), n), 1, 5).astype(np.int8)
    imd[rng.random(n) < params.IMD_NULL_RATE] = 0
    return Population(
        patient_id=np.arange(first_patient_id, first_patient_id + n, dtype=np.int64),
        dob=dob,
        sex=sex,
        death=np.concatenate([death0, death_b, death_j]),
        reg_start=np.concatenate([reg_start0, reg_start_b, join_day]),
        reg_end=np.concatenate([reg_end0, reg_end_b, reg_end_j]),
        ethnicity=ethnicity,
        imd=imd,
        usual_gp=rng.integers(0, spec.gps, n),
    )
