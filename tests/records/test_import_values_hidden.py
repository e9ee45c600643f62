"""Inside ``values_hidden()`` (how the workbench imports) a bad cell is named by file, line and column, not value;
outside it (the CLI, for the person who gave the file) the value is quoted as before."""

from __future__ import annotations

import pytest
from records_fixtures import valid_extract, with_cell, write_csv

from qiloop.errors import InputError, showing_values, values_hidden
from qiloop.records.importer import import_extract

DOB = "1954-03-12"  # not the first of a month: a cell value that must not reach the workbench's messages


def failure(tmp_path, hidden: bool) -> str:
    extract = with_cell(valid_extract(), "patients", 1, "date_of_birth", DOB)
    source = write_csv(tmp_path / ("hidden" if hidden else "shown"), extract)
    with pytest.raises(InputError) as info:
        if hidden:
            with values_hidden():
                import_extract(source, tmp_path / "store-hidden.duckdb")
        else:
            import_extract(source, tmp_path / "store-shown.duckdb")
    return str(info.value)


def test_a_bad_cell_is_named_by_file_line_and_column_without_its_value(tmp_path):
    hidden = failure(tmp_path, hidden=True)
    assert "patients.csv:3: column date_of_birth: the value is not the first of a month" in hidden
    assert "e.g. YYYY-MM-01" in hidden
    assert DOB not in hidden and "1954-03" not in hidden
    assert showing_values()  # the block ended


def test_the_cli_still_quotes_the_value_to_the_person_who_gave_the_file(tmp_path):
    shown = failure(tmp_path, hidden=False)
    assert f"patients.csv:3: column date_of_birth: '{DOB}' is not the first of a month" in shown
