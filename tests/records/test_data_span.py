"""qiloop.records.data_span: the months an extract covers in earnest, whatever a few stray rows say."""

from __future__ import annotations

import datetime as dt
import doctest
from pathlib import Path

import duckdb
from hypothesis import given
from hypothesis import strategies as st

from qiloop.measures.actions import _data_months
from qiloop.measures.engine.connection import open_store
from qiloop.records import data_span
from qiloop.records.data_span import earnest_months


def _months(first: dt.date, counts: list[int]) -> list[tuple[dt.date, int]]:
    out = []
    for i, n in enumerate(counts):
        index = first.year * 12 + first.month - 1 + i
        out.append((dt.date(index // 12, index % 12 + 1, 1), n))
    return out


def test_the_doctests() -> None:
    assert doctest.testmod(data_span).failed == 0


@given(
    st.lists(st.integers(200, 400), min_size=3, max_size=40),
    st.integers(1, 60),
    st.integers(1, 24),
)
def test_stray_rows_after_the_extract_never_move_its_latest_month(counts: list[int], stray: int, gap: int) -> None:
    """Months of steady activity then up to 60 rows some months later (under half any steady month): the latest
    month stays the last steady one, and the first month does not move."""
    steady = _months(dt.date(2021, 4, 1), counts)
    last = steady[-1][0]
    index = last.year * 12 + last.month - 1 + gap
    with_stray = [*steady, (dt.date(index // 12, index % 12 + 1, 1), min(stray, min(counts) // 2 - 1))]
    assert earnest_months(with_stray) == earnest_months(steady) == (dt.date(2021, 4, 1), last)


def test_a_month_only_just_begun_is_left_out_and_a_half_month_is_kept() -> None:
    steady = _months(dt.date(2025, 1, 1), [1000] * 12)
    assert earnest_months([*steady, (dt.date(2026, 1, 1), 100)])[1] == dt.date(2025, 12, 1)
    assert earnest_months([*steady, (dt.date(2026, 1, 1), 600)])[1] == dt.date(2026, 1, 1)


def test_old_history_does_not_start_the_charts_early() -> None:
    history = [(dt.date(2001, 3, 1), 5), (dt.date(2010, 7, 1), 9)]
    assert earnest_months([*history, *_months(dt.date(2024, 4, 1), [500] * 24)])[0] == dt.date(2024, 4, 1)


def _store(path: Path) -> Path:
    """Events and prescriptions January 2025 to March 2026, a reading dated after a death in April, appointments
    booked into May, a diagnosis from 2003."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE clinical_events (patient_id BIGINT, date DATE, snomedct_code VARCHAR)")
    con.execute("CREATE TABLE medications (patient_id BIGINT, date DATE, dmd_code VARCHAR)")
    con.execute("CREATE TABLE appointments (appointment_id BIGINT, patient_id BIGINT, start_date DATE, status VARCHAR)")
    con.execute(
        "INSERT INTO clinical_events SELECT i % 50, DATE '2025-01-01' + (i % 455)::INTEGER, '72313002' "
        "FROM range(4000) t(i)"
    )
    con.execute("INSERT INTO clinical_events VALUES (7, DATE '2026-04-20', '72313002'), (8, DATE '2003-06-01', 'x')")
    con.execute(
        "INSERT INTO medications SELECT i % 50, DATE '2025-01-01' + (i % 455)::INTEGER, 'd' FROM range(2000) t(i)"
    )
    con.execute(
        "INSERT INTO appointments VALUES (1, 1, DATE '2026-03-30', 'attended'), (2, 1, DATE '2026-05-02', 'booked')"
    )
    con.close()
    return path


def test_the_demo_shaped_store_ends_in_march_for_the_workbench_and_the_action_lists(tmp_path: Path) -> None:
    store = _store(tmp_path / "store.duckdb")
    con = duckdb.connect(str(store), read_only=True)
    span = data_span.data_span(con)
    con.close()
    assert span == data_span.DataSpan(
        dt.date(2025, 1, 1), dt.date(2026, 3, 1), dt.date(2026, 3, 31), 1, dt.date(2003, 6, 1), dt.date(2026, 4, 1)
    )
    assert _data_months(open_store(str(store))) == (span.first, span.last)


def test_a_store_with_only_appointments_ends_at_the_last_that_happened(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "a.duckdb"))
    con.execute("CREATE TABLE appointments (appointment_id BIGINT, patient_id BIGINT, start_date DATE, status VARCHAR)")
    con.execute(
        "INSERT INTO appointments SELECT i, i, DATE '2025-06-01' + (i % 300)::INTEGER, 'attended' FROM range(3000) t(i)"
    )
    con.execute("INSERT INTO appointments VALUES (9999, 1, DATE '2026-07-01', 'booked')")
    span = data_span.data_span(con)
    con.close()
    assert span is not None and span.last == dt.date(2026, 3, 1)
