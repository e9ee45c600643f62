"""Spec tests for the audit variants of PINCER hazards: hand-worked tables at 31 March 2024.

Windows as in test_pincer: "last 3 months" = 2023-12-31 .. 2024-03-31 inclusive. Each variant is met by the
patients who received the care; a second check runs each variant beside its hazard on the same patients and
confirms the variant's unmet patients are exactly the hazard's numerator (the two say the same thing the right
way round).
"""

from __future__ import annotations

import pytest

from qiloop.measures.library import all_measures
from qiloop.measures.library.audit_variants import VARIANT_OF

from ..spec import ENGINES, check, run_engine
from ..spec import event as ev
from .codes import FBC, FLURBIPROFEN_EYE_DROPS, IBUPROFEN, LFT, METHOTREXATE, OMEPRAZOLE
from .test_pincer import AGED_40, P

REF = "2024-03-31"
NSAID_FEB = ("2024-02-01", IBUPROFEN)

SPECS = {
    "pincer_a_audit": [
        P(1, (1, 0), "aged exactly 65, NSAID, no PPI: not met", dob="1959-03-01", meds=[NSAID_FEB]),
        P(2, (0, 0), "aged 64: outside the population", dob="1959-04-01", meds=[NSAID_FEB]),
        P(3, (1, 1), "NSAID and a PPI in the window: met", meds=[NSAID_FEB, ("2024-02-01", OMEPRAZOLE)]),
        P(4, (1, 0), "PPI the day before the window", meds=[NSAID_FEB, ("2023-12-30", OMEPRAZOLE)]),
        P(5, (1, 1), "PPI on the first day of the window", meds=[NSAID_FEB, ("2023-12-31", OMEPRAZOLE)]),
        P(6, (1, 0), "NSAID on the first day of the window, no PPI", meds=[("2023-12-31", IBUPROFEN)]),
        P(7, (0, 0), "NSAID the day before the window: not on an NSAID", meds=[("2023-12-30", IBUPROFEN)]),
        P(8, (0, 0), "no NSAID, on a PPI", meds=[("2024-02-01", OMEPRAZOLE)]),
        P(9, (0, 0), "NSAID eye drops are not an oral NSAID", meds=[("2024-02-01", FLURBIPROFEN_EYE_DROPS)]),
        P(10, (0, 0), "aged 40", dob=AGED_40, meds=[NSAID_FEB]),
        P(11, (0, 0), "sex unknown: outside the PINCER population", sex="unknown", meds=[NSAID_FEB]),
        P(12, (0, 0), "died before the reference date", died="2024-03-15", meds=[NSAID_FEB]),
    ],
}

_BOTH = [("2023-11-15", METHOTREXATE), ("2024-02-15", METHOTREXATE)]
# (note, prescriptions, events, FBC variant, LFT variant)
_ME = [
    ("both issues, no tests", _BOTH, [], (1, 0), (1, 0)),
    ("FBC done", _BOTH, [ev("2024-03-01", FBC)], (1, 1), (1, 0)),
    ("LFT done", _BOTH, [ev("2024-03-01", LFT)], (1, 0), (1, 1)),
    ("both tests done", _BOTH, [ev("2024-03-01", FBC), ev("2024-03-01", LFT)], (1, 1), (1, 1)),
    ("recent issue only: not established", [("2024-02-15", METHOTREXATE)], [ev("2024-03-01", FBC)], (0, 0), (0, 0)),
    ("tests on the first day of the window", _BOTH, [ev("2023-12-31", FBC), ev("2023-12-31", LFT)], (1, 1), (1, 1)),
    ("tests the day before the window", _BOTH, [ev("2023-12-30", FBC), ev("2023-12-30", LFT)], (1, 0), (1, 0)),
]  # fmt: skip
SPECS["pincer_me_fbc_audit"] = [P(i, fbc, n, meds=m, events=e) for i, (n, m, e, fbc, _) in enumerate(_ME, 1)]
SPECS["pincer_me_lft_audit"] = [P(i, lft, n, meds=m, events=e) for i, (n, m, e, _, lft) in enumerate(_ME, 1)]


def test_every_audit_variant_has_a_spec():
    assert set(SPECS) == {m for m in all_measures() if m.endswith("_audit")} == set(VARIANT_OF.values())


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("measure_id", sorted(SPECS))
def test_audit_variant_spec(engine, measure_id):
    check(engine, all_measures()[measure_id], SPECS[measure_id], REF)


@pytest.mark.parametrize("measure_id", sorted(SPECS))
def test_audit_variant_metadata(measure_id):
    variant = all_measures()[measure_id]
    assert variant.low_is_good is False, "a criterion is met by the patients who received the care"
    assert "audit" in variant.tags
    assert variant.action_list is not None and variant.action_list.who.startswith(("aged", "on "))


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(("hazard_id", "variant_id"), sorted(VARIANT_OF.items()))
def test_unmet_patients_are_the_hazard_numerator(engine, hazard_id, variant_id):
    """Within the variant's population, 'not met' is exactly the hazard's numerator on the same patients."""
    patients = SPECS[variant_id]
    measures = all_measures()
    variant = run_engine(engine, measures[variant_id], patients, REF)
    hazard = run_engine(engine, measures[hazard_id], patients, REF)
    unmet = {pid for pid, (den, num) in variant.items() if den and not num}
    harmed = {pid for pid, (den, num) in hazard.items() if den and num}
    assert unmet, "the spec must hold unmet patients for this check to mean anything"
    assert unmet == harmed
