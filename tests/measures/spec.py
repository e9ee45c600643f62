"""The spec-test harness: small tables in, the expected counts out, on every engine.

Two ways to write a spec, one harness:

* :class:`Store` builds a few patients as Python rows (``Store().patient(1).event(1, D(2024, 1, 5), "x")``);
  :func:`run_checked` runs measures on the engine under test and checks its results equal the reference
  evaluator's, row for row, before the test checks the hand-worked counts (``tests/measures/test_spec_*.py``);
* :class:`Patient` specs give each patient the (denominator, numerator) they contribute on a reference date,
  each registered at a practice of their own; :func:`check` runs them on one of :data:`ENGINES`
  (``tests/measures/library/``).

The engines are the plain-Python reference evaluator, DuckDB and Spark (local mode, one shared session). Spark
runs are marked ``spark``: ``pytest -m "not spark"`` is the quick local run; CI runs them all. A test module
runs its ``run_checked`` specs on DuckDB and Spark with ``pytestmark = pytest.mark.usefixtures("every_engine")``
(tests/measures/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest

from qiloop.measures.dates import intervals_between
from qiloop.measures.model import Measure
from qiloop.measures.reference import run_reference
from qiloop.measures.run import parse_month, run_measures

ENGINES = ("reference", "duckdb", pytest.param("spark", marks=pytest.mark.spark))
"""Every engine a per-patient spec runs on (Spark marked ``spark``)."""

COMPARED = ("duckdb", pytest.param("spark", marks=pytest.mark.spark))
"""The engines ``run_checked`` compares with the reference evaluator (the ``every_engine`` fixture's values)."""

_ENGINE = ["duckdb"]  # the engine run_checked uses: set by the every_engine fixture for its test
_SESSION: list[Any] = []


def use_engine(engine: str) -> None:
    _ENGINE[0] = engine


def spark_session() -> Any:
    """The one local Spark session the specs share (the test is skipped when Spark cannot start)."""
    pytest.importorskip("pyspark")
    if not _SESSION:
        from qiloop.measures.engine.connection import _spark_session

        os.environ.setdefault("QILOOP_SPARK_PARTITIONS", "1")
        try:
            session = _spark_session()
        except Exception as exc:  # noqa: BLE001 - no Java on this machine: say so rather than fail obscurely
            pytest.skip(f"cannot start Spark: {exc}")
        session.sparkContext.setLogLevel("ERROR")
        _SESSION.append(session)
    return _SESSION[0]


def _session_for(engine: str) -> Any:
    return spark_session() if engine == "spark" else None


D = dt.date
DEFAULT_DOB = D(1950, 1, 1)

COLUMNS = {
    "patients": ["patient_id", "date_of_birth", "sex", "date_of_death", "ethnicity", "imd_quintile"],
    "practice_registrations": ["patient_id", "start_date", "end_date", "practice_id"],
    "clinical_events": ["patient_id", "date", "snomedct_code", "numeric_value"],
    "medications": ["patient_id", "date", "dmd_code"],
    "appointments": [
        "appointment_id",
        "patient_id",
        "practice_id",
        "booked_date",
        "start_date",
        "status",
        "mode",
        "hcp_role",
        "clinician_id",
    ],
}


class Store:
    """Builder: ``Store().patient(1, dob=..).registered(1, "A", D(2000,1,1)).event(1, D(..), "x")``."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {name: [] for name in COLUMNS}

    def patient(
        self,
        pid: int,
        *,
        dob: dt.date = DEFAULT_DOB,
        sex: str = "female",
        died: dt.date | None = None,
        ethnicity: str | None = None,
        imd: int | None = None,
        practice: str | None = "A",
    ) -> Store:
        self.rows["patients"].append(
            dict(
                patient_id=pid,
                date_of_birth=dob,
                sex=sex,
                date_of_death=died,
                ethnicity=ethnicity,
                imd_quintile=imd,
            )
        )
        if practice is not None:
            self.registered(pid, practice, D(2000, 1, 1))
        return self

    def registered(self, pid: int, practice: str, start: dt.date, end: dt.date | None = None) -> Store:
        self.rows["practice_registrations"].append(
            dict(patient_id=pid, start_date=start, end_date=end, practice_id=practice)
        )
        return self

    def event(self, pid: int, day: dt.date, code: str, value: float | None = None) -> Store:
        self.rows["clinical_events"].append(dict(patient_id=pid, date=day, snomedct_code=code, numeric_value=value))
        return self

    def med(self, pid: int, day: dt.date, code: str) -> Store:
        self.rows["medications"].append(dict(patient_id=pid, date=day, dmd_code=code))
        return self

    def appointment(
        self,
        pid: int,
        day: dt.date,
        *,
        status: str = "attended",
        booked: dt.date | None = None,
        mode: str = "face_to_face",
        role: str = "gp",
        clinician: str | None = "c1",
        practice: str = "A",
    ) -> Store:
        self.rows["appointments"].append(
            dict(
                appointment_id=len(self.rows["appointments"]) + 1,
                patient_id=pid,
                practice_id=practice,
                booked_date=booked or day,
                start_date=day,
                status=status,
                mode=mode,
                hcp_role=role,
                clinician_id=clinician,
            )
        )
        return self

    def tables(self) -> dict[str, pd.DataFrame]:
        return {name: pd.DataFrame(rows, columns=COLUMNS[name]) for name, rows in self.rows.items()}


def run_checked(
    store: Store | dict[str, pd.DataFrame],
    measures: list[Measure],
    start: str = "2024-03",
    end: str = "2024-03",
    breakdowns: tuple[str, ...] = (),
    intervals: str = "monthly",
) -> pd.DataFrame:
    """Results from the engine under test (DuckDB unless ``every_engine`` says), after checking they equal the
    reference evaluator's."""
    tables = store.tables() if isinstance(store, Store) else store
    engine = run_measures(
        tables,
        measures,
        start=start,
        end=end,
        breakdowns=breakdowns,
        intervals=intervals,
        engine=_ENGINE[0],
        spark_session=spark_session() if _ENGINE[0] == "spark" else None,
    )
    periods = intervals_between(parse_month(start), parse_month(end, end=True), intervals)
    reference = run_reference(tables, measures, periods, breakdowns)
    assert_same_results(engine, reference)
    return engine


def assert_same_results(engine: pd.DataFrame, reference: pd.DataFrame) -> None:
    assert list(engine.columns) == list(reference.columns)
    assert len(engine) == len(reference), (engine, reference)
    for column in engine.columns:
        left, right = engine[column].tolist(), reference[column].tolist()
        if column in ("numerator", "ratio"):
            for a, b in zip(left, right, strict=True):
                if b is None or (isinstance(b, float) and b != b):
                    assert a is None or a != a, (column, left, right)
                else:
                    assert abs(float(a) - float(b)) < 1e-9, (column, left, right)
        else:
            assert left == right, (column, left, right)


def counts(results: pd.DataFrame, practice: str = "A") -> tuple[Any, Any]:
    """(numerator, denominator) of a one-interval, one-measure result for ``practice``."""
    row = results[results["practice_id"] == practice]
    assert len(row) == 1, results
    return row["numerator"].iloc[0], row["denominator"].iloc[0]


def write_duckdb(store: Store, path) -> None:
    """Write the tables to a DuckDB file the way the importer does (one table per canonical table)."""
    import duckdb

    from qiloop.measures.engine.connection import _arrow

    with duckdb.connect(str(path)) as con:
        for name, frame in store.tables().items():
            con.register("incoming", _arrow(name, frame))
            con.execute(f'create table "{name}" as select * from incoming')
            con.unregister("incoming")


DEFAULT_REGISTRATION = ("2000-01-01", None)


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

        results = run_measures(data, [measure], start=ref, end=ref, engine=engine, spark_session=_session_for(engine))
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

        results = run_measures(data, [measure], start=start, end=end, engine=engine, spark_session=_session_for(engine))
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
