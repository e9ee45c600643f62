"""Spec-test harness: hand-made tables in, per-patient (denominator, numerator) out, on every engine.

A spec lists patients with their events, prescriptions and appointments and the values each patient should
contribute on one reference date (a month end). Each patient is registered at a practice of their own, so the
per-practice rows of a results table are per-patient values; a patient outside the population (or with nothing
in the denominator) contributes (0, 0).

The same spec runs on the plain-Python reference evaluator and on the DuckDB engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qiloop.measures.model import Measure

DEFAULT_REGISTRATION = ("2000-01-01", None)
ENGINES = ("reference", "duckdb")


@dataclass
class Patient:
    """One patient of a spec. ``expect`` is (denominator, numerator) on the reference date."""

    id: int
    expect: tuple[Any, Any]
    dob: str = "1950-01-01"
    sex: str = "female"
    died: str | None = None
    registered: tuple[str, str | None] = DEFAULT_REGISTRATION
    registrations: list[tuple[str, str | None]] | None = None
    events: list[tuple[str, str, float | None]] = field(default_factory=list)  # (date, snomed code, value)
    meds: list[tuple[str, str]] = field(default_factory=list)  # (date, dm+d code)
    appointments: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


def event(date: str, code: str, value: float | None = None) -> tuple[str, str, float | None]:
    return (date, code, value)


def appt(booked: str | None, start: str, status: str = "attended", mode: str = "face_to_face", role: str = "gp",
         clinician: str | None = "C1") -> dict[str, Any]:  # fmt: skip
    return {
        "booked_date": booked,
        "start_date": start,
        "status": status,
        "mode": mode,
        "hcp_role": role,
        "clinician_id": clinician,
    }


def _date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def tables(patients: Iterable[Patient]) -> dict[str, pd.DataFrame]:
    """The canonical tables for ``patients``, one practice per patient (practice id P<patient id>)."""
    pts, regs, evs, meds, appts, practices = [], [], [], [], [], []
    appointment_id = 0
    for p in patients:
        practice = f"P{p.id}"
        practices.append({"practice_id": practice, "name": practice, "pcn_id": "N1", "pcn_name": "N1",
                          "icb_id": "I1", "icb_name": "I1"})  # fmt: skip
        pts.append({"patient_id": p.id, "date_of_birth": _date(p.dob), "sex": p.sex, "date_of_death": _date(p.died)})
        for start, end in p.registrations or [p.registered]:
            regs.append(
                {"patient_id": p.id, "start_date": _date(start), "end_date": _date(end), "practice_id": practice}
            )
        for date, code, value in p.events:
            evs.append({"patient_id": p.id, "date": _date(date), "snomedct_code": code, "numeric_value": value})
        for date, code in p.meds:
            meds.append({"patient_id": p.id, "date": _date(date), "dmd_code": code})
        for a in p.appointments:
            appointment_id += 1
            appts.append({"appointment_id": appointment_id, "patient_id": p.id, "practice_id": practice,
                          **{**a, "booked_date": _date(a["booked_date"]), "start_date": _date(a["start_date"])}})  # fmt: skip
    columns = {
        "clinical_events": ["patient_id", "date", "snomedct_code", "numeric_value"],
        "medications": ["patient_id", "date", "dmd_code"],
        "appointments": ["appointment_id", "patient_id", "practice_id", "booked_date", "start_date", "status", "mode",
                         "hcp_role", "clinician_id"],
    }  # fmt: skip
    return {
        "practices": pd.DataFrame(practices),
        "patients": pd.DataFrame(pts),
        "practice_registrations": pd.DataFrame(regs),
        "clinical_events": pd.DataFrame(evs, columns=columns["clinical_events"]),
        "medications": pd.DataFrame(meds, columns=columns["medications"]),
        "appointments": pd.DataFrame(appts, columns=columns["appointments"]),
    }


def per_patient(results: pd.DataFrame) -> dict[int, tuple[Any, Any]]:
    out: dict[int, tuple[Any, Any]] = {}
    for row in results.to_dict("records"):
        out[int(str(row["practice_id"])[1:])] = (_plain(row["denominator"]), _plain(row["numerator"]))
    return out


def _plain(value: Any) -> Any:
    if value is None or pd.isna(value):
        return 0
    value = float(value)
    return int(value) if value.is_integer() else value


def run_engine(
    engine: str, measure: Measure, patients: list[Patient], reference_date: str
) -> dict[int, tuple[Any, Any]]:
    """Per-patient (denominator, numerator) from ``engine`` for the month ending on ``reference_date``."""
    from qiloop.measures.dates import Interval

    ref = dt.date.fromisoformat(reference_date)
    data = tables(patients)
    if engine == "reference":
        from qiloop.measures.reference import run_reference

        results = run_reference(data, [measure], [Interval(ref.replace(day=1), ref)])
    else:
        from qiloop.measures.run import run_measures

        results = run_measures(data, [measure], start=ref, end=ref, engine=engine)
    values = per_patient(results)
    return {p.id: values.get(p.id, (0, 0)) for p in patients}


def run_engine_monthly(
    engine: str, measure: Measure, patients: list[Patient], first_month: str, last_month: str
) -> dict[str, dict[int, tuple[Any, Any]]]:
    """Per-patient (denominator, numerator) for every month from ``first_month`` to ``last_month`` (YYYY-MM), by month end."""
    from qiloop.measures.dates import intervals_between
    from qiloop.measures.run import parse_month

    start, end = parse_month(first_month), parse_month(last_month, end=True)
    data = tables(patients)
    if engine == "reference":
        from qiloop.measures.reference import run_reference

        results = run_reference(data, [measure], intervals_between(start, end))
    else:
        from qiloop.measures.run import run_measures

        results = run_measures(data, [measure], start=start, end=end, engine=engine)
    out: dict[str, dict[int, tuple[Any, Any]]] = {}
    for month_end, rows in results.groupby(results["interval_end"].astype(str)):
        values = per_patient(rows)
        out[str(month_end)[:10]] = {p.id: values.get(p.id, (0, 0)) for p in patients}
    return out


def check(engine: str, measure: Measure, patients: list[Patient], reference_date: str) -> None:
    """Assert every patient's (denominator, numerator) on ``engine``; the message lists every mismatch."""
    ids = [p.id for p in patients]
    assert len(ids) == len(set(ids)), "patient ids must be unique in a spec"
    got = run_engine(engine, measure, patients, reference_date)
    wrong = [
        f"  patient {p.id} ({p.note or 'no note'}): expected {p.expect}, got {got[p.id]}"
        for p in patients
        if not _same(got[p.id], p.expect)
    ]
    assert not wrong, f"{measure.id} on {engine} at {reference_date}:\n" + "\n".join(wrong)


def _same(a: tuple[Any, Any], b: tuple[Any, Any]) -> bool:
    return all(abs(float(x) - float(y)) < 1e-9 for x, y in zip(a, b, strict=True))
