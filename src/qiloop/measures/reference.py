"""The reference evaluator: plain Python, one patient and one reference date at a time.

Slow and obviously correct; tests compare every engine with it. It reads the
same tables as the engines (as pandas DataFrames) and returns the same long
results table.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from qiloop.measures import model as m
from qiloop.measures.breakdowns import UNKNOWN, age_band, check_breakdowns
from qiloop.measures.dates import Interval, Window
from qiloop.measures.results import RESULT_COLUMNS, codelist_versions_text, sort_results

Value = Any


@dataclass
class PatientRecord:
    patient_id: int
    date_of_birth: dt.date
    sex: str
    date_of_death: dt.date | None
    ethnicity: str | None
    imd_quintile: int | None
    registrations: list[tuple[dt.date, dt.date | None, str]] = field(default_factory=list)
    events: list[tuple[dt.date, str, float | None]] = field(default_factory=list)
    medications: list[tuple[dt.date, str]] = field(default_factory=list)
    appointments: list[dict[str, Any]] = field(default_factory=list)


def _date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _opt(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value


def load_records(tables: Mapping[str, pd.DataFrame]) -> dict[int, PatientRecord]:
    """Group the canonical tables by patient."""
    out: dict[int, PatientRecord] = {}
    for row in tables["patients"].to_dict("records"):
        pid = int(row["patient_id"])
        imd = _opt(row.get("imd_quintile"))
        out[pid] = PatientRecord(
            patient_id=pid,
            date_of_birth=_date(row["date_of_birth"]),  # type: ignore[arg-type]
            sex=str(row["sex"]),
            date_of_death=_date(row.get("date_of_death")),
            ethnicity=_opt(row.get("ethnicity")),
            imd_quintile=int(imd) if imd is not None else None,
        )
    for row in tables["practice_registrations"].to_dict("records"):
        rec = out.get(int(row["patient_id"]))
        if rec is not None:
            rec.registrations.append((_date(row["start_date"]), _date(row["end_date"]), str(row["practice_id"])))  # type: ignore[arg-type]
    if "clinical_events" in tables:
        for row in tables["clinical_events"].to_dict("records"):
            rec = out.get(int(row["patient_id"]))
            if rec is not None:
                value = _opt(row.get("numeric_value"))
                day: Any = _date(row["date"])
                rec.events.append((day, str(row["snomedct_code"]), None if value is None else float(value)))
    if "medications" in tables:
        for row in tables["medications"].to_dict("records"):
            rec = out.get(int(row["patient_id"]))
            if rec is not None:
                rec.medications.append((_date(row["date"]), str(row["dmd_code"])))  # type: ignore[arg-type]
    if "appointments" in tables:
        for row in tables["appointments"].to_dict("records"):
            rec = out.get(int(row["patient_id"]))
            if rec is not None:
                appt: dict[str, Any] = {str(k): v for k, v in row.items()}
                appt["start_date"] = _date(row["start_date"])
                appt["booked_date"] = _date(row["booked_date"])
                appt["clinician_id"] = _opt(row.get("clinician_id"))
                rec.appointments.append(appt)
    return out


def current_registration(rec: PatientRecord, ref: dt.date) -> tuple[dt.date, dt.date | None, str] | None:
    """The registration on ``ref``: latest start, then latest end (open counts latest), then lowest practice id."""
    candidates = [r for r in rec.registrations if r[0] <= ref and (r[1] is None or r[1] >= ref)]
    if not candidates:
        return None
    candidates.sort(key=lambda r: r[2])
    return max(candidates, key=lambda r: (r[0], r[1] or dt.date.max))


def age_on(dob: dt.date, ref: dt.date) -> int:
    months = (ref.year - dob.year) * 12 + (ref.month - dob.month) - (1 if ref.day < dob.day else 0)
    return months // 12


class PatientContext:
    """One patient on one reference date."""

    def __init__(self, rec: PatientRecord, ref: dt.date, registration: tuple[dt.date, dt.date | None, str]) -> None:
        self.rec = rec
        self.ref = ref
        self.registration = registration
        self.cache: dict[m.Node, Value] = {}

    def in_window(self, day: dt.date, window: Window) -> bool:
        return window.contains(day, self.ref)


def evaluate(node: m.Node, ctx: PatientContext) -> Value:
    """The value of ``node`` for one patient on one reference date (None = missing)."""
    if node in ctx.cache:
        return ctx.cache[node]
    value = _evaluate(node, ctx)
    ctx.cache[node] = value
    return value


def _compare(op: str, a: Value, b: Value) -> bool:
    if a is None or b is None:
        return False
    return {
        "lt": a < b,
        "le": a <= b,
        "gt": a > b,
        "ge": a >= b,
        "eq": a == b,
        "ne": a != b,
    }[op]


def _evaluate(node: m.Node, ctx: PatientContext) -> Value:
    rec, ref = ctx.rec, ctx.ref
    if isinstance(node, m.Constant):
        return node.value
    if isinstance(node, m.ReferenceDate):
        return node.offset.apply(ref)
    if isinstance(node, m.Age):
        return age_on(rec.date_of_birth, ref)
    if isinstance(node, m.Sex):
        return rec.sex
    if isinstance(node, m.RegistrationStart):
        return ctx.registration[0]
    if isinstance(node, m.Compare):
        return _compare(node.op, evaluate(node.left, ctx), evaluate(node.right, ctx))
    if isinstance(node, m.IsIn):
        value = evaluate(node.operand, ctx)
        return value is not None and value in node.values
    if isinstance(node, m.And):
        return bool(evaluate(node.left, ctx)) and bool(evaluate(node.right, ctx))
    if isinstance(node, m.Or):
        return bool(evaluate(node.left, ctx)) or bool(evaluate(node.right, ctx))
    if isinstance(node, m.Not):
        return not evaluate(node.operand, ctx)
    if isinstance(node, m.DateAddDays):
        day = evaluate(node.date, ctx)
        return None if day is None else day + dt.timedelta(days=node.days)
    if isinstance(node, m.AsInt):
        return 1 if evaluate(node.operand, ctx) else 0
    if isinstance(node, m.Add):
        a, b = evaluate(node.left, ctx), evaluate(node.right, ctx)
        return None if a is None or b is None else a + b
    if isinstance(node, m.Aggregate):
        return _aggregate(node, ctx)
    if isinstance(node, m.AppointmentAggregate):
        return _appointment_aggregate(node, ctx)
    if isinstance(node, m.Unresolved):
        diag = [d for d, code, _ in rec.events if code in node.diagnosis.codes and ctx.in_window(d, node.window)]
        if not diag:
            return False
        resolved = [d for d, code, _ in rec.events if code in node.resolved.codes and ctx.in_window(d, node.window)]
        return not resolved or max(diag) > max(resolved)
    if isinstance(node, m.CoPrescribed):
        first = [d for d, code in rec.medications if code in node.first.codes and ctx.in_window(d, node.window)]
        second = [d for d, code in rec.medications if code in node.second.codes and ctx.in_window(d, node.window)]
        return any(abs((a - b).days) <= node.within_days for a in first for b in second)
    raise TypeError(f"no reference evaluation for {node!r}")


def _aggregate(node: m.Aggregate, ctx: PatientContext) -> Value:
    q = node.query
    if q.table == "clinical_events":
        rows = [
            (d, v)
            for d, code, v in ctx.rec.events
            if code in q.codes.codes
            and ctx.in_window(d, q.window)
            and all(_compare(op, v, bound) for op, bound in q.value_conditions)
        ]
    else:
        rows = [(d, None) for d, code in ctx.rec.medications if code in q.codes.codes and ctx.in_window(d, q.window)]
    if q.near is not None:
        near = q.near
        anchors = [d for d, code, _ in ctx.rec.events if code in near.anchor.codes and ctx.in_window(d, Window())]
        first = min(anchors) if anchors else None
        rows = [
            (d, v)
            for d, v in rows
            if first is not None
            and first - dt.timedelta(days=near.days_before) <= d <= first + dt.timedelta(days=near.days_after)
        ]
    dates = [d for d, _ in rows]
    if node.kind == "exists":
        return bool(rows)
    if node.kind == "count":
        return len(rows)
    if node.kind == "first_date":
        return min(dates) if dates else None
    if node.kind == "last_date":
        return max(dates) if dates else None
    valued = [(d, v) for d, v in rows if v is not None]
    if not valued:
        return None
    latest = max(d for d, _ in valued)
    if node.kind == "latest_value_date":
        return latest
    return min(v for d, v in valued if d == latest)


def _selected_appointments(q: m.AppointmentQuery, ctx: PatientContext) -> list[dict[str, Any]]:
    out = []
    for a in ctx.rec.appointments:
        if not ctx.in_window(a["start_date"], q.window):
            continue
        if q.status is not None and a["status"] not in q.status:
            continue
        if q.mode is not None and a["mode"] not in q.mode:
            continue
        if q.hcp_role is not None and a["hcp_role"] not in q.hcp_role:
            continue
        if a["booked_date"] is None:  # no booking date: no lead-time condition holds
            if q.booked_date_known or q.min_lead_days is not None or q.max_lead_days is not None:
                continue
        else:
            lead = (a["start_date"] - a["booked_date"]).days
            if q.min_lead_days is not None and lead < q.min_lead_days:
                continue
            if q.max_lead_days is not None and lead > q.max_lead_days:
                continue
        out.append(a)
    return out


def _appointment_aggregate(node: m.AppointmentAggregate, ctx: PatientContext) -> Value:
    rows = _selected_appointments(node.query, ctx)
    if node.kind == "exists":
        return bool(rows)
    if node.kind == "count":
        return len(rows)
    per_clinician = Counter(str(a["clinician_id"]) for a in rows if a["clinician_id"] is not None)
    n = sum(per_clinician.values())
    if n < 2:
        return None
    if node.kind == "upc":
        return max(per_clinician.values()) / n
    return (sum(c * c for c in per_clinician.values()) - n) / (n * (n - 1))


def truthy(value: Value) -> bool:
    """In the denominator: a true boolean or a count above zero."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    return value > 0


def patient_counts(measure: m.Measure, ctx: PatientContext) -> tuple[Value, Value]:
    """(numerator contribution, denominator contribution) for one patient, applying the counting rules."""
    den = evaluate(measure.denominator, ctx)
    num = evaluate(measure.numerator, ctx)
    in_den = truthy(den)
    if measure.exclusions is not None and in_den and not num and evaluate(measure.exclusions, ctx):
        in_den = False
    if not in_den:
        return 0, 0
    den_value = 1 if isinstance(den, bool) else den
    if isinstance(num, bool):
        num_value: Value = 1 if num else 0
    else:
        num_value = 0 if num is None else num
    return num_value, den_value


def breakdown_values(rec: PatientRecord, ref: dt.date, names: Iterable[str]) -> tuple[str, ...]:
    values = []
    for name in names:
        if name == "age_band":
            values.append(age_band(age_on(rec.date_of_birth, ref)))
        elif name == "sex":
            values.append(rec.sex)
        elif name == "ethnicity":
            values.append(rec.ethnicity or UNKNOWN)
        else:
            values.append(str(rec.imd_quintile) if rec.imd_quintile is not None else UNKNOWN)
    return tuple(values)


def population(records: Mapping[int, PatientRecord], ref: dt.date) -> Iterable[PatientContext]:
    """Everyone registered and alive on ``ref``."""
    for rec in records.values():
        if rec.date_of_death is not None and rec.date_of_death <= ref:
            continue
        registration = current_registration(rec, ref)
        if registration is not None:
            yield PatientContext(rec, ref, registration)


def run_reference(
    tables: Mapping[str, pd.DataFrame],
    measures: Iterable[m.Measure],
    intervals: Iterable[Interval],
    breakdowns: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The long results table, computed patient by patient and interval by interval."""
    breakdowns = check_breakdowns(breakdowns)
    records = load_records(tables)
    measures = list(measures)
    rows = []
    for interval in intervals:
        sums: dict[tuple[str, tuple[str, ...], str], list[Value]] = defaultdict(lambda: [0, 0])
        groups: set[tuple[str, tuple[str, ...]]] = set()
        for ctx in population(records, interval.reference_date):
            key = (ctx.registration[2], breakdown_values(ctx.rec, ctx.ref, breakdowns))
            groups.add(key)
            for measure in measures:
                num, den = patient_counts(measure, ctx)
                total = sums[(key[0], key[1], measure.id)]
                total[0] += num
                total[1] += den
        for measure in measures:
            for practice, values in sorted(groups):
                num, den = sums.get((practice, values, measure.id), [0, 0])
                row: dict[str, Any] = {
                    "measure": measure.id,
                    "interval_start": interval.start,
                    "interval_end": interval.end,
                    "practice_id": practice,
                }
                row.update(zip(breakdowns, values, strict=True))
                row.update(
                    numerator=num,
                    denominator=den,
                    ratio=(num / den) if den else None,
                    measure_version=measure.version,
                    codelist_versions=codelist_versions_text(measure),
                )
                rows.append(row)
    columns = RESULT_COLUMNS[:4] + list(breakdowns) + RESULT_COLUMNS[4:]
    return sort_results(pd.DataFrame(rows, columns=columns), [m.id for m in measures], breakdowns)
