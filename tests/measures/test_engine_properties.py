"""Hypothesis: the DuckDB engine and the reference evaluator agree on random records and random measures."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qiloop.errors import QiloopError
from qiloop.measures import language as q
from qiloop.measures.engine import fast_counts

from .spec import run_checked
from .strategies import END, START, appointment_frames, measure_lists, records


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


@st.composite
def continuity_measures(draw):
    frame = draw(appointment_frames())
    index = frame.upc() if draw(st.booleans()) else frame.coc()
    return [q.measure(id="m0", title="continuity", denominator=index >= 0, numerator=index, low_is_good=False)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tables=records(), measures=continuity_measures(), part_rows=st.sampled_from([1, 2, 5]))
def test_continuity_computed_in_parts_equals_reference(tables, measures, part_rows):
    """Continuity sums computed in parts by patient (as for large stores) give the reference evaluator's results."""
    if tables["practice_registrations"].empty:
        return
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fast_counts, "CONTINUITY_PART_ROWS", part_rows)
        try:
            run_checked(tables, measures, start=START, end=END)
        except QiloopError as exc:
            if "no one is registered" not in str(exc):
                raise
