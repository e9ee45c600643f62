"""Every code the synthetic generator emits is in the code list for its concept.

``qiloop.synth.codes`` maps concept name -> codes. A concept name is either a built-in
code-list name or one of the aliases below. Skipped until that module exists.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping

import pytest

from qiloop.codelists import all_known_codes, names

ALIASES = {
    "nsaid": "pincer_nsaid",
    "ppi": "pincer_ulcer_healing",
    "ulcer_healing": "pincer_ulcer_healing",
    "peptic_ulcer": "pincer_peptic_ulcer",
    "gi_bleed": "pincer_gi_bleed",
    "aspirin": "pincer_aspirin",
    "non_aspirin_antiplatelet": "pincer_non_aspirin_antiplatelet",
    "antiplatelet": "pincer_antiplatelet",
    "nsbb": "pincer_nsbb",
    "heart_failure": "pincer_heart_failure",
    "acei": "pincer_acei",
    "ace_inhibitor": "pincer_acei",
    "renal_function": "pincer_renal_function",
    "electrolytes": "pincer_electrolytes",
    "methotrexate": "pincer_methotrexate",
    "fbc": "pincer_fbc",
    "lft": "pincer_lft",
    "lithium": "pincer_lithium",
    "lithium_level": "pincer_lithium_level",
    "amiodarone": "pincer_amiodarone",
    "tft": "pincer_tft",
    "af": "atrial_fibrillation",
    "af_resolved": "atrial_fibrillation_resolved",
    "flu": "flu_vaccination",
    "flu_vaccine": "flu_vaccination",
    "mrc": "mrc_grade",
    "fev1fvc": "fev1_fvc",
    "frailty": "frailty_moderate_severe",
    "diabetes_type1": "diabetes",
    "diabetes_type2": "diabetes",
    "ckd_stage3": "ckd",
    "ckd_stage4": "ckd",
    "ckd_stage5": "ckd",
    "fev1_fvc_post_bronchodilator": "fev1_fvc",
    "systolic_bp": "bp_systolic",
    "diastolic_bp": "bp_diastolic",
    "full_blood_count": "pincer_fbc",
    "liver_function_test": "pincer_lft",
    "thyroid_function_test": "pincer_tft",
    "renal_function_test": "pincer_renal_function",
    "electrolytes_test": "pincer_electrolytes",
    "warfarin": "anticoagulant",
    "doac": "anticoagulant",
    "clopidogrel": "pincer_non_aspirin_antiplatelet",
    "nonselective_beta_blocker": "pincer_nsbb",
}
# Concepts the generator emits as background only: no measure looks for them.
BACKGROUND = {"metformin", "amlodipine", "statin", "salbutamol_inhaler"}


def synth_concepts() -> Mapping[str, Iterable[str]]:
    try:
        module = importlib.import_module("qiloop.synth.codes")
    except ModuleNotFoundError:
        pytest.skip("qiloop.synth.codes does not exist yet: synthetic code check skipped")
    for attribute in ("CONCEPT_CODES", "CONCEPTS", "CODES"):
        mapping = getattr(module, attribute, None)
        if isinstance(mapping, Mapping):
            return mapping
    pytest.skip("qiloop.synth.codes has no CONCEPT_CODES/CONCEPTS/CODES mapping")


def as_codes(value) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, Mapping):
        return {str(k) for k in value}
    codes: set[str] = set()
    for item in value:
        codes |= as_codes(item) if not isinstance(item, int | str) else {str(item)}
    return codes


def test_every_synthetic_code_is_in_its_concept_list():
    from qiloop.codelists import load

    builtin = set(names())
    problems = []
    for concept, value in synth_concepts().items():
        listname = concept if concept in builtin else ALIASES.get(concept)
        codes = as_codes(value)
        if listname is None:
            if concept not in BACKGROUND:
                problems.append(f"{concept}: no code list for this concept (add an alias or a list)")
            continue
        missing = codes - load(listname).codes
        if missing:
            problems.append(f"{concept} -> {listname}: {sorted(missing)}")
    assert not problems, "synthetic codes missing from the code lists:\n" + "\n".join(problems)


def test_every_synthetic_code_is_known():
    known = all_known_codes()
    everything = known["snomedct"] | known["dmd"]
    unknown = {}
    for concept, value in synth_concepts().items():
        missing = as_codes(value) - everything
        if missing and (concept in set(names()) or concept in ALIASES):
            unknown[concept] = sorted(missing)
    assert not unknown, f"codes emitted for measure concepts but in no code list: {unknown}"
