"""Plain pandas computations of the figures the calibration tests check (a reference, not the measures engine)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from qiloop.synth.codes import CODES

# The calibration network shared by the calibration tests (tests/synth/conftest.py).
CALIBRATION_PATIENTS = 60_000
CALIBRATION_PRACTICES = 7


def load(out_dir: Path) -> dict[str, pd.DataFrame]:
    return {
        name: pd.read_parquet(out_dir / f"{name}.parquet")
        for name in (
            "practices",
            "patients",
            "practice_registrations",
            "clinical_events",
            "medications",
            "appointments",
        )
    }


def registered_on(tables: dict[str, pd.DataFrame], day: dt.date) -> pd.DataFrame:
    """Patients registered and alive on ``day``, with their age then."""
    reg = tables["practice_registrations"]
    on = reg[(reg.start_date <= day) & (reg.end_date.isna() | (reg.end_date > day))]
    on = on.drop_duplicates("patient_id")
    pats = tables["patients"].set_index("patient_id").loc[on.patient_id]
    alive = pats.date_of_death.isna() | (pats.date_of_death > day)
    pats = pats[alive.to_numpy()].copy()
    dob = pd.to_datetime(pats.date_of_birth)
    when = pd.Timestamp(day)
    pats["age"] = (when.year - dob.dt.year) - ((when.month, when.day) < (1, 1)) - (dob.dt.month > when.month)
    pats["practice_id"] = on.set_index("patient_id").loc[pats.index, "practice_id"].to_numpy()
    return pats


def with_code(events: pd.DataFrame, concept: str, by: dt.date) -> pd.Series:
    """Latest date of any code of ``concept`` on or before ``by``, per patient."""
    rows = events[events.snomedct_code.isin(CODES[concept]) & (events.date <= by)]
    return rows.groupby("patient_id").date.max()


def prevalence(
    tables: dict[str, pd.DataFrame],
    day: dt.date,
    concepts: tuple[str, ...],
    min_age: int = 0,
    resolved: str | None = None,
) -> float:
    pop = registered_on(tables, day)
    pop = pop[pop.age >= min_age]
    events = tables["clinical_events"]
    latest = pd.concat([with_code(events, c, day) for c in concepts], axis=1).max(axis=1)
    if resolved is not None:
        res = with_code(events, resolved, day).reindex(latest.index)
        latest = latest[res.isna() | (res < latest)]
    return float(pop.index.isin(latest.index).mean())


def issued_between(meds: pd.DataFrame, concept: str, lo: dt.date, hi: dt.date) -> set[int]:
    rows = meds[meds.dmd_code.isin(CODES[concept]) & (meds.date >= lo) & (meds.date <= hi)]
    return set(rows.patient_id.unique())


def tested_between(events: pd.DataFrame, concept: str, lo: dt.date, hi: dt.date) -> set[int]:
    rows = events[events.snomedct_code.isin(CODES[concept]) & (events.date >= lo) & (events.date <= hi)]
    return set(rows.patient_id.unique())


def months_before(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 - months
    return dt.date(total // 12, total % 12 + 1, min(day.day, 28))


def pincer_rates(tables: dict[str, pd.DataFrame], index: dt.date) -> dict[str, float]:
    """A few PINCER indicators at one index date, following domain-notes section 5 (simplified)."""
    pop = registered_on(tables, index)
    pop = pop[(pop.age >= 18) & pop.sex.isin(["male", "female"])]
    ids = set(pop.index)
    meds, events = tables["medications"], tables["clinical_events"]
    m3 = months_before(index, 3)
    nsaid3 = issued_between(meds, "nsaid", m3, index)
    ppi3 = issued_between(meds, "ppi", m3, index)
    anticoag3 = issued_between(meds, "warfarin", m3, index) | issued_between(meds, "doac", m3, index)
    out: dict[str, float] = {}
    den_a = set(pop.index[pop.age >= 65]) - ppi3
    out["A"] = len(den_a & nsaid3) / max(len(den_a), 1)
    den_d = anticoag3 & ids
    out["D"] = len(den_d & nsaid3) / max(len(den_d), 1)
    asthma = with_code(events, "asthma", m3)
    res = with_code(events, "asthma_resolved", index).reindex(asthma.index)
    den_g = set(asthma[res.isna()].index) & ids
    out["G"] = len(den_g & issued_between(meds, "nonselective_beta_blocker", m3, index)) / max(len(den_g), 1)
    m6 = months_before(index, 6)
    mtx = issued_between(meds, "methotrexate", m6, m3) & issued_between(meds, "methotrexate", m3, index) & ids
    out["ME_FBC"] = len(mtx - tested_between(events, "full_blood_count", m3, index)) / max(len(mtx), 1)
    li = issued_between(meds, "lithium", m6, m3) & issued_between(meds, "lithium", m3, index) & ids
    out["LI"] = len(li - tested_between(events, "lithium_level", m3, index)) / max(len(li), 1)
    m12 = months_before(index, 12)
    am = issued_between(meds, "amiodarone", m12, m6) & issued_between(meds, "amiodarone", m6, index) & ids
    out["AM"] = len(am - tested_between(events, "thyroid_function_test", m6, index)) / max(len(am), 1)
    m15 = months_before(index, 15)
    long_term = set()
    for concept in ("ace_inhibitor", "loop_diuretic"):
        long_term |= issued_between(meds, concept, dt.date(1900, 1, 1), m15) & issued_between(meds, concept, m6, index)
    den_ac = long_term & set(pop.index[pop.age >= 75])
    tested = tested_between(events, "renal_function_test", m15, index) & tested_between(
        events, "electrolytes_test", m15, index
    )
    out["AC"] = len(den_ac - tested) / max(len(den_ac), 1)
    out["_sizes"] = {
        "A": len(den_a),
        "D": len(den_d),
        "G": len(den_g),
        "ME": len(mtx),
        "LI": len(li),
        "AM": len(am),
        "AC": len(den_ac),
    }  # type: ignore[assignment]
    return out
