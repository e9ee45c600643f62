"""The calibration network (about 60,000 patients) lands near England's published figures.

Targets are from reference/domain-notes.md sections 5, 7 and 10; each test
states its tolerance. Figures are computed from the raw tables by the plain
pandas reference in ``synth_reference.py``, not by the generator's own code.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from synth_reference import pincer_rates, prevalence, registered_on

from qiloop.synth.codes import CODES

END = dt.date(2026, 3, 31)
START = dt.date(2021, 4, 1)

PREVALENCE_CASES = [
    # (name, concepts, minimum age, resolved concept, target, tolerance in percentage points)
    ("hypertension", ("hypertension",), 0, "hypertension_resolved", 0.140, 0.015),
    ("diabetes 17+", ("diabetes_type1", "diabetes_type2"), 17, "diabetes_resolved", 0.075, 0.010),
    ("COPD", ("copd",), 0, None, 0.019, 0.004),
    ("asthma (unresolved)", ("asthma",), 0, "asthma_resolved", 0.065, 0.010),
    ("atrial fibrillation", ("atrial_fibrillation",), 0, None, 0.020, 0.005),
    ("heart failure", ("heart_failure",), 0, None, 0.010, 0.0035),
    ("CKD 3-5, 18+", ("ckd_stage3", "ckd_stage4", "ckd_stage5"), 18, None, 0.040, 0.008),
]


@pytest.mark.parametrize("case", PREVALENCE_CASES, ids=[c[0] for c in PREVALENCE_CASES])
def test_prevalence_on_the_end_date_is_near_england(calibration_tables: dict[str, pd.DataFrame], case: tuple) -> None:
    name, concepts, min_age, resolved, target, tolerance = case
    observed = prevalence(calibration_tables, END, concepts, min_age, resolved)
    assert abs(observed - target) <= tolerance, f"{name}: {observed:.4f} vs target {target} ± {tolerance}"


def test_share_aged_65_and_over_is_like_england(calibration_tables: dict[str, pd.DataFrame]) -> None:
    """England: about 18-19% of the registered population is 65+; tolerance 17-21%."""
    pop = registered_on(calibration_tables, END)
    share = float((pop.age >= 65).mean())
    assert 0.17 <= share <= 0.21, share


def test_list_size_at_start_matches_the_requested_patients(calibration_tables: dict[str, pd.DataFrame]) -> None:
    """The lists on the start date add up to --patients exactly (deaths and leavers come later)."""
    from synth_reference import CALIBRATION_PATIENTS

    assert len(registered_on(calibration_tables, START).index.unique()) == pytest.approx(CALIBRATION_PATIENTS, abs=60)


def _appointments_in_window(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    appts = tables["appointments"]
    return appts[(appts.start_date >= START) & (appts.start_date <= END)]


def test_appointments_per_patient_year(calibration_tables: dict[str, pd.DataFrame]) -> None:
    """GPAD: about 5.9 appointments a patient-year; tolerance ± 0.5."""
    reg = calibration_tables["practice_registrations"].drop_duplicates("patient_id")
    first = reg.start_date.clip(lower=START)
    last = reg.end_date.fillna(END).clip(upper=END)
    years = ((pd.to_datetime(last) - pd.to_datetime(first)).dt.days + 1).clip(lower=0).sum() / 365.25
    rate = len(_appointments_in_window(calibration_tables)) / years
    assert 5.4 <= rate <= 6.4, rate


def test_lead_time_mode_role_and_dna_mix(calibration_tables: dict[str, pd.DataFrame]) -> None:
    """GPAD April 2024: same day 45%, within 14 days 82%, face-to-face 65%, GP 45% (± 3 points); DNA 4-5% (3.5-5.5%)."""
    appts = _appointments_in_window(calibration_tables)
    lead = (pd.to_datetime(appts.start_date) - pd.to_datetime(appts.booked_date)).dt.days
    assert abs((lead == 0).mean() - 0.45) <= 0.03
    assert abs((lead <= 14).mean() - 0.82) <= 0.03
    assert abs((appts["mode"] == "face_to_face").mean() - 0.65) <= 0.03
    assert abs((appts.hcp_role == "gp").mean() - 0.45) <= 0.03
    dna = (appts.status == "did_not_attend").mean()
    assert 0.035 <= dna <= 0.055, dna
    same_day_dna = (appts.status[lead == 0] == "did_not_attend").mean()
    later_dna = (appts.status[lead > 7] == "did_not_attend").mean()
    assert later_dna > 2 * same_day_dna  # the DNA rate rises with lead time


def _upc(gp: pd.DataFrame, min_appointments: int) -> pd.Series:
    """Usual provider of care index per patient with enough GP appointments (max per-GP count / count)."""
    counts = gp.groupby(["patient_id", "clinician_id"], observed=True).size()
    per_patient = counts.groupby(level=0)
    n = per_patient.sum()
    return (per_patient.max() / n)[n >= min_appointments]


def test_patients_have_a_usual_gp(calibration_tables: dict[str, pd.DataFrame]) -> None:
    """Continuity like England's, measured as Hull et al. (BJGP 2022) did: patients with 3+ GP consultations in
    2 years, UPC averaged per practice, then over practices: 0.52 in 126 east London practices (range 0.32-0.93).
    Here 0.45-0.60 for the network, every practice 0.30-0.93; and well above chance: the same appointments with
    their GPs shuffled within each practice give a mean UPC at least 0.05 lower."""
    appts = calibration_tables["appointments"]
    two_years = appts[(appts.start_date > dt.date(2024, 3, 31)) & (appts.start_date <= END)]
    gp = two_years[(two_years.hcp_role == "gp") & (two_years.status == "attended")]
    upc = _upc(gp, 3)
    practice = gp.drop_duplicates("patient_id").set_index("patient_id").practice_id
    by_practice = upc.groupby(practice.loc[upc.index]).mean()
    assert 0.45 <= by_practice.mean() <= 0.60, by_practice.to_dict()
    assert by_practice.between(0.30, 0.93).all(), by_practice.to_dict()
    rng = np.random.default_rng(0)
    shuffled = gp.assign(
        clinician_id=gp.groupby("practice_id", observed=True).clinician_id.transform(
            lambda c: rng.permutation(c.to_numpy())
        )
    )
    assert upc.mean() >= _upc(shuffled, 3).mean() + 0.05, (upc.mean(), _upc(shuffled, 3).mean())


def test_pincer_hazards_are_near_the_national_medians(calibration_tables: dict[str, pd.DataFrame]) -> None:
    """Pooled rates at one index date against PINCER practice medians (pre period).

    Wide tolerances because denominators are small (tens to thousands) and
    pooled rates are not medians: A 1.16% (0.6-2.0%), D 1.41% (0.5-3.5%),
    G 1.30% (0.5-2.5%), AC 5-13% (3-16%), ME-FBC 18.7% (5-40%), LI 34% (10-65%),
    AM 35% (10-65%: about 50 patients on amiodarone across 7 practices whose
    monitoring differs, so the pooled rate's 95% range is about ± 0.2; other
    seeds of this network give 0.31-0.41).
    """
    rates = pincer_rates(calibration_tables, dt.date(2025, 10, 1))
    bounds = {
        "A": (0.006, 0.020),
        "D": (0.005, 0.035),
        "G": (0.005, 0.025),
        "AC": (0.03, 0.16),
        "ME_FBC": (0.05, 0.40),
        "LI": (0.10, 0.65),
        "AM": (0.10, 0.65),
    }
    for name, (low, high) in bounds.items():
        assert low <= rates[name] <= high, (name, rates[name], rates["_sizes"])


def test_deaths_and_turnover_happen(calibration_tables: dict[str, pd.DataFrame]) -> None:
    """About 0.9% die a year (England); lists turn over (joiners, leavers, births inside the window)."""
    patients = calibration_tables["patients"]
    deaths = patients.date_of_death.notna().sum() / (len(patients) * 5)
    assert 0.005 <= deaths <= 0.013
    assert (patients.date_of_birth >= START).sum() > 0.03 * len(patients)
    reg = calibration_tables["practice_registrations"]
    assert (reg.start_date > START).mean() > 0.15
    assert reg.end_date.notna().mean() > 0.15


def _coded(tables: dict[str, pd.DataFrame], concept: str, lo: dt.date | None, hi: dt.date) -> pd.DataFrame:
    """Rows of ``concept`` dated after ``lo`` (if given) and on or before ``hi``."""
    events = tables["clinical_events"]
    rows = events[events.snomedct_code.isin(CODES[concept]) & (events.date <= hi)]
    return rows if lo is None else rows[rows.date > lo]


def test_moderate_or_severe_frailty_is_like_the_efi(calibration_tables: dict[str, pd.DataFrame]) -> None:
    """Coded frailty in GP records (Wakefield JSNA "Frailty", December 2024): 11.2% of people aged 65+ have a
    moderate or severe frailty code, 18% of them severe; the eFI computed for everyone gives about 15% (Clegg et al.
    2016, as recalled). Tolerance: 9-17% of people aged 65+, and 10-30% of the frail coded severe.

    Diabetes with frailty (DM021's denominator) must exist: 5-25% of the diabetes register aged 17+. No one is coded
    frail before 65.
    """
    pop = registered_on(calibration_tables, END)
    frail = set(_coded(calibration_tables, "frailty", None, END).patient_id)
    old = pop[pop.age >= 65]
    share = float(old.index.isin(frail).mean())
    assert 0.09 <= share <= 0.17, share
    latest = _coded(calibration_tables, "frailty", None, END).sort_values("date").groupby("patient_id").last()
    severe_share = float((latest.snomedct_code == CODES["frailty"][1]).mean())
    assert 0.10 <= severe_share <= 0.30, severe_share
    diabetes = set(_coded(calibration_tables, "diabetes_type1", None, END).patient_id) | set(
        _coded(calibration_tables, "diabetes_type2", None, END).patient_id
    )
    register = pop[(pop.age >= 17) & pop.index.isin(diabetes)]
    frail_share = float(register.index.isin(frail).mean())
    assert 0.05 <= frail_share <= 0.25, frail_share
    coded = _coded(calibration_tables, "frailty", None, END).merge(
        calibration_tables["patients"][["patient_id", "date_of_birth"]], on="patient_id"
    )
    age_at_code = (pd.to_datetime(coded.date) - pd.to_datetime(coded.date_of_birth)).dt.days / 365.25
    assert (age_at_code >= 64.9).all()


def test_chads2_vasc_scores_are_recorded_for_af(calibration_tables: dict[str, pd.DataFrame]) -> None:
    """AF006 and AF008 need recorded CHA2DS2-VASc scores: 30-80% of the AF register has one in the last 12 months
    (at diagnosis and at some reviews); scores are whole numbers 0-9, mostly 2 or more (AF is a disease of old
    age), and everyone aged 75+ scores at least 2."""
    pop = registered_on(calibration_tables, END)
    af = pop[pop.index.isin(set(_coded(calibration_tables, "atrial_fibrillation", None, END).patient_id))]
    year = _coded(calibration_tables, "chads2_vasc_score", dt.date(2025, 3, 31), END)
    share = float(af.index.isin(set(year.patient_id)).mean())
    assert 0.30 <= share <= 0.80, share
    scores = _coded(calibration_tables, "chads2_vasc_score", None, END).merge(
        calibration_tables["patients"][["patient_id", "date_of_birth"]], on="patient_id"
    )
    values = scores.numeric_value
    assert values.notna().all() and (values == values.round()).all() and values.between(0, 9).all()
    assert (values >= 2).mean() >= 0.7
    age = (pd.to_datetime(scores.date) - pd.to_datetime(scores.date_of_birth)).dt.days / 365.25
    assert (values[age >= 75.01] >= 2).all()


def test_copd_reviews_record_exacerbations_and_invitations(calibration_tables: dict[str, pd.DataFrame]) -> None:
    """COPD010 parts: the number of exacerbations in the past year is recorded for 55-90% of the register in the
    last 12 months, averaging 0.3-1.2 (about 0.6 exacerbations a year); 3-20% of the register were not reviewed
    after two invitations at least 7 days apart (the invitation PCA)."""
    pop = registered_on(calibration_tables, END)
    copd = pop[pop.index.isin(set(_coded(calibration_tables, "copd", None, END).patient_id))]
    since = dt.date(2025, 3, 31)
    counts = _coded(calibration_tables, "copd_exacerbation_count", since, END)
    assert 0.55 <= float(copd.index.isin(set(counts.patient_id)).mean()) <= 0.90
    assert 0.3 <= float(counts.numeric_value.mean()) <= 1.2, counts.numeric_value.mean()
    invites = _coded(calibration_tables, "copd_invite", since, END).groupby("patient_id").date.agg(["min", "max"])
    twice = invites[(pd.to_datetime(invites["max"]) - pd.to_datetime(invites["min"])).dt.days >= 7].index
    reviewed = set(_coded(calibration_tables, "copd_review", since, END).patient_id)
    pca = float(copd.index.isin(set(twice) - reviewed).mean())
    assert 0.03 <= pca <= 0.20, pca
