"""The SQL type checks agree with a plain-Python statement of the rules, on arbitrary text."""

from __future__ import annotations

import datetime as dt
import math
import re

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from qiloop.records.column_checks import column_expr
from qiloop.records.schema import Column


def python_int(text: str) -> int | None:
    if re.fullmatch(r"[+-]?[0-9]{1,18}", text, flags=re.ASCII):
        return int(text)
    return None


def python_float(text: str) -> float | None:
    if re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?", text, flags=re.ASCII):
        value = float(text)
        return value if math.isfinite(value) else None
    return None


def python_date(text: str) -> dt.date | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text, flags=re.ASCII):
        return None
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return value if value.year >= 1 else None


REFERENCE = {"int": python_int, "float": python_float, "date": python_date}

date_like = st.builds(
    lambda y, m, d, sep: f"{y:04d}{sep}{m:02d}{sep}{d:02d}",
    st.integers(1, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from(["-", "-", "/", ""]),
)
number_like = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(alphabet="0123456789+-.eE ", min_size=1, max_size=8),
)
texts = st.one_of(date_like, number_like, st.text(min_size=1, max_size=12))


@settings(max_examples=100, deadline=None)
@given(st.lists(texts, min_size=1, max_size=30))
def test_sql_typing_matches_python_reference(values):
    con = duckdb.connect()
    for kind, reference in REFERENCE.items():
        expr = column_expr(Column("v", kind), "v", "VARCHAR")
        got = [r[0] for r in con.execute(f"SELECT {expr.typed} FROM unnest(?) AS t(v)", [values]).fetchall()]
        expected = [reference(v) for v in values]
        assert got == expected, (kind, values)
