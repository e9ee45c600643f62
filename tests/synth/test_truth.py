"""truth.json records what was planted, and the planted changes can be seen in the raw events."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
from synth_reference import months_before

from qiloop.synth import NetworkSummary
from qiloop.synth.codes import CODES


def _truth(network: NetworkSummary) -> dict:
    return json.loads(network.truth_path.read_text())


def test_truth_records_parameters_targets_and_changes(calibration_network: NetworkSummary) -> None:
    truth = _truth(calibration_network)
    assert truth["parameters"]["patients"] == 60_000
    assert truth["parameters"]["start"] == "2021-04-01"
    assert truth["calibration_targets"]["prevalence_on_end_date"]["copd"]["share"] == 0.019
    whats = {c["what"] for c in truth["planted_changes"]}
    assert whats == {"copd_review_rate", "dna_rate_multiplier", "nsaid_without_gastroprotection_multiplier"}
    for change in truth["planted_changes"]:
        assert dt.date.fromisoformat(change["from_month"]).day == 1
        assert change["practice_id"] in {p["practice_id"] for p in truth["practices"]}
    assert truth["rows"] == calibration_network.rows
    assert truth["messy_records"]["counts"]["events_after_death"] > 0


def _practice_patients(tables: dict[str, pd.DataFrame], practice_id: str) -> set[int]:
    reg = tables["practice_registrations"]
    return set(reg.patient_id[reg.practice_id == practice_id])


def _review_rate(tables: dict[str, pd.DataFrame], patients: set[int], on: dt.date) -> float:
    """Share of the practice's COPD patients (diagnosed and registered) with a COPD review in the 12 months to ``on``."""
    events = tables["clinical_events"]
    reg = tables["practice_registrations"]
    registered = reg[(reg.start_date <= months_before(on, 12)) & (reg.end_date.isna() | (reg.end_date > on))]
    copd = events[events.snomedct_code.isin(CODES["copd"]) & (events.date <= months_before(on, 12))]
    register = set(copd.patient_id) & set(registered.patient_id) & patients
    reviews = events[
        events.snomedct_code.isin(CODES["copd_review"]) & (events.date > months_before(on, 12)) & (events.date <= on)
    ]
    reviewed = set(reviews.patient_id) & register
    return len(reviewed) / max(len(register), 1)


def test_planted_copd_review_improvement_is_visible(
    calibration_network: NetworkSummary, calibration_tables: dict[str, pd.DataFrame]
) -> None:
    change = next(c for c in _truth(calibration_network)["planted_changes"] if c["what"] == "copd_review_rate")
    month = dt.date.fromisoformat(change["from_month"])
    patients = _practice_patients(calibration_tables, change["practice_id"])
    before = _review_rate(calibration_tables, patients, month - dt.timedelta(days=1))
    after = _review_rate(calibration_tables, patients, dt.date(2026, 3, 31))
    assert after - before > 0.25, (before, after)


def test_planted_dna_drift_is_visible(
    calibration_network: NetworkSummary, calibration_tables: dict[str, pd.DataFrame]
) -> None:
    change = next(c for c in _truth(calibration_network)["planted_changes"] if c["what"] == "dna_rate_multiplier")
    month = dt.date.fromisoformat(change["from_month"])
    appts = calibration_tables["appointments"]
    appts = appts[(appts.practice_id == change["practice_id"]) & (appts.status != "booked")]
    before = (appts.status[appts.start_date < month] == "did_not_attend").mean()
    last_six_months = appts.start_date > months_before(dt.date(2026, 3, 31), 6)
    after = (appts.status[last_six_months] == "did_not_attend").mean()
    assert after > 1.4 * before, (before, after)


def test_planted_nsaid_gastroprotection_change_is_visible(
    calibration_network: NetworkSummary, calibration_tables: dict[str, pd.DataFrame]
) -> None:
    """In the planted practice, NSAID issues to people aged 65+ come with a PPI far more often after the month."""
    change = next(
        c
        for c in _truth(calibration_network)["planted_changes"]
        if c["what"] == "nsaid_without_gastroprotection_multiplier"
    )
    month = dt.date.fromisoformat(change["from_month"])
    meds = calibration_tables["medications"]
    meds = meds[meds.patient_id.isin(_practice_patients(calibration_tables, change["practice_id"]))]
    nsaid = meds[meds.dmd_code.isin(CODES["nsaid"])]
    ppi_days = meds.loc[meds.dmd_code.isin(CODES["ppi"]), ["patient_id", "date"]].drop_duplicates().assign(ppi=True)
    dob = calibration_tables["patients"].set_index("patient_id").date_of_birth
    age = (pd.to_datetime(nsaid.date) - pd.to_datetime(dob.loc[nsaid.patient_id].to_numpy())).dt.days / 365.25
    older = nsaid[(age >= 66).to_numpy()]  # 66+: 65+ at the first issue of a course
    protected = older.merge(ppi_days, on=["patient_id", "date"], how="left").ppi.notna().to_numpy()
    is_before = (older.date < month).to_numpy()
    before = 1 - protected[is_before].mean()
    after = 1 - protected[~is_before].mean()
    # Unprotected share: about 55% before; about 55% x 30% = 17% after.
    assert after < 0.6 * before, (before, after)
