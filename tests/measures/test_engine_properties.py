"""Hypothesis: the DuckDB engine and the reference evaluator agree on random records and random measures."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qiloop.errors import QiloopError

from .data import run_checked
from .strategies import END, START, measure_lists, records


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    tables=records(), measures=measure_lists(), breakdowns=st.sampled_from([(), ("sex",), ("age_band", "imd_quintile")])
)
def test_duckdb_engine_equals_reference(tables, measures, breakdowns):
    if not tables["practice_registrations"].empty:
        try:
            run_checked(tables, measures, start=START, end=END, breakdowns=breakdowns)
        except QiloopError as exc:  # an empty population is a clear user error, not a disagreement
            if "no one is registered" not in str(exc):
                raise
