"""Every library measure compiles and runs on every engine over a small mixed population."""

from __future__ import annotations

from qiloop.measures.library import all_measures

from ..spec import Patient, appt, event, run_engine

EXPECTED_IDS = [
    "pincer_a",
    "pincer_b",
    "pincer_c",
    "pincer_d",
    "pincer_e",
    "pincer_f",
    "pincer_g",
    "pincer_i",
    "pincer_k",
    "pincer_ac",
    "pincer_me_fbc",
    "pincer_me_lft",
    "pincer_li",
    "pincer_am",
    "pincer_gi_bleed",
    "pincer_other",
    "pincer_monitoring",
    "pincer_any",
    "copd_register",
    "copd010",
    "copd014",
    "copd_flu",
    "hyp008",
    "hyp009",
    "dm020",
    "dm021",
    "af006",
    "af008",
    "ast_review",
    "dna_rate",
    "dna_rate_all",
    "wait_same_day",
    "wait_1d",
    "wait_7d",
    "wait_14d",
    "f2f_share",
    "appts_per_1000",
    "continuity_upc",
    "continuity_coc",
    "pincer_a_audit",
    "pincer_me_fbc_audit",
    "pincer_me_lft_audit",
]


def test_library_has_every_measure_id():
    assert list(all_measures()) == EXPECTED_IDS


MIXED = [
    Patient(1, (0, 0), events=[event("2023-01-01", "13645005")], meds=[("2024-03-01", "329653008")]),
    Patient(2, (0, 0), dob="1940-05-01", sex="male", appointments=[appt("2024-03-01", "2024-03-05")]),
]


def test_every_measure_runs_on_the_reference_evaluator():
    # The DuckDB engine runs every measure in the spec tests; this is the quick whole-library check.
    for measure in all_measures().values():
        values = run_engine("reference", measure, MIXED, "2024-03-31")
        assert set(values) == {1, 2}
