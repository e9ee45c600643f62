"""The public functions of ``qiloop.measures`` show their real parameters and types to editors and mypy.

They load the engines lazily (importing ``qiloop.measures`` does not import Ibis or pandas), so each is a thin
function in the package forwarding to the module that does the work; these tests keep the two in step.
"""

from __future__ import annotations

import inspect
import typing

import pytest

import qiloop.measures as measures
from qiloop.measures import actions, run

FORWARDED = [
    (measures.run_measures, run.run_measures),
    (measures.action_list, actions.action_list),
    (measures.compute_action_list, actions.compute_action_list),
]


@pytest.mark.parametrize(("public", "worker"), FORWARDED, ids=lambda f: getattr(f, "__name__", ""))
def test_the_public_function_has_the_workers_parameters(public, worker):
    ours = inspect.signature(public)
    theirs = inspect.signature(worker)
    assert [(p.name, p.kind, p.default) for p in ours.parameters.values()] == [
        (p.name, p.kind, p.default) for p in theirs.parameters.values()
    ]


@pytest.mark.parametrize(("public", "worker"), FORWARDED, ids=lambda f: getattr(f, "__name__", ""))
def test_no_parameter_or_result_is_typed_any(public, worker):
    hints = typing.get_type_hints(public, globalns=vars(measures) | _checking_names())
    assert "kwargs" not in inspect.signature(public).parameters
    assert "store" in hints and hints["store"] is not typing.Any
    for name, hint in hints.items():
        if name != "spark_session":  # a PySpark session: PySpark is optional
            assert hint is not typing.Any, name


def _checking_names() -> dict[str, object]:
    """The names imported only for type checking, resolved here so the hints can be evaluated."""
    import ibis
    import pandas as pd

    from qiloop.measures.actions import ActionList
    from qiloop.measures.engine.store import Store

    return {"ibis": ibis, "pd": pd, "ActionList": ActionList, "Store": Store}


def test_the_forwarding_passes_every_argument(tmp_path):
    """Calling through the package reaches the worker with the same arguments (a missing store is named)."""
    with pytest.raises(Exception, match="no store at"):
        measures.run_measures(tmp_path / "absent.duckdb", ["pincer_a"], start="2024-01", end="2024-02")
