"""Calibration facts and rates for the synthetic network.

Population shapes are published facts (ONS, NHS Digital, GPAD, PINCER
released medians; see ``reference/domain-notes.md`` sections 5, 7 and 10).
The disease curves are shapes by age that :mod:`qiloop.synth.conditions`
rescales so that prevalence under England's pyramid hits the targets in
``PREVALENCE_TARGETS``.
"""

from __future__ import annotations

import numpy as np

DAYS_PER_YEAR = 365.25

# ONS mid-year estimates for England, share of the population by 5-year age
# band (0-4, 5-9, ..., 85-89, 90+), rounded; normalised at use.
AGE_BAND_SHARES = np.array(
    [5.4, 5.9, 6.1, 5.8, 6.0, 6.5, 6.9, 6.8, 6.5, 6.2, 6.8, 6.8, 6.0, 5.1, 4.9, 3.9, 2.6, 1.6, 0.9], dtype=float
)
AGE_BAND_SHARES = AGE_BAND_SHARES / AGE_BAND_SHARES.sum()
AGE_BAND_LOWER = np.arange(0, 95, 5, dtype=float)  # 90+ is drawn from 90 to 100
AGE_BAND_WIDTH = np.array([5.0] * 18 + [10.0])
# Share female by band: about half until late middle age, rising in old age.
FEMALE_SHARE_BY_BAND = np.array([0.488] * 13 + [0.515, 0.525, 0.545, 0.57, 0.61, 0.68])
UNKNOWN_SEX_RATE = 0.0002  # deliberately messy: a few records without male/female

# ONS 2021 census, England, 5 groups (order of schema.ETHNICITIES: white, mixed, asian, black, other).
ETHNICITY_SHARES = np.array([0.810, 0.030, 0.096, 0.042, 0.022])
ETHNICITY_NULL_MEAN = 0.08  # mean share of patients with no recorded ethnicity (varies by practice)
IMD_NULL_RATE = 0.02

# NHS Digital list-size bands (July 2020): lower bound, upper bound, share.
LIST_SIZE_BANDS = (
    (1000, 2000, 0.029),
    (2000, 4000, 0.115),
    (4000, 6000, 0.179),
    (6000, 8000, 0.155),
    (8000, 10000, 0.128),
    (10000, 12000, 0.101),
    (12000, 15000, 0.117),
    (15000, 20000, 0.137),
    (20000, 36000, 0.039),
)
PCN_TARGET_SIZE = 40_000  # patients per primary care network (30-50k in England)

# Mortality: Gompertz hazard h(age) = exp(GOMPERTZ_LOG_A + GOMPERTZ_B * age) a year
# (about 0.3%/y at 50, 5%/y at 80, 12%/y at 90: England's life tables, roughly).
GOMPERTZ_LOG_A = -10.5
GOMPERTZ_B = 0.093
BIRTH_RATE = 0.0105  # live births per person-year
# Leaving the practice (moving away), per year by age: under 18, 18-34, 35-64, 65+.
LEAVE_RATE_BY_AGE = ((18, 0.05), (35, 0.13), (65, 0.05), (200, 0.03))
LIST_GROWTH_RATE = 0.004  # joiners exceed leavers + deaths - births by this share a year
INITIAL_REGISTRATION_MEAN_YEARS = 9.0

# Prevalence targets on the end date among registered patients (domain-notes section 10).
# (condition, target, minimum age of the denominator)
PREVALENCE_TARGETS: dict[str, tuple[float, int]] = {
    "hypertension": (0.140, 0),
    "diabetes": (0.075, 17),
    "copd": (0.019, 0),
    "asthma": (0.065, 0),
    "atrial_fibrillation": (0.020, 0),
    "heart_failure": (0.010, 0),
    "ckd": (0.040, 18),
    "peptic_ulcer": (0.012, 0),
}

# Shapes of the cumulative chance of a diagnosis by age (age, relative level);
# each is rescaled to its target. Monotone so that onset ages can be drawn by inversion.
CONDITION_AGE_CURVES: dict[str, tuple[tuple[float, float], ...]] = {
    "hypertension": ((0, 0.0), (25, 0.002), (35, 0.03), (45, 0.09), (55, 0.2), (65, 0.34), (75, 0.47), (90, 0.58)),
    "diabetes": ((0, 0.0), (10, 0.002), (17, 0.004), (35, 0.025), (45, 0.06), (55, 0.11), (65, 0.16), (75, 0.2)),
    "copd": ((0, 0.0), (35, 0.0), (45, 0.006), (55, 0.022), (65, 0.048), (75, 0.075), (90, 0.09)),
    "asthma": ((0, 0.0), (3, 0.02), (10, 0.07), (20, 0.08), (40, 0.09), (70, 0.105), (100, 0.11)),
    "atrial_fibrillation": ((0, 0.0), (40, 0.0), (50, 0.004), (60, 0.015), (70, 0.04), (80, 0.085), (95, 0.14)),
    "heart_failure": ((0, 0.0), (45, 0.0), (55, 0.003), (65, 0.01), (75, 0.028), (85, 0.06), (100, 0.09)),
    "ckd": ((0, 0.0), (40, 0.0), (50, 0.01), (60, 0.03), (70, 0.08), (80, 0.18), (95, 0.3)),
    "peptic_ulcer": ((0, 0.0), (20, 0.0), (40, 0.006), (60, 0.02), (80, 0.04), (100, 0.05)),
}
ASTHMA_RESOLVED_SHARE = 0.22  # of people ever diagnosed, coded resolved 1-8 years later
# Resolved codes: (share of the diagnosed, (years after diagnosis, low and high)).
RESOLVED_CODES: dict[str, tuple[float, tuple[float, float]]] = {
    "asthma": (ASTHMA_RESOLVED_SHARE, (1.0, 8.0)),
    "hypertension": (0.01, (1.0, 6.0)),
    "diabetes": (0.005, (1.0, 6.0)),
    "copd": (0.005, (1.0, 6.0)),
}
DIABETES_TYPE1_SHARE = 0.08
# Deprivation: prevalence multipliers by the practice's IMD quintile (1 = most deprived, 5 = least), rescaled so
# the network's list-weighted mean is 1 (the targets above still hold). McLean et al., Int J Health Geogr
# 2008;7:37 (QOF 2005/06): COPD 3.1% in the most deprived decile of Scottish practice populations against 0.9% in
# the least; diabetes 4.0% against 2.9% for English practices (by practice postcode). Quintiles are less extreme
# than deciles, so the extreme quintiles differ 2.5-fold for COPD and 1.3-fold for diabetes.
PREVALENCE_BY_IMD_QUINTILE: dict[str, tuple[float, ...]] = {
    "copd": (1.6, 1.25, 1.0, 0.8, 0.65),
    "diabetes": (1.15, 1.07, 1.0, 0.94, 0.87),
}

# QOF-style annual completion (a practice's own rate is drawn around these).
REVIEW_RATES = {
    "copd_review": 0.78,
    "asthma_review": 0.70,
    "bp_hypertension": 0.85,
    "hba1c_diabetes": 0.88,
    "egfr_ckd": 0.9,
    "flu_eligible": 0.72,
}
PRACTICE_QUALITY_SD = 0.6  # spread of practice completion on the logit scale
# Practices differ in how well controlled their patients are, not only in how often they check (HYP008, DM020).
# No published practice-level spread was found; these are judgements that give HYP008 and DM020 a spread beyond
# chance within QOF's payment range (HYP008 40-85%, DM020 37-75%: domain-notes section 6.2).
PRACTICE_BP_OFFSET_SD = 3.0  # mmHg, added to the systolic mean of people with hypertension
PRACTICE_HBA1C_LOG_SD = 0.06  # on the log scale of people's mean HbA1c (about 3 mmol/mol at 55)

# COPD recall details (QOF COPD010 needs the review, an MRC grade and the number of exacerbations).
COPD_EXACERBATIONS_PER_YEAR = 0.6  # mean; spread across patients (gamma, shape 0.8)
COPD_EXACERBATION_COUNT_RECORDED = 0.95  # share of reviews recording the number of exacerbations in the past year
COPD_INVITED = 0.85  # share of recall dates preceded by an invitation
COPD_SECOND_INVITATION = 0.6  # share of invited patients who did not come that get a second invitation
# Moderate or severe frailty codes. Published figure calibrated to: Wakefield JSNA "Frailty" (December 2024,
# wakefieldjsna.co.uk, from GP records): of residents aged 65+, 20.2% have a frailty code - 9.0% mild, 9.2%
# moderate, 2.0% severe - so 11.2% moderate or severe, of whom 18% severe. Clegg et al. 2016 (Age Ageing 45:353,
# the eFI's development) reports more when the eFI is computed for everyone (about 12% moderate and 3% severe:
# recalled, not re-checked); a practice's coded frailty sits between the two. Chance of a code by age at the end
# of the data: 85+, 75-84, 65-74; times this with two or more conditions.
FRAILTY_BY_AGE = (0.32, 0.16, 0.06)
FRAILTY_MULTIMORBIDITY_FACTOR = 1.6
FRAILTY_SEVERE_SHARE = 0.2
# CHA2DS2-VASc: recorded at AF diagnosis for most, then at some annual reviews; vascular disease share of AF.
CHADS_VASC_AT_DIAGNOSIS = 0.85
CHADS_VASC_AT_REVIEW = 0.5
VASCULAR_DISEASE_SHARE = 0.2

# PINCER medians (domain-notes section 10, "pre" period) the prescribing model aims at.
PINCER_TARGETS = {
    "A": 0.0116,
    "B": 0.0125,
    "D": 0.0141,
    "G": 0.0130,
    "I": 0.0168,
    "AC": 0.08,
    "ME_FBC": 0.187,
    "ME_LFT": 0.195,
    "LI": 0.343,
    "AM": 0.346,
}

# Appointments (GPAD, domain-notes sections 7.1 and 10).
APPOINTMENTS_PER_PATIENT_YEAR = 5.9
# Lead time from booking, days: (low, high inclusive, share). 45% same day, 82% within 14 days.
LEAD_TIME_BANDS = ((0, 0, 0.45), (1, 1, 0.08), (2, 7, 0.17), (8, 14, 0.12), (15, 28, 0.10), (29, 60, 0.08))
# DNA rate by lead time (GPAD 2017/18 analysis), scaled so the overall rate is about 4.5%.
DNA_RATE_BY_LEAD = ((0, 0.017), (1, 0.043), (7, 0.058), (10_000, 0.073))
CANCELLED_BY_PATIENT_RATE = 0.03
CANCELLED_BY_PRACTICE_RATE = 0.015
MODE_SHARES = {"face_to_face": 0.65, "telephone": 0.285, "video": 0.015, "home_visit": 0.01, "online": 0.04}
HCP_ROLE_SHARES = {"gp": 0.45, "nurse": 0.30, "pharmacist": 0.07, "other": 0.18}
# Practice access styles (Scuffell, Durbaba and Ashworth, BJGP 2025, GPAD Aug-Oct 2023, 3,480 practices: 1,194
# "same-day care" practices, more telephone, and 2,286 "routine care" practices, more face to face and longer
# waits). Offsets on the logit scale, (same-day model, routine model), then shifted so the network matches the
# national shares above. The spread is a judgement: no published practice-level distribution was found, only
# the extremes (GPAD October 2022: 12% face to face at the lowest practice, some practices with no same-day
# appointments, against 73% and 39% nationally).
SAME_DAY_MODEL_SHARE = 1194 / 3480
SAME_DAY_LOGIT_BY_MODEL = (0.6, -0.3)
SAME_DAY_LOGIT_SD = 0.35
FACE_TO_FACE_LOGIT_BY_MODEL = (-0.4, 0.2)
FACE_TO_FACE_LOGIT_SD = 0.45

# Continuity with a GP. Published usual provider of care (UPC) indices in English general practice: mean 0.61
# for patients aged 62-82 with 2+ GP contacts in 2011-13 (0.70 in small practices, 0.59 in large; Barker,
# Steventon and Deeny, BMJ 2017;356:j84, 200 CPRD practices); practice means 0.52 on average, range 0.32-0.93,
# for patients with 3+ consultations in 2017-18 (Hull et al., BJGP 2022;72:e773, 126 east London practices),
# higher for people over 60 (+0.082). Continuity fell through the 2010s (GP Patient Survey: patients seeing
# their preferred GP "usually" fell 9.7 points in 2012-17, Tammes et al., BJGP 2021;71:e432) and held or rose
# during the pandemic (Health Foundation 2023); no figure after 2021 was found.
# List size per FTE GP, England 2011/12: mean 1,839 (10th-90th centile 1,074-2,635), from a BJGP table of practice
# characteristics (n = 7,800; the paper itself was not identified).
PATIENTS_PER_GP = 1840
MIN_GPS = 2  # even a single-handed practice's patients see a locum or a partner practice's GP some of the time
# A practice's chance that a GP appointment is with the patient's usual GP (for a patient under 60 at the
# start date; normal, clipped). The measured UPC is higher: other GPs are sometimes the usual one by chance.
CONTINUITY_MEAN = 0.32
CONTINUITY_SD = 0.15
CONTINUITY_RANGE = (0.05, 0.85)
CONTINUITY_PATIENT_LOGIT_SD = 0.8  # patients of one practice differ (some always book their own GP)
CONTINUITY_OLDER_LOGIT = 0.6  # aged 60+: more continuity (Hull et al. 2022)
CONTINUITY_DECLINE_LOGIT_PER_YEAR = 0.06  # about 1.5 points a year at 50%: a slower fall than the 2010s
FUTURE_BOOKING_DAYS = 60  # appointments booked up to this far beyond the end date are written as booked

# Deliberately messy records, so the quality report has something to find.
OVERLAPPING_REGISTRATION_RATE = 0.0003  # share of patients with an overlapping second registration
EVENT_AFTER_DEATH_RATE = 0.01  # share of deceased patients with one event dated after death
