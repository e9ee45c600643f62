"""``qiloop spc`` and ``qiloop funnel`` run as subprocesses on small CSV files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from qiloop.spc import spc
from qiloop.spc.funnel import funnel
from qiloop.spc.result import POINT_COLUMNS

VALUES = [50, 52, 49, 51, 50, 48, 51, 50, 49, 52, 50, 51, 49, 50, 51, 62, 63, 64, 62, 65]
DATES = [f"{2024 + (i // 12)}-{i % 12 + 1:02d}-01" for i in range(len(VALUES))]
HITS = [41, 38, 45, 40, 44, 39, 42, 47, 40, 43, 41, 44, 60, 62, 58]
SIZES = [100, 95, 110, 98, 104, 99, 101, 112, 97, 105, 100, 103, 120, 118, 115]


def qiloop(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qiloop", *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def series(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "series.csv", ["date", "y"], [[d, v] for d, v in zip(DATES, VALUES, strict=True)])


def assert_bad_input(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_spc_default_output_has_table_sentence_and_icons(series: Path) -> None:
    result = qiloop("spc", series, "--improvement", "up", "--target", "55")
    assert result.returncode == 0, result.stderr
    expected = spc(VALUES, x=DATES, improvement="up", target=55)
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["#", "x", "y"]
    assert lines[1].split()[:3] == ["1", "2024-01-01", "50"]
    assert expected.summary.sentence in result.stdout
    assert "Variation icon:" in result.stdout and "Assurance icon:" in result.stdout


def test_spc_json_matches_the_library(series: Path) -> None:
    result = qiloop("spc", series, "--chart", "run", "--profile", "qicharts2", "--json")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    expected = spc(VALUES, x=DATES, chart="run", profile="qicharts2").to_dict()
    assert got["summary"]["sentence"] == expected["summary"]["sentence"]
    assert got["summary"]["longest_run"] == expected["summary"]["longest_run"]
    assert [p["y"] for p in got["points"]] == VALUES
    assert [p["cl"] for p in got["points"]] == [p["cl"] for p in expected["points"]]


def test_spc_p_chart_csv_with_named_columns_split_and_exclude(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        ["month", "hits", "patients"],
        [[d, h, n] for d, h, n in zip(DATES, HITS, SIZES, strict=False)],
    )
    result = qiloop(
        "spc", path, "--chart", "p", "--y", "hits", "--n", "patients", "--split", DATES[12], "--exclude", "3", "--csv"
    )
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert list(rows[0]) == list(POINT_COLUMNS)
    assert len(rows) == len(HITS)
    assert [float(r["y"]) for r in rows] == pytest.approx([h / n for h, n in zip(HITS, SIZES, strict=True)])
    assert [r["excluded"] for r in rows].index("True") == 2  # --exclude is 1-based
    assert {r["phase"] for r in rows[:12]} == {"0"} and {r["phase"] for r in rows[12:]} == {"1"}


def test_spc_writes_svg_and_png(series: Path, tmp_path: Path) -> None:
    svg, png = tmp_path / "chart.svg", tmp_path / "chart.png"
    result = qiloop(
        "spc", series, "--title", "Reviews done", "--annotate", "2025-04-01=PDSA 1: recall", "--svg", svg, "--png", png
    )
    assert result.returncode == 0, result.stderr
    text = svg.read_text()
    assert "<svg" in text and "XmR chart of Reviews done" in text and "PDSA 1: recall" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_spc_missing_file(tmp_path: Path) -> None:
    assert_bad_input(qiloop("spc", tmp_path / "nope.csv"), "nope.csv: no such file")


def test_spc_missing_column(series: Path) -> None:
    assert_bad_input(qiloop("spc", series, "--y", "value2"), "no column 'value2'", "'date', 'y'")


def test_spc_non_numeric_value_names_the_line(tmp_path: Path) -> None:
    rows: list[list[object]] = [[d, v] for d, v in zip(DATES, VALUES, strict=True)]
    rows[6][1] = "n/a"
    path = tmp_path / "bad.csv"
    write_csv(path, ["date", "y"], rows[:3])
    with path.open("a") as handle:  # a blank line: line numbers still count it
        handle.write("\n")
        csv.writer(handle).writerows(rows[3:])
    # header 1, rows 1-3 on lines 2-4, blank line 5, rows 4.. on lines 6..; row 7 is line 9
    assert_bad_input(qiloop("spc", path), "line 9, column 'y': 'n/a' is not a number")


def test_spc_zero_denominator_names_the_line(tmp_path: Path) -> None:
    sizes = list(SIZES)
    sizes[4] = 0
    path = write_csv(
        tmp_path / "p.csv", ["x", "y", "n"], [[d, h, n] for d, h, n in zip(DATES, HITS, sizes, strict=False)]
    )
    assert_bad_input(qiloop("spc", path, "--chart", "u"), "line 6, column 'n'", "greater than zero")


def test_spc_dates_out_of_order(tmp_path: Path) -> None:
    dates = list(DATES)
    dates[3], dates[4] = dates[4], dates[3]
    path = write_csv(tmp_path / "s.csv", ["date", "y"], [[d, v] for d, v in zip(dates, VALUES, strict=True)])
    assert_bad_input(qiloop("spc", path), "line 6", "dates must increase")


def test_spc_too_few_points(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "one.csv", ["date", "y"], [["2024-01-01", 4]])
    assert_bad_input(qiloop("spc", path), "at least 2 points")


def test_spc_exclude_out_of_range(series: Path) -> None:
    assert_bad_input(qiloop("spc", series, "--exclude", "21"), "there is no point 21")


def test_spc_usage_errors_exit_2(series: Path) -> None:
    for args in (["--chart", "pie"], ["--json", "--csv"]):
        result = qiloop("spc", series, *args)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr


@pytest.fixture
def units(tmp_path: Path) -> Path:
    rows = [["Oak", 10, 100], ["Elm", 12, 100], ["Ash", 11, 100], ["Yew", 9, 100], ["Fir", 40, 100],
            ["Bay", 10, 120], ["Box", 0, 100], ["Pine", 11, 110]]  # fmt: skip
    return write_csv(tmp_path / "units.csv", ["practice", "events", "patients"], rows)


def test_funnel_default_output_keeps_file_order(units: Path) -> None:
    result = qiloop(
        "funnel", units, "--numerator", "events", "--denominator", "patients", "--label", "practice",
        "--unit-name", "practices",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    body = result.stdout.splitlines()[1:9]
    assert [line.split()[0] for line in body] == ["Oak", "Elm", "Ash", "Yew", "Fir", "Bay", "Box", "Pine"]
    assert [line.split()[-1] for line in body] == ["within"] * 4 + ["above", "within", "below", "within"]
    expected = funnel([10, 12, 11, 9, 40, 10, 0, 11], [100, 100, 100, 100, 100, 120, 100, 110], unit_name="practices")
    assert expected.summary.sentence in result.stdout


def test_funnel_json_csv_and_png(units: Path, tmp_path: Path) -> None:
    png = tmp_path / "f.png"
    common = ["funnel", units, "--numerator", "events", "--denominator", "patients", "--overdispersion", "additive"]
    as_json = qiloop(*common, "--json", "--png", png)
    assert as_json.returncode == 0, as_json.stderr
    got = json.loads(as_json.stdout)
    assert got["summary"]["n_units"] == 8 and len(got["units"]) == 8
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    as_csv = qiloop(*common, "--csv")
    rows = list(csv.DictReader(as_csv.stdout.splitlines()))
    assert [float(r["denominator"]) for r in rows] == [100, 100, 100, 100, 100, 120, 100, 110]
    assert {"lower_95", "upper_99_8", "outside_99_8", "z"} <= set(rows[0])


def test_funnel_bad_rows_name_the_line(tmp_path: Path) -> None:
    zero = write_csv(tmp_path / "z.csv", ["n", "d"], [[1, 10], [2, 10], [3, 0]])
    assert_bad_input(qiloop("funnel", zero, "--numerator", "n", "--denominator", "d"), "line 4, column 'd'")
    swapped = write_csv(tmp_path / "s.csv", ["n", "d"], [[1, 10], [20, 10]])
    assert_bad_input(qiloop("funnel", swapped, "--numerator", "n", "--denominator", "d"), "line 3", "larger than")
    missing = qiloop("funnel", swapped, "--numerator", "events", "--denominator", "d")
    assert_bad_input(missing, "no column 'events'")
    usage = qiloop("funnel", swapped, "--denominator", "d")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


# UK dates (dd/mm/yyyy and d/m/yyyy): read day first, never month first, and checked like ISO dates.
UK_DATES = [f"{int(d[8:]):02d}/{int(d[5:7]):02d}/{d[:4]}" for d in DATES]  # 01/01/2024, 01/02/2024, ...


def uk_series(tmp_path: Path, dates: list[str], name: str = "uk.csv") -> Path:
    return write_csv(tmp_path / name, ["date", "y"], [[d, v] for d, v in zip(dates, VALUES, strict=True)])


def x_of(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, result.stderr
    return [p["x"] for p in json.loads(result.stdout)["points"]]


def test_spc_reads_uk_dates_day_first(tmp_path: Path) -> None:
    """01/02/2024 is 1 February (never 2 January); the chart is the one the same ISO dates give."""
    result = qiloop("spc", uk_series(tmp_path, UK_DATES), "--json")
    assert x_of(result) == DATES
    expected = spc(VALUES, x=DATES).to_dict()
    assert json.loads(result.stdout)["summary"]["sentence"] == expected["summary"]["sentence"]


def test_spc_reads_short_uk_dates_and_mixed_forms(tmp_path: Path) -> None:
    """d/m/yyyy without leading zeros, mixed with ISO dates in the same column: 3/4/2025 is 3 April 2025."""
    dates = ["3/1/2025", "03/02/2025", "2025-03-03", "3/4/2025", "13/5/2025"]
    path = write_csv(tmp_path / "short.csv", ["date", "y"], [[d, v] for d, v in zip(dates, VALUES, strict=False)])
    assert x_of(qiloop("spc", path, "--json")) == ["2025-01-03", "2025-02-03", "2025-03-03", "2025-04-03", "2025-05-13"]


def test_spc_refuses_uk_dates_out_of_order_and_writes_nothing(tmp_path: Path) -> None:
    dates = list(UK_DATES)
    dates[3], dates[4] = dates[4], dates[3]  # 01/05/2024 on line 5, then 01/04/2024 on line 6
    path = uk_series(tmp_path, dates)
    chart = tmp_path / "chart.svg"
    result = qiloop("spc", path, "--svg", chart)
    assert_bad_input(
        result, f"{path}, line 6, column 'date': 01/04/2024 is before 01/05/2024 on line 5", "dates must increase"
    )
    assert "sort the file by date" in result.stderr
    assert result.stdout == "" and not chart.exists()


def test_spc_refuses_a_repeated_uk_date(tmp_path: Path) -> None:
    """1/3/2024 and 01/03/2024 are the same day."""
    dates = list(UK_DATES)
    dates[3] = "1/3/2024"  # the same day as line 4's 01/03/2024
    path = uk_series(tmp_path, dates)
    assert_bad_input(qiloop("spc", path), "line 5, column 'date': 1/3/2024 is the same date as 01/03/2024 on line 4")


def test_spc_refuses_a_month_first_date(tmp_path: Path) -> None:
    """12/25/2024 (US, month first) has no month 25 when read as a UK date: refused, not guessed."""
    dates = list(UK_DATES)
    dates[11] = "12/25/2024"
    path = uk_series(tmp_path, dates)
    chart = tmp_path / "chart.png"
    result = qiloop("spc", path, "--png", chart)
    assert_bad_input(result, "line 13, column 'date': '12/25/2024' is not a valid date", "no month 25", "dd/mm/yyyy")
    assert not chart.exists()
    dates[11] = "31/11/2024"
    assert_bad_input(qiloop("spc", uk_series(tmp_path, dates)), "line 13", "there is no day 31 in November 2024")


def test_spc_labels_that_are_not_dates_stay_labels(tmp_path: Path) -> None:
    """Financial years, quarters, day/month without a year and weeks are labels: kept as written, in file order,
    even when they look out of order."""
    labels = ["2024/25", "2023/24", "Q1 2025", "1/2", "Week 3", "12/2024"]
    path = write_csv(tmp_path / "labels.csv", ["period", "y"], [[x, v] for x, v in zip(labels, VALUES, strict=False)])
    assert x_of(qiloop("spc", path, "--json")) == labels


def test_spc_split_and_annotate_take_uk_dates(tmp_path: Path) -> None:
    """--split 01/02/2025 starts the new phase at 1 February 2025 (point 14), not at 2 January."""
    path = uk_series(tmp_path, UK_DATES)
    chart = tmp_path / "chart.svg"
    result = qiloop("spc", path, "--split", "01/02/2025", "--annotate", "01/03/2025=PDSA 1", "--svg", chart, "--csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    phases = [row["phase"] for row in rows]
    assert phases[12] == phases[0] and phases[13] != phases[12]
    expected = spc(VALUES, x=DATES, splits=["2025-02-01"])
    assert [float(row["cl"]) for row in rows] == pytest.approx(expected.points["cl"].tolist())
    assert "PDSA 1" in chart.read_text()
    bad = qiloop("spc", path, "--split", "01/13/2025")
    assert_bad_input(bad, "--split 01/13/2025: not a valid date", "no month 13")


def test_funnel_reads_uk_date_labels_and_refuses_repeats(tmp_path: Path) -> None:
    """A funnel whose units are periods: dd/mm/yyyy labels are shown as ISO dates; a period given twice or out of
    order is refused with its line (exit 1, nothing written); names that are not dates are kept as written."""
    rows = [["01/01/2025", 10, 100], ["01/02/2025", 12, 100], ["1/3/2025", 11, 100], ["01/04/2025", 9, 100]]
    path = write_csv(tmp_path / "months.csv", ["month", "events", "patients"], rows)
    args = ("--numerator", "events", "--denominator", "patients", "--label", "month")
    result = qiloop("funnel", path, *args, "--csv")
    assert result.returncode == 0, result.stderr
    assert [row["label"] for row in csv.DictReader(result.stdout.splitlines())] == [
        "2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"
    ]  # fmt: skip
    repeated = write_csv(tmp_path / "rep.csv", ["month", "events", "patients"], [*rows[:3], ["01/03/2025", 9, 100]])
    chart = tmp_path / "funnel.svg"
    result = qiloop("funnel", repeated, *args, "--svg", chart)
    assert_bad_input(result, "line 5, column 'month': 01/03/2025 is the same date as 1/3/2025 on line 4")
    assert not chart.exists()
    unordered = write_csv(tmp_path / "un.csv", ["month", "events", "patients"], [rows[1], rows[0], *rows[2:]])
    assert_bad_input(qiloop("funnel", unordered, *args), "line 3, column 'month': 01/01/2025 is before 01/02/2025")
    names = write_csv(tmp_path / "names.csv", ["month", "events", "patients"], [["Oak", 10, 100], ["1/2", 12, 100]])
    result = qiloop("funnel", names, *args, "--csv")
    assert [row["label"] for row in csv.DictReader(result.stdout.splitlines())] == ["Oak", "1/2"]
