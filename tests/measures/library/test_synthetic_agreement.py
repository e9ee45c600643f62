"""The whole library on a small synthetic network: both engines agree, and the measures see the synthetic codes.

The synthetic generator (qiloop.synth) emits the codes of qiloop.synth.codes; if the library's code lists and the
generator drift apart, the denominators below fall to zero.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from qiloop.measures.dates import intervals_between
from qiloop.measures.library import all_measures
from qiloop.measures.reference import run_reference
from qiloop.measures.run import run_measures

pytestmark = pytest.mark.slow
KEYS = ["measure", "interval_start", "interval_end", "practice_id"]


@pytest.fixture(scope="module")
def synthetic_results(tmp_path_factory):
    synth = pytest.importorskip("qiloop.synth")
    out = tmp_path_factory.mktemp("network")
    summary = synth.generate_network(out, practices=2, patients=700, seed=11)
    tables = {name: pd.read_parquet(out / f"{name}.parquet") for name in summary.rows}
    measures = list(all_measures().values())
    reference = run_reference(tables, measures, intervals_between(dt.date(2024, 3, 1), dt.date(2024, 3, 31)))
    duckdb = run_measures(tables, measures, start="2024-03", end="2024-03", engine="duckdb")
    return reference, duckdb


def test_engines_agree_on_every_library_measure(synthetic_results):
    reference, duckdb = synthetic_results
    merged = reference.merge(duckdb, on=KEYS, suffixes=("_ref", "_duck"), how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), "the engines wrote different result rows"
    same_den = merged["denominator_ref"] == merged["denominator_duck"]
    same_num = np.isclose(merged["numerator_ref"].astype(float), merged["numerator_duck"].astype(float))
    wrong = merged[~(same_den & same_num)]
    assert wrong.empty, (
        "engines disagree:\n"
        + wrong[
            ["measure", "practice_id", "numerator_ref", "denominator_ref", "numerator_duck", "denominator_duck"]
        ].to_string()
    )


@pytest.mark.parametrize(
    "measure_id",
    ["pincer_a", "pincer_g", "copd_register", "copd010", "copd_flu", "hyp008", "dm020", "dm021", "af006", "af008",
     "ast_review", "dna_rate", "wait_same_day", "f2f_share", "appts_per_1000", "continuity_upc"],
)  # fmt: skip
def test_library_sees_the_synthetic_codes(synthetic_results, measure_id):
    reference, _ = synthetic_results
    rows = reference[reference["measure"] == measure_id]
    column = "numerator" if measure_id == "copd_register" else "denominator"
    assert rows[column].sum() > 0, f"{measure_id}: no synthetic patient counted ({column} is 0 in every practice)"


@pytest.mark.parametrize("measure_id", ["copd010", "dm021", "af006"])
def test_synthetic_data_can_meet_the_numerator(synthetic_results, measure_id):
    """The generator records what these numerators need (exacerbation counts, frailty, CHA2DS2-VASc scores)."""
    reference, _ = synthetic_results
    rows = reference[reference["measure"] == measure_id]
    assert rows["numerator"].sum() > 0, f"{measure_id}: no synthetic patient meets the numerator"
