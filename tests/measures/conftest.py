"""The ``every_engine`` fixture: a module with ``pytestmark = pytest.mark.usefixtures("every_engine")`` runs each
of its ``run_checked`` specs on DuckDB and on Spark (marked ``spark``), each checked against the reference."""

import pytest

from .spec import COMPARED, use_engine


@pytest.fixture(params=COMPARED)
def every_engine(request):
    use_engine(request.param)
    yield request.param
    use_engine("duckdb")
