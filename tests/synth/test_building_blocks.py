"""The generator's building blocks, checked against hand-worked expectations."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from qiloop.errors import InputError
from qiloop.synth import NetworkSummary, params
from qiloop.synth.codes import CODES, all_codes
from qiloop.synth.network import check_arguments
from qiloop.synth.practices import list_sizes
from qiloop.synth.sampling import expand, first_of_month, recurring, to_days


def test_expand_gives_row_and_rank() -> None:
    rows, rank = expand(np.array([2, 0, 3]))
    assert rows.tolist() == [0, 0, 2, 2, 2]
    assert rank.tolist() == [0, 1, 0, 1, 2]


def test_recurring_dates_stay_inside_each_interval() -> None:
    rng = np.random.default_rng(0)
    rows, dates = recurring(rng, np.array([0, 100]), np.array([83, 100]), 28.0, phase=np.zeros(2))
    assert rows.tolist() == [0, 0, 0, 1]  # 84 is past row 0's last day
    assert dates.tolist() == [0, 28, 56, 100]


def test_first_of_month() -> None:
    days = np.array([to_days(dt.date(2024, 2, 29)), to_days(dt.date(2021, 4, 1))])
    assert first_of_month(days).tolist() == [to_days(dt.date(2024, 2, 1)), to_days(dt.date(2021, 4, 1))]


def test_list_sizes_add_up_and_follow_the_band_mix() -> None:
    sizes = list_sizes(np.random.default_rng(1), 5_000, 5_000 * 10_400)
    assert sizes.sum() == 5_000 * 10_400
    # Scaling to a mean of 10,400 keeps the national shape: a modal 4,000-5,999 band of roughly 18%.
    share_4_6k = np.mean((sizes >= 4_000) & (sizes < 6_000))
    assert 0.13 <= share_4_6k <= 0.23
    assert np.mean(sizes < 2_000) <= 0.06
    assert 0.02 <= np.mean(sizes > 20_000) <= 0.08


def test_age_band_shares_are_a_distribution_with_about_19_percent_65_plus() -> None:
    assert params.AGE_BAND_SHARES.sum() == pytest.approx(1.0)
    assert params.AGE_BAND_SHARES[13:].sum() == pytest.approx(0.19, abs=0.01)  # ONS: about 18.5% in 2022


@pytest.mark.parametrize(
    ("practices", "patients", "start", "end", "fmt", "message"),
    [
        (0, 10, dt.date(2021, 1, 1), dt.date(2022, 1, 1), "parquet", "--practices"),
        (1, 0, dt.date(2021, 1, 1), dt.date(2022, 1, 1), "parquet", "--patients"),
        (1, 10, dt.date(2022, 1, 1), dt.date(2022, 1, 1), "parquet", "before --end"),
        (1, 10, dt.date(2021, 1, 1), dt.date(2022, 1, 1), "xlsx", "--format"),
    ],
)
def test_bad_arguments_are_input_errors(practices, patients, start, end, fmt, message) -> None:  # noqa: ANN001
    with pytest.raises(InputError, match=message.replace("-", r"\-")):
        check_arguments(practices, patients, start, end, fmt)


def test_codes_are_tidy() -> None:
    for concept, codes in CODES.items():
        assert codes, concept
        assert all(code.isdigit() and 6 <= len(code) <= 18 for code in codes), concept
    assert len(all_codes()) == len(set(all_codes()))
    assert len(CODES["mrc_grade"]) == 5


def test_messy_records_are_in_the_rows_and_counted_in_truth(
    calibration_network: NetworkSummary, calibration_tables: dict[str, pd.DataFrame]
) -> None:
    import json

    counts = json.loads(calibration_network.truth_path.read_text())["messy_records"]["counts"]
    patients = calibration_tables["patients"].set_index("patient_id")
    events = calibration_tables["clinical_events"]
    died = events.join(patients.date_of_death, on="patient_id").dropna(subset=["date_of_death"])
    after_death = died[died.date > died.date_of_death]
    assert after_death.patient_id.nunique() == counts["events_after_death"] > 0
    for name, column in (("medications", "date"), ("appointments", "start_date")):
        rows = calibration_tables[name].join(patients.date_of_death, on="patient_id")
        assert not (rows[column] > rows.date_of_death).any(), f"{name} after death"
    reg = calibration_tables["practice_registrations"].sort_values(["patient_id", "start_date"])
    multiple = reg[reg.patient_id.duplicated(keep=False)]
    assert multiple.patient_id.nunique() == counts["overlapping_registrations"] > 0
    assert (patients.sex == "unknown").sum() == counts["unknown_sex"]


def test_no_unplanned_duplicate_rows(calibration_tables: dict[str, pd.DataFrame]) -> None:
    """Duplicates are a data-quality finding; the generator plants none (the quality report should find none)."""
    assert not calibration_tables["clinical_events"].duplicated().any()
    assert not calibration_tables["medications"].duplicated().any()
    appointments = calibration_tables["appointments"].drop(columns="appointment_id")
    assert not appointments.duplicated().any()
