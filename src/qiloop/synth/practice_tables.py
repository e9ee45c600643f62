"""Generate one practice's rows for every table, as Arrow arrays ready to write."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from qiloop.records.schema import APPOINTMENT_MODES, APPOINTMENT_STATUSES, ETHNICITIES, HCP_ROLES, SEXES
from qiloop.synth import params
from qiloop.synth.appointments import clinician_ids, make_appointments
from qiloop.synth.batches import VOCABULARY, EventBatch, code_indices
from qiloop.synth.clinical import (
    Context,
    asthma_events,
    blood_pressure_events,
    chads2_vasc_events,
    copd_events,
    diabetes_events,
    diagnosis_events,
    events_after_death,
    flu_events,
    frailty_events,
    kidney_events,
)
from qiloop.synth.conditions import CONDITIONS, diagnose
from qiloop.synth.population import Population, Window, make_population
from qiloop.synth.practices import PracticeSpec
from qiloop.synth.prescribing import issue_dates, long_term_courses, monitoring_tests, nsaid_courses
from qiloop.synth.sampling import NO_DATE

_VOCAB = pa.array(VOCABULARY, type=pa.string())
_SEXES = pa.array(SEXES, type=pa.string())
_ETHNICITIES = pa.array(ETHNICITIES, type=pa.string())
_STATUSES = pa.array(APPOINTMENT_STATUSES, type=pa.string())
_MODES = pa.array(APPOINTMENT_MODES, type=pa.string())
_ROLES = pa.array(HCP_ROLES, type=pa.string())


@dataclass
class PracticeTables:
    """Arrow columns per table for one practice, and counts of the deliberately messy rows."""

    tables: dict[str, dict[str, pa.Array]]
    patients: int
    appointments: int
    messy: dict[str, int] = field(default_factory=dict)


def _dates(days: np.ndarray) -> pa.Array:
    missing = days == NO_DATE
    values = np.where(missing, 0, days).astype(np.int32)
    return pa.array(values, type=pa.int32(), mask=missing if missing.any() else None).cast(pa.date32())


def _dictionary(indices: np.ndarray, dictionary: pa.Array, missing: np.ndarray | None = None) -> pa.Array:
    idx = pa.array(
        np.asarray(indices, dtype=np.int32),
        type=pa.int32(),
        mask=missing if missing is not None and missing.any() else None,
    )
    return pa.DictionaryArray.from_arrays(idx, dictionary)


def _sorted_unique(rows: np.ndarray, dates: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Order by patient, date, code; keep the first of rows sharing all three (one reading of a code a day)."""
    key = (rows.astype(np.int64) << 36) | ((dates.astype(np.int64) + 100_000) << 14) | codes.astype(np.int64)
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return order[first]


def generate_practice(
    rng: np.random.Generator,
    spec: PracticeSpec,
    window: Window,
    first_patient_id: int,
    first_appointment_id: int,
    other_practice_id: str,
) -> PracticeTables:
    pop = make_population(rng, spec, first_patient_id, window)
    obs_start, obs_end = pop.obs_start(window), pop.obs_end(window)
    dx = diagnose(rng, pop, obs_end, spec.prevalence_factors)
    ctx = Context(rng=rng, pop=pop, dx=dx, spec=spec, window=window, obs_start=obs_start, obs_end=obs_end)

    events = EventBatch()
    diagnosis_events(ctx, events)
    copd_events(ctx, events)
    asthma_events(ctx, events)
    blood_pressure_events(ctx, events)
    diabetes_events(ctx, events)
    kidney_events(ctx, events)
    flu_events(ctx, events)
    frailty_events(ctx, events)
    chads2_vasc_events(ctx, events)
    after_death = events_after_death(ctx, events)

    courses = long_term_courses(ctx)
    meds = EventBatch()
    m_rows, m_dates, m_codes, _ = issue_dates(ctx, courses)
    meds.add(m_rows, m_dates, m_codes)
    c_rows, _, _, c_codes = courses.joined()
    anticoagulated = np.zeros(pop.size, dtype=bool)
    anticoagulated[c_rows[np.isin(c_codes, np.concatenate([code_indices("warfarin"), code_indices("doac")]))]] = True
    nsaid_courses(ctx, anticoagulated, meds)
    monitoring_tests(ctx, courses, events)

    n_conditions = sum((dx.onset[c] != NO_DATE).astype(np.int64) for c in CONDITIONS)
    clinicians, role_positions = clinician_ids(spec.practice_id, spec.list_size, spec.gps)
    appts = make_appointments(ctx, np.asarray(n_conditions), role_positions)

    pid = pop.patient_id
    tables: dict[str, dict[str, pa.Array]] = {}
    tables["patients"] = {
        "patient_id": pa.array(pid),
        "date_of_birth": _dates(pop.dob),
        "sex": _dictionary(pop.sex, _SEXES),
        "date_of_death": _dates(pop.death),
        "ethnicity": _dictionary(np.maximum(pop.ethnicity, 0), _ETHNICITIES, pop.ethnicity < 0),
        "imd_quintile": pa.array(pop.imd.astype(np.int64), mask=pop.imd == 0),
    }
    tables["practice_registrations"], overlapping = _registrations(
        rng, pop, window, spec.practice_id, other_practice_id
    )

    e_rows, e_dates, e_codes, e_values = events.arrays()
    order = _sorted_unique(e_rows, e_dates, e_codes)
    e_rows, e_dates, e_codes, e_values = e_rows[order], e_dates[order], e_codes[order], e_values[order]
    tables["clinical_events"] = {
        "patient_id": pa.array(pid[e_rows]),
        "date": _dates(e_dates),
        "snomedct_code": _dictionary(e_codes, _VOCAB),
        "numeric_value": pa.array(e_values, mask=np.isnan(e_values)),
    }
    m_rows, m_dates, m_codes, _ = meds.arrays()
    order = _sorted_unique(m_rows, m_dates, m_codes)
    tables["medications"] = {
        "patient_id": pa.array(pid[m_rows[order]]),
        "date": _dates(m_dates[order]),
        "dmd_code": _dictionary(m_codes[order], _VOCAB),
    }
    n_appts = len(appts.rows)
    tables["appointments"] = {
        "appointment_id": pa.array(np.arange(first_appointment_id, first_appointment_id + n_appts, dtype=np.int64)),
        "patient_id": pa.array(pid[appts.rows]),
        "practice_id": _dictionary(np.zeros(n_appts), pa.array([spec.practice_id])),
        "booked_date": _dates(appts.booked),
        "start_date": _dates(appts.start),
        "status": _dictionary(appts.status, _STATUSES),
        "mode": _dictionary(appts.mode, _MODES),
        "hcp_role": _dictionary(appts.role, _ROLES),
        "clinician_id": _dictionary(appts.clinician, pa.array(clinicians)),
    }
    messy = {"events_after_death": after_death, "overlapping_registrations": overlapping}
    messy["unknown_sex"] = int(np.count_nonzero(pop.sex == 3))
    return PracticeTables(tables=tables, patients=pop.size, appointments=n_appts, messy=messy)


def _registrations(
    rng: np.random.Generator, pop: Population, window: Window, practice_id: str, other_practice_id: str
) -> tuple[dict[str, pa.Array], int]:
    """One registration per patient, plus a few deliberately overlapping ones at another practice."""
    n = pop.size
    chosen = np.flatnonzero(rng.random(n) < params.OVERLAPPING_REGISTRATION_RATE)
    extra_start = pop.reg_start[chosen] + rng.integers(30, 400, len(chosen))
    extra_end = extra_start + rng.integers(30, 200, len(chosen))
    overlaps = (extra_start < np.minimum(pop.reg_end[chosen], pop.death[chosen])) & (extra_start <= window.end)
    extra_end = np.where(extra_end > window.end, NO_DATE, extra_end)
    chosen, extra_start, extra_end = chosen[overlaps], extra_start[overlaps], extra_end[overlaps]
    rows = np.concatenate([np.arange(n), chosen])
    start = np.concatenate([pop.reg_start, extra_start])
    end = np.concatenate([pop.reg_end, extra_end])
    which = np.concatenate([np.zeros(n, dtype=np.int32), np.ones(len(chosen), dtype=np.int32)])
    order = np.lexsort((start, rows))
    columns = {
        "patient_id": pa.array(pop.patient_id[rows[order]]),
        "start_date": _dates(start[order]),
        "end_date": _dates(end[order]),
        "practice_id": _dictionary(which[order], pa.array([practice_id, other_practice_id])),
    }
    return columns, len(chosen)
