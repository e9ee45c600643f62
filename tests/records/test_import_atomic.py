"""An import either completes or changes nothing; the same extract always gives the same store."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from records_fixtures import valid_extract, with_cell, write_csv, write_parquet

from qiloop.errors import InputError
from qiloop.records.importer import import_extract
from qiloop.records.schema import TABLES
from qiloop.records.store import BUILD_PREFIX, read_store_info


def _contents(store: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall()]
        return {name: con.execute(f'SELECT * FROM "{name}" ORDER BY rowid').fetchall() for name in names}
    finally:
        con.close()


@pytest.mark.parametrize("writer", [write_csv, write_parquet])
def test_reimporting_the_same_extract_gives_identical_contents(tmp_path, writer):
    source = writer(tmp_path / "extract", valid_extract())
    store = tmp_path / "store.duckdb"
    import_extract(source, store)
    first = _contents(store)
    import_extract(source, store)
    import_extract(source, tmp_path / "other.duckdb")
    assert _contents(store) == first == _contents(tmp_path / "other.duckdb")
    assert set(first) == {t.name for t in TABLES} | {"_qiloop_import"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extract", "other.duckdb", "store.duckdb"]


def test_metadata_records_checksums_and_row_counts(tmp_path):
    import hashlib

    source = write_csv(tmp_path / "extract", valid_extract())
    import_extract(source, tmp_path / "store.duckdb")
    info = read_store_info(tmp_path / "store.duckdb")
    assert info.schema_version == "1"
    patients = info.tables["patients"]
    assert patients.rows == 4 and patients.source_file == "patients.csv"
    assert patients.source_sha256 == hashlib.sha256((source / "patients.csv").read_bytes()).hexdigest()


def test_failed_import_leaves_existing_store_byte_for_byte(tmp_path):
    source = write_csv(tmp_path / "extract", valid_extract())
    store = tmp_path / "store.duckdb"
    import_extract(source, store)
    before = store.read_bytes()
    write_csv(tmp_path / "extract", with_cell(valid_extract(), "patients", 0, "sex", "woman"))
    with pytest.raises(InputError):
        import_extract(source, store)
    assert store.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["extract", "store.duckdb"]


# --- corruption at random -------------------------------------------------------------------

JUNK = st.sampled_from(
    ["", "x", "2024-13-01", "-1", "1.5", "nan", "🙂", '"', "a,b", "0000-00-00", "99999999999999999999"]
)
LOCATED = re.compile(r"^(\w+)\.(csv|parquet)(:\d+|: row \d+)?: ", re.MULTILINE)


@st.composite
def corruptions(draw):
    extract = valid_extract()
    kind = draw(st.sampled_from(["cell", "truncate", "rename_header", "delete_file", "duplicate_row", "none"]))
    table = draw(st.sampled_from(sorted(extract)))
    header, rows = extract[table]
    row = draw(st.integers(0, len(rows) - 1))
    return kind, table, row, draw(st.integers(0, len(header) - 1)), draw(JUNK), draw(st.integers(1, 30))


def _apply(directory: Path, kind: str, table: str, row: int, column: int, junk: str, cut: int) -> None:
    path = directory / f"{table}.csv"
    if kind == "cell":
        header, _ = valid_extract()[table]
        write_csv(directory, with_cell(valid_extract(), table, row, header[column], junk))
    elif kind == "truncate":
        lines = path.read_text().splitlines(keepends=True)
        lines[row + 1] = lines[row + 1][: min(cut, len(lines[row + 1]) - 1)] + "\n"
        path.write_text("".join(lines))
    elif kind == "rename_header":
        lines = path.read_text().splitlines(keepends=True)
        names = lines[0].rstrip("\n").split(",")
        names[column] = names[column] + "_x"
        lines[0] = ",".join(names) + "\n"
        path.write_text("".join(lines))
    elif kind == "delete_file":
        path.unlink()
    elif kind == "duplicate_row":
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines + [lines[row + 1]]))


@pytest.fixture(scope="module")
def baseline_store(tmp_path_factory) -> bytes:
    """The bytes of a store imported from the valid extract (built once, copied into each example)."""
    base = tmp_path_factory.mktemp("baseline")
    import_extract(write_csv(base / "extract", valid_extract()), base / "store.duckdb")
    return (base / "store.duckdb").read_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corruptions())
def test_corrupted_extract_either_imports_or_changes_nothing(tmp_path_factory, baseline_store, corruption):
    base = tmp_path_factory.mktemp("atomic")
    source = write_csv(base / "extract", valid_extract())
    store = base / "store.duckdb"
    store.write_bytes(baseline_store)
    before = store.read_bytes()
    _apply(source, *corruption)
    try:
        import_extract(source, store)
    except InputError as exc:
        message = str(exc)
        assert store.read_bytes() == before
        located = LOCATED.findall(message)
        assert located or re.search(r"\w+\.(csv|parquet)", message), message
        kind = corruption[0]
        if kind in ("cell", "truncate", "duplicate_row"):
            assert any(where for _, _, where in located), message  # a line is named
    else:
        assert corruption[0] in ("cell", "duplicate_row", "none", "delete_file", "truncate")
        assert read_store_info(store).tables
    leftovers = [p.name for p in base.iterdir() if p.name.startswith(BUILD_PREFIX) or p.suffix in (".wal", ".tmp")]
    assert leftovers == []
    shutil.rmtree(base)
