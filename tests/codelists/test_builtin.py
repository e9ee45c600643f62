"""Every built-in code list loads, matches its manifest, and the lookups behave."""

from __future__ import annotations

import csv

import pytest

from qiloop.codelists import CODING_SYSTEMS, all_codelists, all_known_codes, load, manifest, names
from qiloop.codelists.registry import DATA_DIR
from qiloop.errors import QiloopError

# The concepts the measure library needs (issue 5): every one must be a built-in list.
REQUIRED = {
    # PINCER (24)
    "pincer_nsaid", "pincer_ulcer_healing", "pincer_peptic_ulcer", "pincer_gi_bleed", "pincer_aspirin",
    "pincer_non_aspirin_antiplatelet", "pincer_antiplatelet", "anticoagulant", "pincer_asthma", "pincer_asthma_resolved",
    "pincer_nsbb", "pincer_heart_failure", "egfr", "pincer_acei", "loop_diuretic", "pincer_renal_function",
    "pincer_electrolytes", "pincer_methotrexate", "pincer_fbc", "pincer_lft", "pincer_lithium", "pincer_lithium_level",
    "pincer_amiodarone", "pincer_tft",
    # QOF and long-term conditions
    "copd", "copd_resolved", "copd_review", "mrc_grade", "mrc_grade_3_plus", "fev1_fvc", "copd_exacerbation",
    "copd_exacerbation_count", "copd_invite",
    "flu_vaccination", "hypertension", "hypertension_resolved", "bp_systolic", "bp_diastolic", "hyp_max_therapy",
    "hyp_pca_unsuitable", "hyp_pca_dissent", "hyp_invite", "diabetes", "diabetes_resolved", "hba1c", "asthma",
    "asthma_resolved", "asthma_review", "atrial_fibrillation", "atrial_fibrillation_resolved", "ckd", "stroke", "tia",
}  # fmt: skip


def test_required_concepts_are_all_present():
    assert set(names()) >= REQUIRED
    assert (
        len([n for n in REQUIRED if n.startswith("pincer_") or n in {"anticoagulant", "egfr", "loop_diuretic"}]) == 24
    )


def test_every_csv_has_a_manifest_entry_and_back():
    files = {p.stem for p in DATA_DIR.glob("*.csv")}
    assert files == set(manifest())


@pytest.mark.parametrize("name", sorted(manifest()))
def test_list_matches_its_manifest(name):
    entry = manifest()[name]
    codelist = load(name)
    assert codelist.system == entry["system"] in CODING_SYSTEMS
    assert codelist.version == entry["version"]
    assert codelist.source == entry["source"]
    assert len(codelist) == entry["count"]
    # independent re-read of the file: the loader kept every row
    with open(DATA_DIR / f"{name}.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["code", "term"]
    assert {r[0] for r in rows[1:]} == codelist.codes
    assert all(r[1] for r in rows[1:]), "every code has a term"
    assert entry["topic"] in {"prescribing_safety", "access_continuity", "long_term_conditions"}


def test_known_codes_from_the_domain_notes():
    assert "13645005" in load("copd")
    assert "941201000000103" in load("copd_resolved")
    assert "394703002" in load("copd_review")
    assert "822851000000102" in load("flu_vaccination")
    assert "985151000000100" in load("flu_vaccination")
    assert "999791000000106" in load("hba1c")
    assert "1011481000000105" in load("egfr")
    assert "84114007" in load("pincer_heart_failure")
    assert {"329653008", "329807003", "329587009"} <= load("pincer_nsaid").codes
    assert {"317291008", "317309001"} <= load("pincer_ulcer_healing").codes
    assert {"319733000", "703908001", "19842211000001107"} <= load("anticoagulant").codes
    assert {"326874007", "326875008"} <= load("pincer_methotrexate").codes
    assert {"318353009", "318526006"} <= load("pincer_nsbb").codes
    assert "318186003" in load("pincer_amiodarone")
    assert {"319773006", "319781007"} <= load("pincer_aspirin").codes
    assert "319799004" in load("pincer_non_aspirin_antiplatelet")


def test_loop_diuretics_exclude_potassium_sparing_and_unrelated_drugs():
    loop = load("loop_diuretic")
    terms = [loop.term(c).lower() for c in loop.codes]
    assert all(("furosemide" in t or "frusemide" in t or "bumetanide" in t or "torasemide" in t or "torsemide" in t
                or "co-amilofruse" in t or t.split()[0] in {"burinex", "froop", "fru-co", "frumil", "frusene", "frusid",
                "frusol", "lasikal", "lasilactone", "lasix", "lasoride", "komil", "diumide-k", "torem", "diuresal"})
               for t in terms)  # fmt: skip
    assert not any(
        t.startswith(("spironolactone 25mg tablets", "eplerenone", "degarelix", "toremifene")) for t in terms
    )


def test_oral_nsaids_have_no_eye_drops():
    assert not any("eye drops" in t.lower() for t in load("pincer_nsaid").terms.values())


NON_ORAL = ("topical", "parenteral", "ophthalmic", "eye drops", "oromucosal", "injection", "gel", "menthol",
            "irrigation", "ketorolac + phenylephrine")  # fmt: skip


def test_oral_nsaids_have_no_topical_eye_parenteral_or_oromucosal_forms():
    terms = load("pincer_nsaid").terms.values()
    found = sorted(t for t in terms if any(word in t.lower().replace("ingelheim", "") for word in NON_ORAL))
    assert found == []


def test_oral_nsaids_keep_rectal_forms():
    terms = [t.lower() for t in load("pincer_nsaid").terms.values()]
    assert sum("rectal" in t for t in terms) == 4


def test_mrc_grade_3_plus_is_within_mrc_grade():
    assert load("mrc_grade_3_plus").codes < load("mrc_grade").codes
    assert len(load("mrc_grade_3_plus")) == 3


def test_bp_components_are_within_bp_cod():
    bp = load("bp").codes
    for name in ("bp_systolic", "bp_diastolic", "bp_systolic_home", "bp_diastolic_home"):
        assert load(name).codes <= bp
    assert not load("bp_systolic").codes & load("bp_diastolic").codes


def test_all_known_codes_is_the_union_by_system():
    known = all_known_codes()
    assert set(known) == {"snomedct", "dmd"}
    lists = all_codelists()
    for system in ("snomedct", "dmd"):
        union = set().union(*(c.codes for c in lists.values() if c.system == system))
        assert known[system] == union
    assert "13645005" in known["snomedct"] and "13645005" not in known["dmd"]
    assert "319733000" in known["dmd"]


def test_unknown_name_is_a_clear_error():
    with pytest.raises(QiloopError, match="unknown code list 'copd_typo'") as excinfo:
        load("copd_typo")
    assert "copd" in (excinfo.value.hint or "")


def test_codelists_are_immutable_and_hashable():
    copd = load("copd")
    with pytest.raises(AttributeError):
        copd.version = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        copd.terms["1"] = "x"  # type: ignore[index]
    assert hash(copd) == hash(load("copd"))


def test_fev1_fvc_confirms_copd_only_with_post_bronchodilator_ratios():
    terms = load("fev1_fvc").terms.values()
    assert terms and all("post-bronchodilator" in t.lower() for t in terms)
    assert not {"251944000", "313222007"} & load("fev1_fvc").codes
