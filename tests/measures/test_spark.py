"""Spark (Ibis PySpark backend, local mode) agrees with the reference evaluator on random records and measures.

The session the spec tests share (tests/measures/spec.py); few examples, each running several random measures
in one query. Every spec test runs on Spark too (marked ``spark``).
"""

import pytest
from hypothesis import HealthCheck, given, settings

from qiloop.errors import QiloopError
from qiloop.measures.dates import intervals_between
from qiloop.measures.reference import run_reference
from qiloop.measures.run import parse_month, run_measures

from .spec import assert_same_results, spark_session
from .strategies import END, START, measure_lists, records

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    return spark_session()  # the session the spec tests share


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    tables=records(max_patients=5).filter(lambda t: len(t["practice_registrations"]) >= 2),
    measures=measure_lists(max_size=6),
)
def test_spark_engine_equals_reference(spark, tables, measures):
    periods = intervals_between(parse_month(START), parse_month(END, end=True))
    try:
        engine = run_measures(tables, measures, start=START, end=END, engine="spark", spark_session=spark)
    except QiloopError as exc:
        assert "no one is registered" in str(exc)
        return
    assert_same_results(engine, run_reference(tables, measures, periods))


def test_spark_season_window_restarts_on_its_anchor_day(spark):
    """since_last(month=3, day=1) on Spark: the season restarts when a reference date reaches 1 March."""
    from qiloop.measures.language import age, clinical_events, measure

    from .spec import D, Store

    store = Store().patient(1).patient(2)
    store.event(1, D(2024, 2, 20), "x").event(2, D(2024, 3, 1), "x")
    season = clinical_events(["x"]).since_last(month=3, day=1).count()
    m = measure(id="m", title="t", denominator=age >= 0, numerator=season, low_is_good=False)
    tables = store.tables()
    engine = run_measures(tables, [m], start=START, end=END, engine="spark", spark_session=spark)
    periods = intervals_between(parse_month(START), parse_month(END, end=True))
    assert_same_results(engine, run_reference(tables, [m], periods))
    assert engine["numerator"].tolist() == [0, 1, 1, 1]  # Jan: none; Feb: patient 1; Mar, Apr: patient 2 only


def test_spark_near_first_dates_a_row_from_the_later_of_it_and_the_anchor(spark):
    """near_first on Spark: a reading before the first anchor counts once the anchor has arrived, ends inclusive."""
    from qiloop.measures.language import age, clinical_events, measure

    from .spec import D, Store

    store = Store().patient(1).patient(2).patient(3)
    store.event(1, D(2024, 1, 20), "r", 0.6).event(1, D(2024, 2, 19), "dx")  # 30 days before the anchor: in
    store.event(2, D(2024, 1, 19), "r", 0.6).event(2, D(2024, 2, 19), "dx")  # 31 days before: out
    store.event(3, D(2024, 2, 1), "dx").event(3, D(2024, 3, 2), "r", 0.6)  # 30 days after: in, from 2 March
    near = clinical_events(["r"]).where_value(lt=0.7).near_first(["dx"], days_before=30, days_after=30).exists()
    m = measure(id="m", title="t", denominator=age >= 0, numerator=near, low_is_good=False)
    tables = store.tables()
    engine = run_measures(tables, [m], start=START, end=END, engine="spark", spark_session=spark)
    periods = intervals_between(parse_month(START), parse_month(END, end=True))
    assert_same_results(engine, run_reference(tables, [m], periods))
    assert engine["numerator"].tolist() == [0, 1, 2, 2]  # Jan: none; Feb: patient 1; Mar, Apr: patients 1 and 3
