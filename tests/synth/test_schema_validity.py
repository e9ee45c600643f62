"""Every table the generator writes obeys qiloop.records.schema, checked directly with pyarrow/pandas."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from qiloop.records.schema import TABLES, Table
from qiloop.synth import generate_network
from qiloop.synth.writer import NOT_GENERATED

ARROW_KINDS = {
    "int": pa.types.is_integer,
    "float": pa.types.is_floating,
    "date": pa.types.is_date32,
    "str": pa.types.is_string,
}


@pytest.fixture(scope="module", params=["parquet", "csv"])
def network(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp(f"schema-{request.param}")
    generate_network(out, practices=4, patients=6_000, seed=3, fmt=request.param)
    return out, request.param


def read(out: Path, fmt: str, table: Table) -> pa.Table:
    path = out / f"{table.name}.{fmt}"
    if fmt == "parquet":
        return pq.read_table(path)
    types = {c.name: {"int": pa.int64(), "float": pa.float64(), "date": pa.date32(), "str": pa.string()}[c.type]
             for c in table.columns}  # fmt: skip
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True))


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_columns_types_and_values_follow_the_schema(network: tuple[Path, str], table: Table) -> None:
    out, fmt = network
    data = read(out, fmt, table)
    generated = [c for c in table.column_names if (table.name, c) not in NOT_GENERATED]
    assert data.column_names == generated
    assert data.num_rows > 0
    for column in (c for c in table.columns if c.name in generated):
        values = data.column(column.name)
        assert ARROW_KINDS[column.type](values.type), (column.name, values.type)
        if column.required:
            assert values.null_count == 0, column.name
        if column.allowed is not None:
            seen = set(values.drop_null().to_pylist())
            assert seen <= set(column.allowed), (column.name, seen - set(column.allowed))
        if column.min_value is not None and len(values.drop_null()):
            assert pa.compute.min(values).as_py() >= column.min_value, column.name
        if column.max_value is not None and len(values.drop_null()):
            assert pa.compute.max(values).as_py() <= column.max_value, column.name
        if column.first_of_month:
            days = {d.day for d in values.drop_null().to_pylist()}
            assert days == {1}, column.name
    if table.key:
        frame = data.select(list(table.key)).to_pandas()
        assert not frame.duplicated().any(), f"{table.name}: duplicate {table.key}"


def test_relations_hold(network: tuple[Path, str]) -> None:
    """Every row points at a known patient and practice; registrations start after birth; bookings precede slots."""
    out, fmt = network
    tables = {t.name: read(out, fmt, t).to_pandas() for t in TABLES}
    patients = set(tables["patients"].patient_id)
    for name in ("practice_registrations", "clinical_events", "medications", "appointments"):
        assert set(tables[name].patient_id) <= patients, name
    practices = set(tables["practices"].practice_id)
    assert set(tables["practice_registrations"].practice_id) <= practices
    assert set(tables["appointments"].practice_id) <= practices
    reg = tables["practice_registrations"].merge(tables["patients"], on="patient_id")
    assert (reg.start_date >= reg.date_of_birth).all()
    ended = reg.dropna(subset=["end_date"])
    assert (ended.end_date >= ended.start_date).all()
    appts = tables["appointments"]
    assert (appts.booked_date <= appts.start_date).all()
    end = dt.date(2026, 3, 31)
    assert (appts.booked_date <= end).all()
    future = appts.start_date > end
    assert (appts.status[future] == "booked").all()
    assert (appts.status[~future] != "booked").all()
    assert pd.Series(appts.clinician_id).str.fullmatch(r"Q\d{5}-C\d{2}").all()
