"""What an analyst would write in pandas for pincer_a, copd010 and dna_rate: a loop over intervals.

The benchmark times this against qiloop and checks both give the same counts.
It follows the library's definitions (docs/measure-library.md) line by line.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from qiloop.codelists import load
from qiloop.measures.dates import Interval, months_before


def _codes(name: str) -> list[str]:
    return sorted(load(name).codes)


def _ts(day: dt.date) -> np.datetime64:
    return np.datetime64(day, "D")


def population(patients: pd.DataFrame, regs: pd.DataFrame, ref: dt.date) -> pd.DataFrame:
    r = ref_ = _ts(ref)
    current = regs[(regs.start_date <= r) & (regs.end_date.isna() | (regs.end_date >= r))].copy()
    current["end_key"] = current.end_date.fillna(pd.Timestamp("2262-01-01"))
    current = current.sort_values(
        ["patient_id", "start_date", "end_key", "practice_id"], ascending=[True, False, False, True]
    ).drop_duplicates("patient_id")
    pop = current.merge(patients, on="patient_id")
    pop = pop[pop.date_of_death.isna() | (pop.date_of_death > ref_)].copy()
    dob = pop.date_of_birth
    months = (ref.year - dob.dt.year) * 12 + (ref.month - dob.dt.month) - (ref.day < dob.dt.day).astype(int)
    pop["age"] = months // 12
    return pop


def _count(frame: pd.DataFrame, column: str = "patient_id") -> pd.Series:
    return (
        frame.groupby("practice_id")[column].count()
        if column == "patient_id"
        else frame.groupby("practice_id")[column].sum()
    )


def pincer_a(pop: pd.DataFrame, meds: pd.DataFrame, ref: dt.date, nsaid: list[str], ppi: list[str]) -> pd.DataFrame:
    low = _ts(months_before(ref, 3) - dt.timedelta(days=1))
    recent = meds[(meds.date > low) & (meds.date <= _ts(ref))]
    on_nsaid = recent.loc[recent.dmd_code.isin(nsaid), "patient_id"].unique()
    on_ppi = recent.loc[recent.dmd_code.isin(ppi), "patient_id"].unique()
    den = pop[
        (pop.age >= 18)
        & (pop.age <= 120)
        & pop.sex.isin(["male", "female"])
        & (pop.age >= 65)
        & ~pop.patient_id.isin(on_ppi)
    ]
    num = den[den.patient_id.isin(on_nsaid)]
    return pd.DataFrame({"numerator": _count(num), "denominator": _count(den)})


def copd010(pop: pd.DataFrame, events: pd.DataFrame, ref: dt.date, c: dict[str, list[str]]) -> pd.DataFrame:
    r = _ts(ref)
    upto = events[events.date <= r]
    copd = upto[upto.snomedct_code.isin(c["copd"])].groupby("patient_id").date.agg(["min", "max"])
    resolved = upto[upto.snomedct_code.isin(c["copd_resolved"])].groupby("patient_id").date.max()
    reg = copd.join(resolved.rename("resolved"))
    reg = reg[reg.resolved.isna() | (reg["max"] > reg.resolved)]
    fev = upto[upto.snomedct_code.isin(c["fev1_fvc"])]
    confirmed = pd.Series(False, index=reg.index)
    for readings in (fev[fev.numeric_value < 0.7], fev[(fev.numeric_value > 1) & (fev.numeric_value < 70)]):
        span = readings.groupby("patient_id").date.agg(["min", "max"]).reindex(reg.index)
        confirmed |= (span["min"] <= reg["min"] + pd.Timedelta(days=186)) & (
            span["max"] >= reg["min"] - pd.Timedelta(days=93)
        )
    reg = reg[(reg["min"] < pd.Timestamp(2023, 4, 1)) | confirmed]
    den = pop[pop.patient_id.isin(reg.index)].copy()
    low12 = _ts(months_before(ref, 12))
    last12 = upto[upto.date > low12]

    def coded(name: str) -> np.ndarray:
        return last12.loc[last12.snomedct_code.isin(c[name]), "patient_id"].unique()

    den["met"] = (
        den.patient_id.isin(coded("copd_review"))
        & den.patient_id.isin(coded("copd_exacerbation_count"))
        & den.patient_id.isin(coded("mrc_grade"))
    )
    low3 = pd.Timestamp(months_before(ref, 3))
    first_dx = den.patient_id.map(reg["min"])
    invites = last12[last12.snomedct_code.isin(c["copd_invite"])].groupby("patient_id").date.agg(["min", "max"])
    invited = invites[invites["max"] >= invites["min"] + pd.Timedelta(days=7)].index
    pca = (
        (first_dx > low3)
        | (den.start_date > low3)
        | den.patient_id.isin(coded("copd_pca_unsuitable"))
        | den.patient_id.isin(coded("copd_pca_dissent"))
        | den.patient_id.isin(invited)
    )
    den = den[den.met | ~pca]
    return pd.DataFrame({"numerator": den.groupby("practice_id").met.sum(), "denominator": _count(den)})


def dna_rate(pop: pd.DataFrame, appts: pd.DataFrame, ref: dt.date) -> pd.DataFrame:
    low = _ts(months_before(ref, 1))
    month = appts[
        (appts.start_date > low) & (appts.start_date <= _ts(ref)) & appts.status.isin(["attended", "did_not_attend"])
    ]
    month = month.merge(pop[["patient_id", "practice_id"]], on="patient_id", suffixes=("_appt", ""))
    month["dna"] = (month.status == "did_not_attend").astype(int)
    return pd.DataFrame({"numerator": month.groupby("practice_id").dna.sum(), "denominator": _count(month)})


def run_pandas(tables: dict[str, pd.DataFrame], intervals: list[Interval]) -> pd.DataFrame:
    """pincer_a, copd010 and dna_rate for every interval, recomputing the population each time."""
    names = ("copd", "copd_resolved", "fev1_fvc", "copd_review", "copd_exacerbation_count", "mrc_grade", "copd_invite")
    codes = {name: _codes(name) for name in (*names, "copd_pca_unsuitable", "copd_pca_dissent")}
    nsaid, ppi = _codes("pincer_nsaid"), _codes("pincer_ulcer_healing")
    out = []
    for interval in intervals:
        ref = interval.end
        pop = population(tables["patients"], tables["practice_registrations"], ref)
        for name, frame in (
            ("pincer_a", pincer_a(pop, tables["medications"], ref, nsaid, ppi)),
            ("copd010", copd010(pop, tables["clinical_events"], ref, codes)),
            ("dna_rate", dna_rate(pop, tables["appointments"], ref)),
        ):
            frame = frame.fillna(0).astype("int64").reset_index()
            frame["measure"] = name
            frame["interval_end"] = ref
            out.append(frame)
    return pd.concat(out, ignore_index=True)
