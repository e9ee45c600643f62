"""Small hand-built stores for measure tests: a few patients, written as Python rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from qiloop.measures.dates import intervals_between
from qiloop.measures.model import Measure
from qiloop.measures.reference import run_reference
from qiloop.measures.run import run_measures

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
    """Results from the DuckDB engine, after checking they equal the reference evaluator's."""
    tables = store.tables() if isinstance(store, Store) else store
    engine = run_measures(tables, measures, start=start, end=end, breakdowns=breakdowns, intervals=intervals)
    from qiloop.measures.run import parse_month

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
