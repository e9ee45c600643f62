"""Clinical events: diagnosis codes, reviews, observations with values, flu vaccinations.

Reviews follow a recall cycle: each patient has a fixed month in the year and
is reviewed then with the practice's completion rate, so "a review in the
preceding 12 months" holds for about that share of the register.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qiloop.synth import params
from qiloop.synth.batches import EventBatch, code_index, code_indices
from qiloop.synth.conditions import Diagnoses
from qiloop.synth.population import SEX_FEMALE, Population, Window
from qiloop.synth.practices import PracticeSpec
from qiloop.synth.sampling import NO_DATE, choose, poisson_points, recurring, to_days

YEAR = params.DAYS_PER_YEAR


@dataclass
class Context:
    """What every event generator needs about one practice."""

    rng: np.random.Generator
    pop: Population
    dx: Diagnoses
    spec: PracticeSpec
    window: Window
    obs_start: np.ndarray
    obs_end: np.ndarray

    def age_at(self, days: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        dob = self.pop.dob if rows is None else self.pop.dob[rows]
        return (days - dob) / YEAR


def _diagnosed_rows(ctx: Context, condition: str) -> np.ndarray:
    return np.flatnonzero(ctx.dx.onset[condition] != NO_DATE)


def _accept(ctx: Context, n: int, p: np.ndarray | float) -> np.ndarray:
    return ctx.rng.random(n) < p


def diagnosis_events(ctx: Context, out: EventBatch) -> None:
    """One diagnosis code per condition (historical dates included), plus resolved codes."""
    rng = ctx.rng
    for condition, concept in (
        ("hypertension", "hypertension"),
        ("copd", "copd"),
        ("asthma", "asthma"),
        ("atrial_fibrillation", "atrial_fibrillation"),
        ("heart_failure", "heart_failure"),
        ("peptic_ulcer", "peptic_ulcer"),
    ):
        rows = _diagnosed_rows(ctx, condition)
        choices = code_indices(concept)
        weights = np.array([0.6] + [0.4 / max(1, len(choices) - 1)] * (len(choices) - 1))
        out.add(rows, ctx.dx.onset[condition][rows], choices[choose(rng, len(rows), weights)])
    rows = _diagnosed_rows(ctx, "diabetes")
    codes = np.where(ctx.dx.diabetes_type1[rows], code_index("diabetes_type1"), code_index("diabetes_type2"))
    out.add(rows, ctx.dx.onset["diabetes"][rows], codes)
    rows = _diagnosed_rows(ctx, "ckd")
    stage = ctx.dx.ckd_stage[rows]
    stage3 = code_indices("ckd_stage3")[choose(rng, len(rows), [0.4, 0.4, 0.2])]
    codes = np.where(stage == 3, stage3, np.where(stage == 4, code_index("ckd_stage4"), code_index("ckd_stage5")))
    out.add(rows, ctx.dx.onset["ckd"][rows], codes)
    for condition, day in ctx.dx.resolved.items():
        rows = np.flatnonzero(day != NO_DATE)
        out.add(rows, day[rows], code_index(f"{condition}_resolved"))


def _review_dates(
    ctx: Context, rows: np.ndarray, since: np.ndarray, period: float = YEAR, condition: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Recall dates for ``rows`` from ``since`` (and before the condition is coded resolved, if it is)."""
    lo = np.maximum(since, ctx.obs_start[rows])
    hi = ctx.obs_end[rows]
    if condition is not None:
        hi = np.minimum(hi, ctx.dx.active_until(condition)[rows] - 1)
    # A fixed recall month per patient: the cycle starts in the year before the window.
    first = ctx.window.start - period + ctx.rng.random(len(rows)) * period
    r, d = recurring(ctx.rng, first.astype(np.int64), hi, period, 12.0, np.zeros(len(rows)))
    keep = d >= lo[r]
    return rows[r[keep]], d[keep]


def copd_events(ctx: Context, out: EventBatch) -> None:
    rng, spec = ctx.rng, ctx.spec
    rows = _diagnosed_rows(ctx, "copd")
    onset = ctx.dx.onset["copd"][rows]
    # Spirometry around diagnosis: most confirmed (ratio < 0.7), some never recorded.
    when = onset + rng.integers(-60, 90, len(rows))
    confirmed = (rng.random(len(rows)) < 0.86) & (when <= ctx.obs_end[rows])
    out.add(rows[confirmed], when[confirmed], code_index("fev1_fvc_post_bronchodilator"),
            np.round(rng.uniform(0.42, 0.69, int(confirmed.sum())), 2))  # fmt: skip
    # Exacerbations: a Poisson process per patient, rates spread around about 0.6 a year (many none, a few often).
    lo = np.maximum(onset, ctx.obs_start[rows])
    rate = params.COPD_EXACERBATIONS_PER_YEAR / YEAR * rng.gamma(0.8, 1 / 0.8, len(rows))
    er, ed = poisson_points(rng, lo, ctx.obs_end[rows], rate)
    exacerbated = rows[er]
    out.add(exacerbated, ed, code_index("copd_exacerbation"))
    # Annual recall (rate can change at a planted month): invitations, then the review for those who come.
    recall_rows, recall_days = _review_dates(ctx, rows, onset, condition="copd")
    p = np.full(len(recall_rows), spec.rates["copd_review"])
    change = spec.change("copd_review_rate")
    if change is not None:
        p = np.where(recall_days >= to_days(change.from_month), change.after, change.before)
    keep = _accept(ctx, len(recall_rows), p)
    _copd_invitations(ctx, recall_rows, recall_days, reviewed=keep, out=out)
    r, d = recall_rows[keep], recall_days[keep]
    out.add(r, d, code_index("copd_review"))
    grade_of_patient = choose(rng, ctx.pop.size, [0.15, 0.35, 0.28, 0.15, 0.07])
    with_mrc = rng.random(len(r)) < 0.93
    grade = grade_of_patient[r[with_mrc]]
    out.add(r[with_mrc], d[with_mrc], code_indices("mrc_grade")[grade])
    # The review template asks for the number of exacerbations in the past year: the count of the patient's
    # exacerbation events in the 365 days up to the review.
    counted = rng.random(len(r)) < params.COPD_EXACERBATION_COUNT_RECORDED
    out.add(r[counted], d[counted], code_index("copd_exacerbation_count"),
            _events_in_year_before(exacerbated, ed, r[counted], d[counted]).astype(float))  # fmt: skip
    refer = (grade >= 2) & (rng.random(len(grade)) < 0.45)  # MRC grade 3-5: offer pulmonary rehabilitation
    referred = r[with_mrc][refer]
    referral_day = d[with_mrc][refer] + rng.integers(0, 45, int(refer.sum()))
    inside = referral_day <= ctx.obs_end[referred]
    out.add(referred[inside], referral_day[inside], code_index("pulmonary_rehab_referral"))


def _copd_invitations(
    ctx: Context, rows: np.ndarray, recall: np.ndarray, reviewed: np.ndarray, out: EventBatch
) -> None:
    """Recall invitations: a first one 2-6 weeks before the recall date for most patients; for some of those who
    do not come, a second one 2-5 weeks after the first (two invitations 7+ days apart: a QOF PCA)."""
    rng = ctx.rng
    n = len(rows)
    invited = rng.random(n) < params.COPD_INVITED
    first = recall - rng.integers(14, 43, n)
    kind = choose(rng, n, [0.6, 0.0, 0.4])  # first letter or text message
    ok = invited & (first >= ctx.obs_start[rows])
    out.add(rows[ok], first[ok], code_indices("copd_invite")[kind[ok]])
    second = first + rng.integers(14, 36, n)
    again = ok & ~reviewed & (rng.random(n) < params.COPD_SECOND_INVITATION) & (second <= ctx.obs_end[rows])
    kind2 = choose(rng, n, [0.0, 0.6, 0.4])  # second letter or text message
    out.add(rows[again], second[again], code_indices("copd_invite")[kind2[again]])


def _events_in_year_before(
    event_rows: np.ndarray, event_days: np.ndarray, rows: np.ndarray, days: np.ndarray
) -> np.ndarray:
    """For each (row, day): how many events of that row fall in the 365 days up to and including the day."""
    shift = 1_000_000  # days are well within ±500,000 of 1970
    keys = np.sort(event_rows.astype(np.int64) * 2 * shift + event_days + shift)
    upper = rows.astype(np.int64) * 2 * shift + days + shift
    return np.searchsorted(keys, upper, side="right") - np.searchsorted(keys, upper - 365, side="right")


def frailty_events(ctx: Context, out: EventBatch) -> None:
    """Moderate or severe frailty (electronic frailty index), coded once for some people aged 65 and over.

    The chance by age at the end of the data (65-74, 75-84, 85+) aims at the coded frailty of people aged 65+ that a
    published GP-record count gives (11.2% moderate or severe, 18% of them severe: see ``params.FRAILTY_BY_AGE``);
    more long-term conditions make it likelier. The code is dated at a random day after the 65th birthday within
    the data.
    """
    rng = ctx.rng
    age = ctx.age_at(ctx.obs_end)
    p = np.select([age >= 85, age >= 75, age >= 65], list(params.FRAILTY_BY_AGE), 0.0)
    conditions = sum((ctx.dx.onset[c] <= ctx.obs_end).astype(float) for c in ("diabetes", "copd", "heart_failure",
                     "ckd", "atrial_fibrillation", "hypertension"))  # fmt: skip
    p = np.minimum(p * np.where(conditions >= 2, params.FRAILTY_MULTIMORBIDITY_FACTOR, 1.0), 0.8)
    chosen = np.flatnonzero(rng.random(ctx.pop.size) < p)
    lo = np.maximum(ctx.pop.dob[chosen] + np.int64(65 * YEAR), ctx.obs_start[chosen])
    hi = ctx.obs_end[chosen]
    ok = lo <= hi
    chosen, lo, hi = chosen[ok], lo[ok], hi[ok]
    day = lo + np.floor(rng.random(len(chosen)) * (hi - lo + 1)).astype(np.int64)
    severe = rng.random(len(chosen)) < params.FRAILTY_SEVERE_SHARE
    out.add(chosen, day, code_indices("frailty")[severe.astype(np.int64)])


def chads2_vasc_events(ctx: Context, out: EventBatch) -> None:
    """CHA2DS2-VASc scores for people with AF: at diagnosis for most, then at some annual reviews.

    The score is computed from the record on the day: age 65-74 (1) or 75+ (2), female (1), heart failure,
    hypertension, diabetes (1 each); vascular disease (1) is drawn per patient, as the generator has no
    vascular-disease diagnoses; it has no stroke either, so stroke/TIA scores 0.
    """
    rng = ctx.rng
    rows = _diagnosed_rows(ctx, "atrial_fibrillation")
    onset = ctx.dx.onset["atrial_fibrillation"][rows]
    at_diagnosis = onset + rng.integers(0, 31, len(rows))
    first = (
        (rng.random(len(rows)) < params.CHADS_VASC_AT_DIAGNOSIS)
        & (at_diagnosis >= ctx.obs_start[rows])
        & (at_diagnosis <= ctx.obs_end[rows])
    )
    r1, d1 = rows[first], at_diagnosis[first]
    r2, d2 = _review_dates(ctx, rows, onset + 200, condition=None)
    again = _accept(ctx, len(r2), params.CHADS_VASC_AT_REVIEW)
    r = np.concatenate([r1, r2[again]])
    d = np.concatenate([d1, d2[again]])
    vascular = rng.random(ctx.pop.size) < params.VASCULAR_DISEASE_SHARE
    age = ctx.age_at(d, r)
    score = np.where(age >= 75, 2, np.where(age >= 65, 1, 0)) + (ctx.pop.sex[r] == SEX_FEMALE).astype(int)
    for condition in ("heart_failure", "hypertension", "diabetes"):
        score = score + (ctx.dx.onset[condition][r] <= d).astype(int)
    score = score + vascular[r].astype(int)
    out.add(r, d, code_index("chads2_vasc_score"), score.astype(float))


def asthma_events(ctx: Context, out: EventBatch) -> None:
    rows = _diagnosed_rows(ctx, "asthma")
    onset = ctx.dx.onset["asthma"][rows]
    r, d = _review_dates(ctx, rows, onset, condition="asthma")
    keep = _accept(ctx, len(r), ctx.spec.rates["asthma_review"])
    out.add(r[keep], d[keep], code_index("asthma_review"))


def blood_pressure_events(ctx: Context, out: EventBatch) -> None:
    rng = ctx.rng
    hyp_rows = _diagnosed_rows(ctx, "hypertension")
    r, d = _review_dates(ctx, hyp_rows, ctx.dx.onset["hypertension"][hyp_rows], condition="hypertension")
    keep = _accept(ctx, len(r), ctx.spec.rates["bp_hypertension"])
    rows = [r[keep]]
    dates = [d[keep]]
    # Opportunistic readings for everyone aged 16+, more often with hypertension.
    adult = np.flatnonzero(ctx.age_at(ctx.obs_end) >= 16)
    rate = np.where(ctx.dx.onset["hypertension"][adult] != NO_DATE, 0.5, 0.22) / YEAR
    pr, pd = poisson_points(rng, ctx.obs_start[adult], ctx.obs_end[adult], rate)
    pr = adult[pr]
    grown = ctx.age_at(pd, pr) >= 16
    rows.append(pr[grown])
    dates.append(pd[grown])
    r, d = np.concatenate(rows), np.concatenate(dates)
    hypertensive = ctx.dx.onset["hypertension"][r] <= d
    age = ctx.age_at(d, r)
    systolic = np.where(hypertensive, 137.0 + ctx.spec.bp_offset, 112.0 + 0.35 * age) + rng.normal(0.0, 13.0, len(r))
    diastolic = 0.45 * systolic + 22.0 + rng.normal(0.0, 6.0, len(r))
    out.add(r, d, code_index("systolic_bp"), np.rint(np.clip(systolic, 80, 230)))
    out.add(r, d, code_index("diastolic_bp"), np.rint(np.clip(diastolic, 40, 130)))


def diabetes_events(ctx: Context, out: EventBatch) -> None:
    rng = ctx.rng
    rows = _diagnosed_rows(ctx, "diabetes")
    r, d = _review_dates(ctx, rows, ctx.dx.onset["diabetes"][rows], period=YEAR / 2, condition="diabetes")
    p_each = 1.0 - np.sqrt(1.0 - ctx.spec.rates["hba1c_diabetes"])  # two chances a year
    keep = _accept(ctx, len(r), p_each)
    r, d = r[keep], d[keep]
    patient_mean = np.exp(rng.normal(np.log(55.0) + ctx.spec.hba1c_log_offset, 0.2, ctx.pop.size))
    value = patient_mean[r] * np.exp(rng.normal(0.0, 0.08, len(r)))
    out.add(r, d, code_index("hba1c"), np.rint(np.clip(value, 25, 160)))


def kidney_events(ctx: Context, out: EventBatch) -> None:
    """eGFR for CKD (twice a year), diabetes and hypertension (yearly)."""
    rng = ctx.rng
    ckd = _diagnosed_rows(ctx, "ckd")
    r1, d1 = _review_dates(ctx, ckd, ctx.dx.onset["ckd"][ckd], period=YEAR / 2)
    keep1 = _accept(ctx, len(r1), 1.0 - np.sqrt(1.0 - ctx.spec.rates["egfr_ckd"]))
    at_risk = np.flatnonzero(
        ((ctx.dx.onset["diabetes"] != NO_DATE) | (ctx.dx.onset["hypertension"] != NO_DATE))
        & (ctx.dx.onset["ckd"] == NO_DATE)
    )
    since = np.minimum(ctx.dx.onset["diabetes"][at_risk], ctx.dx.onset["hypertension"][at_risk])
    r2, d2 = _review_dates(ctx, at_risk, since)
    keep2 = _accept(ctx, len(r2), 0.7)
    r = np.concatenate([r1[keep1], r2[keep2]])
    d = np.concatenate([d1[keep1], d2[keep2]])
    stage = np.where(ctx.dx.onset["ckd"][r] <= d, ctx.dx.ckd_stage[r], 0)
    low = np.select([stage == 3, stage == 4, stage == 5], [30.0, 15.0, 5.0], 60.0)
    high = np.select([stage == 3, stage == 4, stage == 5], [59.0, 29.0, 14.0], 110.0)
    value = low + rng.random(len(r)) * (high - low)
    out.add(r, d, code_index("egfr"), np.rint(value))


def flu_events(ctx: Context, out: EventBatch) -> None:
    """Seasonal flu vaccination, September to March, most in October and November."""
    rng, window = ctx.rng, ctx.window
    seasons = range(_year_of(window.start - 400), _year_of(window.end) + 1)
    chronic = np.zeros(ctx.pop.size, dtype=np.int64) + NO_DATE
    for condition in ("copd", "asthma", "diabetes", "heart_failure", "ckd"):
        chronic = np.minimum(chronic, ctx.dx.onset[condition])
    for year in seasons:
        sep1 = to_days_ymd(year, 9, 1)
        day = sep1 + np.rint(np.abs(rng.normal(40.0, 30.0, ctx.pop.size))).astype(np.int64)
        in_data = (day >= ctx.obs_start) & (day <= ctx.obs_end) & (day <= to_days_ymd(year + 1, 3, 31))
        age = ctx.age_at(day)
        eligible = (age >= 65) | (chronic <= day)
        p = np.where(eligible, ctx.spec.rates["flu_eligible"], np.where(age >= 18, 0.08, 0.0))
        rows = np.flatnonzero(in_data & (rng.random(ctx.pop.size) < p))
        codes = code_indices("flu_vaccination")[choose(rng, len(rows), [0.8, 0.2])]
        out.add(rows, day[rows], codes)


def events_after_death(ctx: Context, out: EventBatch) -> int:
    """Deliberately messy: a blood pressure reading dated after death for a few deceased patients."""
    dead = np.flatnonzero(ctx.pop.death != NO_DATE)
    chosen = dead[ctx.rng.random(len(dead)) < params.EVENT_AFTER_DEATH_RATE]
    days = ctx.pop.death[chosen] + ctx.rng.integers(1, 60, len(chosen))
    out.add(chosen, days, code_index("systolic_bp"), np.full(len(chosen), 128.0))
    return len(chosen)


def _year_of(days: int) -> int:
    return int(str(np.datetime64(int(days), "D"))[:4])


def to_days_ymd(year: int, month: int, day: int) -> int:
    return int(np.datetime64(f"{year:04d}-{month:02d}-{day:02d}", "D").astype(np.int64))
