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

from typing import Any

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

__all__ = [
    "Codes",
    "Interval",
    "Measure",
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


def run_measures(store: Any, measures: Any, **kwargs: Any) -> Any:
    """See :func:`qiloop.measures.run.run_measures`."""
    from qiloop.measures.run import run_measures as _run

    return _run(store, measures, **kwargs)


def action_list(store: Any, measure: Any, practice_id: str, **kwargs: Any) -> Any:
    """See :func:`qiloop.measures.actions.action_list`."""
    from qiloop.measures.actions import action_list as _actions

    return _actions(store, measure, practice_id, **kwargs)


def compute_action_list(store: Any, measure: Any, practice_id: str, **kwargs: Any) -> Any:
    """See :func:`qiloop.measures.actions.compute_action_list`."""
    from qiloop.measures.actions import compute_action_list as _compute

    return _compute(store, measure, practice_id, **kwargs)


def all_measures() -> dict[str, Measure]:
    """Every known measure by id (the built-in library plus registered ones)."""
    from qiloop.measures.registry import all_measures as _all

    return _all()


def get_measure(measure_id: str) -> Measure:
    from qiloop.measures.registry import get_measure as _get

    return _get(measure_id)
