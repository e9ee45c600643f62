"""Appointments: how many, booked how far ahead, with whom, how, and whether the patient came.

Rates depend on age, sex and long-term conditions and are scaled so that the
practice's mean is 5.9 a patient-year times its own factor. Lead times and
modes follow the practice's own same-day and face-to-face shares (around
GPAD's 45% and 65%); the did-not-attend chance rises with lead time. A GP
appointment is with the patient's usual GP with a chance that depends on
the practice, the patient, their age and the year (see ``usual_gp_chance``).
Appointments after the end date are written ``booked``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qiloop.records.schema import APPOINTMENT_MODES, APPOINTMENT_STATUSES, HCP_ROLES
from qiloop.synth import params
from qiloop.synth.clinical import Context
from qiloop.synth.sampling import NO_DATE, choose, expand, expit, logit, to_days

YEAR = params.DAYS_PER_YEAR
STATUS = {name: i for i, name in enumerate(APPOINTMENT_STATUSES)}


@dataclass
class AppointmentRows:
    rows: np.ndarray
    booked: np.ndarray
    start: np.ndarray
    status: np.ndarray  # index into APPOINTMENT_STATUSES
    mode: np.ndarray  # index into APPOINTMENT_MODES
    role: np.ndarray  # index into HCP_ROLES
    clinician: np.ndarray  # index into the practice's clinician list


def clinician_ids(practice_id: str, list_size: int, gps: int) -> tuple[list[str], dict[str, np.ndarray]]:
    """Pseudonymous clinicians of a practice (``Q10001-C07``) and the positions of each role among them."""
    counts = {
        "gp": gps,
        "nurse": max(1, round(list_size / 3500)),
        "pharmacist": max(1, round(list_size / 9000)),
        "other": max(1, round(list_size / 4000)),
    }
    ids: list[str] = []
    positions: dict[str, np.ndarray] = {}
    for role in HCP_ROLES:
        first = len(ids)
        ids.extend(f"{practice_id}-C{k + 1:02d}" for k in range(first, first + counts[role]))
        positions[role] = np.arange(first, len(ids))
    return ids, positions


def _base_rate(age: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Relative consultation rate by age and sex (GP appointment patterns: high in infancy and old age)."""
    return np.select(
        [age < 5, age < 15, age < 45, age < 65, age < 75, age < 85],
        [6.0, 2.5, np.where(female, 5.5, 3.0), np.where(female, 6.0, 4.5), 8.0, 11.0],
        14.0,
    )


def lead_time_shares(same_day: float) -> np.ndarray:
    """The lead-time band shares with the practice's same-day share; the later bands keep their national ratios."""
    shares = np.array([b[2] for b in params.LEAD_TIME_BANDS], dtype=float)
    shares[1:] *= (1.0 - same_day) / shares[1:].sum()
    shares[0] = same_day
    return shares


def mode_shares(face_to_face: float) -> np.ndarray:
    """Mode shares (in ``APPOINTMENT_MODES`` order) with the practice's face-to-face share; the rest in ratio."""
    shares = np.array([params.MODE_SHARES[m] for m in APPOINTMENT_MODES], dtype=float)
    f2f = APPOINTMENT_MODES.index("face_to_face")
    others = np.arange(len(shares)) != f2f
    shares[others] *= (1.0 - face_to_face) / shares[others].sum()
    shares[f2f] = face_to_face
    return shares


def usual_gp_chance(ctx: Context, rng: np.random.Generator, start: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Chance that each GP appointment (slot date ``start``, patient row ``rows``) is with the usual GP.

    The practice's continuity on the logit scale, plus the patient's own propensity (drawn once per patient),
    more for people aged 60 and over, falling slowly through the window. A GP appointment that is not with
    the usual GP goes to any of the practice's GPs, so the usual one may still be seen by chance.
    """
    propensity = rng.normal(0.0, params.CONTINUITY_PATIENT_LOGIT_SD, ctx.pop.size)
    older = ctx.age_at(start, rows) >= 60
    years = (start - ctx.window.start) / YEAR
    x = (
        logit(ctx.spec.continuity)
        + propensity[rows]
        + params.CONTINUITY_OLDER_LOGIT * older
        - params.CONTINUITY_DECLINE_LOGIT_PER_YEAR * years
    )
    return np.asarray(expit(x))


def make_appointments(ctx: Context, n_conditions: np.ndarray, role_positions: dict[str, np.ndarray]) -> AppointmentRows:
    rng, pop, spec, window = ctx.rng, ctx.pop, ctx.spec, ctx.window
    # Patients still registered on the end date also have appointments booked for the weeks after it.
    registered_at_end = pop.reg_end == NO_DATE
    hi = np.where(registered_at_end, window.end + params.FUTURE_BOOKING_DAYS, ctx.obs_end)
    years = np.maximum(hi - ctx.obs_start + 1, 0) / YEAR
    age = ctx.age_at((ctx.obs_start + hi) // 2)
    rate = _base_rate(age, pop.sex == 0) + 1.5 * n_conditions
    in_window_years = np.maximum(ctx.obs_end - ctx.obs_start + 1, 0) / YEAR
    scale = params.APPOINTMENTS_PER_PATIENT_YEAR * spec.appointment_factor * in_window_years.sum()
    rate = rate * scale / max(float(np.sum(rate * in_window_years)), 1e-9)
    counts = rng.poisson(rate * years)
    rows, _ = expand(counts)
    length = np.maximum(hi - ctx.obs_start + 1, 1)
    start = ctx.obs_start[rows] + np.floor(rng.random(len(rows)) * length[rows]).astype(np.int64)

    band = choose(rng, len(rows), lead_time_shares(spec.same_day_share))
    low = np.array([b[0] for b in params.LEAD_TIME_BANDS])[band]
    high = np.array([b[1] for b in params.LEAD_TIME_BANDS])[band]
    lead = low + np.floor(rng.random(len(rows)) * (high - low + 1)).astype(np.int64)
    lead = np.minimum(lead, np.maximum(start - pop.reg_start[rows], 0))
    booked = start - lead
    # Not yet booked on the end date: leave out.
    keep = booked <= window.end
    rows, start, booked, lead = rows[keep], start[keep], booked[keep], lead[keep]
    n = len(rows)

    dna_rate = np.full(n, params.DNA_RATE_BY_LEAD[-1][1])
    for upper, value in reversed(params.DNA_RATE_BY_LEAD):
        dna_rate[lead <= upper] = value
    dna_rate = dna_rate * spec.dna_factor
    change = spec.change("dna_rate_multiplier")
    if change is not None:
        since = to_days(change.from_month)
        progress = np.clip((start - since) / max(window.end - since, 1), 0.0, 1.0)
        dna_rate = dna_rate * (1.0 + (change.after - change.before) * progress)
    u = rng.random(n)
    status = np.select(
        [
            start > window.end,
            u < dna_rate,
            u < dna_rate + params.CANCELLED_BY_PATIENT_RATE,
            u < dna_rate + params.CANCELLED_BY_PATIENT_RATE + params.CANCELLED_BY_PRACTICE_RATE,
        ],
        [STATUS["booked"], STATUS["did_not_attend"], STATUS["cancelled_by_patient"], STATUS["cancelled_by_practice"]],
        STATUS["attended"],
    ).astype(np.int8)

    mode = choose(rng, n, mode_shares(spec.face_to_face_share)).astype(np.int8)
    very_old = ctx.age_at(start, rows) >= 85
    home = very_old & (rng.random(n) < 0.08)
    mode[home] = APPOINTMENT_MODES.index("home_visit")
    role = choose(rng, n, [params.HCP_ROLE_SHARES[r] for r in HCP_ROLES]).astype(np.int8)

    clinician = np.zeros(n, dtype=np.int32)
    for i, name in enumerate(HCP_ROLES):
        these = np.flatnonzero(role == i)
        positions = role_positions[name]
        clinician[these] = positions[rng.integers(0, len(positions), len(these))]
    gp = np.flatnonzero(role == HCP_ROLES.index("gp"))
    # The others are drawn from a child stream, so the rest of the practice's stream is as it was.
    chance = usual_gp_chance(ctx, rng.spawn(1)[0], start[gp], rows[gp])
    with_usual = gp[rng.random(len(gp)) < chance]
    gp_positions = role_positions["gp"]
    clinician[with_usual] = gp_positions[pop.usual_gp[rows[with_usual]] % len(gp_positions)]

    # By slot date, then patient (rows < 2**24); one appointment per patient, day and role.
    key = (((start + 100_000) << 24) | rows) << 2 | role
    order = np.argsort(key, kind="stable")
    first = np.ones(len(order), dtype=bool)
    first[1:] = key[order][1:] != key[order][:-1]
    order = order[first]
    return AppointmentRows(
        rows=rows[order],
        booked=booked[order],
        start=start[order],
        status=status[order],
        mode=mode[order],
        role=role[order],
        clinician=clinician[order],
    )
