"""Repeat prescribing (one issue every 28 days), short NSAID courses, and drug monitoring tests.

The hazards PINCER looks for arise at rates near the national practice
medians (``params.PINCER_TARGETS``): NSAIDs in older people without a
proton pump inhibitor, NSAIDs with an anticoagulant or a history of ulcer,
non-selective beta-blockers in asthma, and monitoring tests that are missed.
A monitoring test is a Poisson process while the drug is taken, with its
rate set so that P(no test in the look-back) matches the median; e.g. for
methotrexate exp(-rate * 91 days) = 18.7% gives about 6.7 full blood counts
a year.
"""

from __future__ import annotations

import numpy as np

from qiloop.synth import params
from qiloop.synth.batches import EventBatch, code_index, code_indices
from qiloop.synth.clinical import Context
from qiloop.synth.sampling import NO_DATE, choose, expand, poisson_points, recurring, to_days

YEAR = params.DAYS_PER_YEAR
ISSUE_INTERVAL = 28


def _rate_for_missing(share_missing: float, lookback_days: float) -> float:
    """Poisson test rate (per day) leaving ``share_missing`` of patients untested over the look-back."""
    return float(-np.log(share_missing) / lookback_days)


# Monitoring tests: (drug concept, test concepts, rate per day), from PINCER medians.
_FBC_RATE = _rate_for_missing(params.PINCER_TARGETS["ME_FBC"], 91)
_LFT_RATE = _rate_for_missing(params.PINCER_TARGETS["ME_LFT"], 91)
_LITHIUM_RATE = _rate_for_missing(params.PINCER_TARGETS["LI"], 91)
_TFT_RATE = _rate_for_missing(params.PINCER_TARGETS["AM"], 182)
_RENAL_RATE = _rate_for_missing(params.PINCER_TARGETS["AC"], 456)

# NSAID courses a year for adults, by risk (those without risk are often younger and more prescribed).
NSAID_RATE_UNDER_65 = 0.12
NSAID_RATE_65_PLUS = 0.085
GASTROPROTECTION_SHARE_AT_RISK = 0.45


class Courses:
    """Drug courses: patient row, first day, last day (NO_DATE = ongoing), code index."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []
        self.start: list[np.ndarray] = []
        self.end: list[np.ndarray] = []
        self.codes: list[np.ndarray] = []

    def add(self, rows: np.ndarray, start: np.ndarray, end: np.ndarray, codes: np.ndarray | int) -> None:
        self.rows.append(rows)
        self.start.append(start.astype(np.int64))
        self.end.append(end.astype(np.int64))
        self.codes.append(np.broadcast_to(np.asarray(codes, dtype=np.int32), (len(rows),)))

    def joined(self) -> tuple[np.ndarray, ...]:
        return tuple(np.concatenate(parts) for parts in (self.rows, self.start, self.end, self.codes))


def _long_term(
    ctx: Context, p: np.ndarray, after: np.ndarray | None = None, stop_share: float = 0.15
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows starting a long-term drug with probability ``p``: start soon after ``after`` or before the window."""
    rng, n = ctx.rng, ctx.pop.size
    rows = np.flatnonzero(rng.random(n) < p)
    if after is None:
        already = rng.random(len(rows)) < 0.7
        before = ctx.obs_start[rows] - np.floor(rng.random(len(rows)) * 5 * YEAR).astype(np.int64)
        during = ctx.obs_start[rows] + np.floor(
            rng.random(len(rows)) * np.maximum(ctx.obs_end[rows] - ctx.obs_start[rows], 0)
        ).astype(np.int64)
        start = np.where(already, before, during)
    else:
        start = after[rows] + rng.integers(0, 180, len(rows))
    stops = rng.random(len(rows)) < stop_share
    end = np.where(stops, start + np.floor(rng.exponential(3 * YEAR, len(rows))).astype(np.int64), NO_DATE)
    return rows, start, end


def _has(ctx: Context, condition: str) -> np.ndarray:
    return ctx.dx.onset[condition] != NO_DATE


def long_term_courses(ctx: Context) -> Courses:
    """Repeat medicines chosen by condition and age (shares of the eligible in each call)."""
    rng, dx = ctx.rng, ctx.dx
    age = ctx.age_at(ctx.obs_end)
    courses = Courses()

    def add(
        rows_start_end: tuple[np.ndarray, np.ndarray, np.ndarray], concept: str, weights: list[float] | None = None
    ) -> None:
        rows, start, end = rows_start_end
        choices = code_indices(concept)
        codes = choices[choose(rng, len(rows), weights)] if weights is not None else choices[0]
        courses.add(rows, start, end, codes)

    hyp, dm, ckd, hf, af = (
        _has(ctx, c) for c in ("hypertension", "diabetes", "ckd", "heart_failure", "atrial_fibrillation")
    )
    first_cv = np.minimum.reduce(
        [dx.onset["hypertension"], dx.onset["diabetes"], dx.onset["ckd"], dx.onset["heart_failure"]]
    )
    add(_long_term(ctx, np.select([hf, hyp, dm], [0.7, 0.5, 0.25], 0.0), first_cv), "ace_inhibitor", [0.6, 0.4])
    add(_long_term(ctx, np.where(hyp, 0.45, 0.0), dx.onset["hypertension"]), "amlodipine")
    loop = np.select([hf, hyp & (age >= 75)], [0.75, 0.05], 0.0)
    add(_long_term(ctx, loop, np.minimum(dx.onset["heart_failure"], dx.onset["hypertension"])), "loop_diuretic")
    add(_long_term(ctx, np.select([dm, hyp, ckd], [0.65, 0.4, 0.4], 0.0), first_cv), "statin")
    type2 = dm & ~dx.diabetes_type1
    add(_long_term(ctx, np.where(type2, 0.8, 0.0), dx.onset["diabetes"]), "metformin")
    # Anticoagulation in AF: DOACs mostly, some warfarin.
    anticoag_rows, a_start, a_end = _long_term(ctx, np.where(af, 0.82, 0.0), dx.onset["atrial_fibrillation"], 0.05)
    warfarin = rng.random(len(anticoag_rows)) < 0.3
    courses.add(anticoag_rows[warfarin], a_start[warfarin], a_end[warfarin], code_index("warfarin"))
    doac = ~warfarin
    doac_codes = code_indices("doac")[choose(rng, int(doac.sum()), [0.8, 0.2])]
    courses.add(anticoag_rows[doac], a_start[doac], a_end[doac], doac_codes)
    add(_long_term(ctx, np.where(af, 0.06, 0.0), dx.onset["atrial_fibrillation"]), "amiodarone")
    add(_long_term(ctx, np.select([hf, (age >= 60) & ~af], [0.3, 0.04], 0.0)), "aspirin")
    add(_long_term(ctx, np.where(age >= 65, 0.02, 0.0)), "clopidogrel")
    ppi = np.select([_has(ctx, "peptic_ulcer"), age >= 65, age >= 50, age >= 18], [0.55, 0.14, 0.09, 0.04], 0.0)
    add(_long_term(ctx, ppi, stop_share=0.25), "ppi", [0.6, 0.4])
    asthma_active = _has(ctx, "asthma") & (dx.asthma_resolved == NO_DATE)
    add(_long_term(ctx, np.select([_has(ctx, "copd"), asthma_active], [0.9, 0.8], 0.0), first_of(ctx, "copd", "asthma")),
        "salbutamol_inhaler")  # fmt: skip
    nsbb = np.select([asthma_active, (age >= 18) & (age < 75)], [0.019, 0.009], 0.0)
    add(_long_term(ctx, nsbb, stop_share=0.4), "nonselective_beta_blocker")
    add(_long_term(ctx, np.where(age >= 30, 0.0035, 0.0)), "methotrexate")
    add(_long_term(ctx, np.where(age >= 18, 0.0012, 0.0)), "lithium")
    return courses


def first_of(ctx: Context, *conditions: str) -> np.ndarray:
    """The earliest diagnosis day among ``conditions`` (NO_DATE if none)."""
    return np.minimum.reduce([ctx.dx.onset[c] for c in conditions])


def issue_dates(ctx: Context, courses: Courses) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every 28-day issue of every course inside the patient's time in the data."""
    rows, start, end, codes = courses.joined()
    lo = np.maximum(start, ctx.obs_start[rows])
    hi = np.minimum(end, ctx.obs_end[rows])
    started_before = start < ctx.obs_start[rows]
    phase = np.where(started_before, ctx.rng.random(len(rows)) * ISSUE_INTERVAL, 0.0)
    k, dates = recurring(ctx.rng, lo, hi, ISSUE_INTERVAL, 2.0, phase)
    return rows[k], dates, codes[k], np.flatnonzero(hi >= lo)


def nsaid_courses(ctx: Context, anticoagulated: np.ndarray, meds: EventBatch) -> None:
    """Short NSAID courses (1-3 issues); at-risk patients often get a PPI with them."""
    rng, spec = ctx.rng, ctx.spec
    age = ctx.age_at(ctx.obs_end)
    adult = np.flatnonzero(age >= 18)
    older = age[adult] >= 65
    rate = np.where(older, NSAID_RATE_65_PLUS, NSAID_RATE_UNDER_65) * spec.nsaid_factor
    rate = rate * np.where(anticoagulated[adult], 0.65, 1.0) * np.where(_has(ctx, "heart_failure")[adult], 0.8, 1.0)
    r, first = poisson_points(rng, ctx.obs_start[adult], ctx.obs_end[adult], rate / YEAR)
    r = adult[r]
    at_risk = (ctx.age_at(first, r) >= 65) | (ctx.dx.onset["peptic_ulcer"][r] <= first) | anticoagulated[r]
    protected = at_risk & (rng.random(len(r)) < GASTROPROTECTION_SHARE_AT_RISK)
    change = spec.change("nsaid_without_gastroprotection_multiplier")
    if change is not None:
        after = first >= to_days(change.from_month)
        protected |= at_risk & after & (rng.random(len(r)) >= change.after)
    issues = rng.integers(1, 4, len(r))
    k, rank = expand(issues)
    dates = first[k] + rank * ISSUE_INTERVAL
    inside = dates <= ctx.obs_end[r[k]]
    k, dates = k[inside], dates[inside]
    drug = code_indices("nsaid")[choose(rng, len(r), [0.6, 0.4])]
    meds.add(r[k], dates, drug[k])
    gp = protected[k]
    meds.add(r[k][gp], dates[gp], code_index("ppi"))


def monitoring_tests(ctx: Context, courses: Courses, events: EventBatch) -> None:
    """Blood tests while on methotrexate, lithium, amiodarone, ACE inhibitors and loop diuretics."""
    rows, start, end, codes = courses.joined()
    lo = np.maximum(start, ctx.obs_start[rows])
    hi = np.minimum(end, ctx.obs_end[rows])
    factor = ctx.spec.monitoring_factor
    plan = (
        ("methotrexate", "full_blood_count", _FBC_RATE),
        ("methotrexate", "liver_function_test", _LFT_RATE),
        ("lithium", "lithium_level", _LITHIUM_RATE),
        ("amiodarone", "thyroid_function_test", _TFT_RATE),
    )
    for drug, test, rate in plan:
        on = np.isin(codes, code_indices(drug))
        k, dates = poisson_points(ctx.rng, lo[on], hi[on], rate * factor)
        events.add(rows[on][k], dates, code_index(test))
    on = np.isin(codes, np.concatenate([code_indices("ace_inhibitor"), code_indices("loop_diuretic")]))
    k, dates = poisson_points(ctx.rng, lo[on], hi[on], _RENAL_RATE * factor)
    test_rows, test_dates = rows[on][k], dates
    # One blood sample: a creatinine and (nearly always) the electrolytes, same day; deduplicate per patient-day.
    key = np.unique(test_rows * 100_000 + test_dates)
    test_rows, test_dates = key // 100_000, key % 100_000
    events.add(test_rows, test_dates, code_index("renal_function_test"))
    both = ctx.rng.random(len(test_rows)) < 0.95
    events.add(test_rows[both], test_dates[both], code_index("electrolytes_test"))
