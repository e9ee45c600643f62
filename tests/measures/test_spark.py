"""Spark (Ibis PySpark backend, local mode) agrees with the reference evaluator.

One module-scoped session; few examples, each running several random measures in one query.
"""

import os

import pytest
from hypothesis import HealthCheck, given, settings

from qiloop.errors import QiloopError
from qiloop.measures.dates import intervals_between
from qiloop.measures.reference import run_reference
from qiloop.measures.run import parse_month, run_measures

from .data import assert_same_results
from .strategies import END, START, measure_lists, records

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    from qiloop.measures.engine.store import _spark_session

    os.environ.setdefault("QILOOP_SPARK_PARTITIONS", "1")
    try:
        session = _spark_session()
    except Exception as exc:  # noqa: BLE001 - no Java on this machine: say so rather than fail obscurely
        pytest.skip(f"cannot start Spark: {exc}")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


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
