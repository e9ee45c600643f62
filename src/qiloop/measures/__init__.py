"""Measures: a small language for quality measures, an immutable model, engines and results.

Write measures with the language (see :mod:`qiloop.measures.language` and
docs/measures.md), run them with :func:`run_measures`::

    from qiloop.measures import age, medications, measure, run_measures

    nsaid = medications(ORAL_NSAID).in_last(months=3).exists()
    ppi = medications(ULCER_HEALING).in_last(months=3).exists()
    pincer_a = measure(id="pincer_a", title="NSAID without PPI, 65+",
                       denominator=(age >= 65) & ~ppi, numerator=nsaid, low_is_good=True)
    results = run_measures("var/store.duckdb", [pincer_a], start="2023-04", end="2024-03")
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

from qiloop.measures.codes import Codes
from qiloop.measures.dates import Interval, intervals_between, months_before
from qiloop.measures.language import (
    age,
    appointments,
    clinical_events,
    co_prescribed,
    measure,
    medications,
    reference_date,
    registration_start_date,
    sex,
    unresolved,
)
from qiloop.measures.model import Measure

if TYPE_CHECKING:  # the engines import Ibis and pandas: loaded on first use, not on import
    import ibis
    import pandas as pd

    from qiloop.measures.actions import ActionList
    from qiloop.measures.engine.store import Store

StoreSource: TypeAlias = "str | os.PathLike[str] | Mapping[str, pd.DataFrame] | ibis.BaseBackend | Store"
"""What a store may be given as: a DuckDB file or a folder of Parquet tables, table name → DataFrame, an Ibis
backend, or a store already opened."""

__all__ = [
    "Codes",
    "Interval",
    "Measure",
    "StoreSource",
    "action_list",
    "age",
    "all_measures",
    "appointments",
    "clinical_events",
    "co_prescribed",
    "compute_action_list",
    "get_measure",
    "intervals_between",
    "measure",
    "medications",
    "months_before",
    "reference_date",
    "registration_start_date",
    "run_measures",
    "sex",
    "unresolved",
]


def run_measures(
    store: StoreSource,
    measures: Iterable[Measure | str],
    *,
    start: str | dt.date,
    end: str | dt.date,
    engine: str = "duckdb",
    breakdowns: Iterable[str] = (),
    intervals: str = "monthly",
    spark_session: Any | None = None,
) -> pd.DataFrame:
    """See :func:`qiloop.measures.run.run_measures`."""
    from qiloop.measures.run import run_measures as _run

    return _run(
        store,
        measures,
        start=start,
        end=end,
        engine=engine,
        breakdowns=breakdowns,
        intervals=intervals,
        spark_session=spark_session,
    )


def action_list(
    store: StoreSource,
    measure: Measure | str,
    practice_id: str,
    *,
    on: str | dt.date | None = None,
    engine: str = "duckdb",
) -> pd.DataFrame:
    """See :func:`qiloop.measures.actions.action_list`."""
    from qiloop.measures.actions import action_list as _actions

    return _actions(store, measure, practice_id, on=on, engine=engine)


def compute_action_list(
    store: StoreSource,
    measure: Measure | str,
    practice_id: str,
    *,
    on: str | dt.date | None = None,
    engine: str = "duckdb",
) -> ActionList:
    """See :func:`qiloop.measures.actions.compute_action_list`."""
    from qiloop.measures.actions import compute_action_list as _compute

    return _compute(store, measure, practice_id, on=on, engine=engine)


def all_measures() -> dict[str, Measure]:
    """Every known measure by id (the built-in library plus registered ones)."""
    from qiloop.measures.registry import all_measures as _all

    return _all()


def get_measure(measure_id: str) -> Measure:
    from qiloop.measures.registry import get_measure as _get

    return _get(measure_id)
