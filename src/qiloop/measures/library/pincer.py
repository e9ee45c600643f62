"""PINCER prescribing-safety indicators (Avery et al.; OpenSAFELY ``pincer-measures``).

Each indicator is hazardous prescribing among the patients at risk: the denominator is who is at risk, the
numerator who received the hazardous prescription (or missed the monitoring). Low is good for all of them.

Windows follow the published study definition: "in the last 3 months" means an issue between the date three
months before the reference date and the reference date, **both inclusive**; "on or before 3 months ago" includes
that day. qiloop's reference date is the last day of each interval (PINCER's was the first of each month).

Departures from the published code, each deliberate (see docs/measure-library.md):

* AC: the age limit (75 and over) applies to both the ACE-inhibitor and the loop-diuretic branch (the published
  study definition lacked parentheses, so loop diuretics had no age limit);
* G: an asthma diagnosis with no "resolved" code counts as unresolved (the published comparison
  ``resolved_date < asthma_date`` is false when there is no resolved code, which dropped those patients);
* A keeps the 65-and-over limit, AC looks for renal and electrolyte tests in clinical events, ME-LFT uses the liver
  function test list and AM counts patients *without* a thyroid function test (all four differ in the ehrQL port);
* the loop-diuretic list holds loop diuretics only (the published "diur" list holds every diuretic and more);
* E and F compare every issue date with every other, not only the first and last issue of each month.
"""

from __future__ import annotations

from qiloop.measures.language import Choice, action_spec, age, clinical_events, measure, medications
from qiloop.measures.library.common import (
    ADULT_MALE_OR_FEMALE,
    PRESCRIBING_SAFETY,
    any_of,
    co_prescribed_inclusive,
    codelist,
    governance,
    issued_in_last,
)
from qiloop.measures.model import ActionListSpec, Measure

SOURCE = "PINCER (Avery et al. 2012; OpenSAFELY pincer-measures, PLOS Med 2022 table 1)"
SOURCE_VERSION = "opensafely/pincer-measures@2e1589432d5a (2023-09-21)"

# --- building blocks ------------------------------------------------------------------------------------------

nsaid_3m = issued_in_last("pincer_nsaid", 3)
gastroprotection_3m = issued_in_last("pincer_ulcer_healing", 3)
anticoagulant_3m = issued_in_last("anticoagulant", 3)
aspirin_3m = issued_in_last("pincer_aspirin", 3)
other_antiplatelet_3m = issued_in_last("pincer_non_aspirin_antiplatelet", 3)
nsbb_3m = issued_in_last("pincer_nsbb", 3)

ulcer_or_bleed_history = (
    clinical_events(codelist("pincer_peptic_ulcer")).on_or_before(months_ago=3).exists()
    | clinical_events(codelist("pincer_gi_bleed")).on_or_before(months_ago=3).exists()
)


def _asthma_unresolved_3m_ago():
    """Asthma coded on or before 3 months ago, with no resolved code on or after the latest such asthma code.

    A patient with no resolved code at all is unresolved (the published defect dropped them).
    """
    latest_asthma = clinical_events(codelist("pincer_asthma")).on_or_before(months_ago=3).last_date()
    latest_resolved = clinical_events(codelist("pincer_asthma_resolved")).last_date()
    return clinical_events(codelist("pincer_asthma")).on_or_before(months_ago=3).exists() & ~(
        latest_resolved >= latest_asthma
    )


asthma_3m_ago = _asthma_unresolved_3m_ago()
heart_failure_3m_ago = clinical_events(codelist("pincer_heart_failure")).on_or_before(months_ago=3).exists()
_egfr = clinical_events(codelist("egfr")).on_or_before(months_ago=3).latest_value()
egfr_below_45 = (_egfr >= 1) & (_egfr < 45)


def _long_term(name: str):
    """Issued on or before 15 months ago and again in the last 6 months (PINCER's 'long-term' use)."""
    prescriptions = medications(codelist(name))
    return prescriptions.on_or_before(months_ago=15).exists() & prescriptions.in_last(months=6, days=1).exists()


def _test_in_last(name: str, months: int):
    return clinical_events(codelist(name)).in_last(months=months, days=1).exists()


def _established(name: str, *, from_months: int, to_months: int, recent_months: int):
    """Issued between ``from_months`` and ``to_months`` ago (inclusive) and in the last ``recent_months`` months."""
    prescriptions = medications(codelist(name))
    earlier = prescriptions.between(from_months_ago=from_months, from_days_ago=1, to_months_ago=to_months).exists()
    return earlier & prescriptions.in_last(months=recent_months, days=1).exists()


# --- indicators ---------------------------------------------------------------------------------------------------

DEN = {
    "a": ADULT_MALE_OR_FEMALE & (age >= 65) & ~gastroprotection_3m,
    "b": ADULT_MALE_OR_FEMALE & ulcer_or_bleed_history & ~gastroprotection_3m,
    "d": ADULT_MALE_OR_FEMALE & anticoagulant_3m,
    "e": ADULT_MALE_OR_FEMALE & anticoagulant_3m & ~gastroprotection_3m,
    "f": ADULT_MALE_OR_FEMALE & aspirin_3m & ~gastroprotection_3m,
    "g": ADULT_MALE_OR_FEMALE & asthma_3m_ago,
    "i": ADULT_MALE_OR_FEMALE & heart_failure_3m_ago,
    "k": ADULT_MALE_OR_FEMALE & egfr_below_45,
    "ac": ADULT_MALE_OR_FEMALE & (age >= 75) & (_long_term("pincer_acei") | _long_term("loop_diuretic")),
    "me": ADULT_MALE_OR_FEMALE & _established("pincer_methotrexate", from_months=6, to_months=3, recent_months=3),
    "li": ADULT_MALE_OR_FEMALE & _established("pincer_lithium", from_months=6, to_months=3, recent_months=3),
    "am": ADULT_MALE_OR_FEMALE & _established("pincer_amiodarone", from_months=12, to_months=6, recent_months=6),
}
DEN["c"] = DEN["b"]

NUM = {
    "a": nsaid_3m,
    "b": nsaid_3m,
    "c": aspirin_3m | other_antiplatelet_3m,
    "d": nsaid_3m,
    "e": co_prescribed_inclusive("anticoagulant", "pincer_antiplatelet"),
    "f": co_prescribed_inclusive("pincer_aspirin", "pincer_non_aspirin_antiplatelet"),
    "g": nsbb_3m,
    "i": nsaid_3m,
    "k": nsaid_3m,
    "ac": ~_test_in_last("pincer_renal_function", 15) | ~_test_in_last("pincer_electrolytes", 15),
    "me_fbc": ~_test_in_last("pincer_fbc", 3),
    "me_lft": ~_test_in_last("pincer_lft", 3),
    "li": ~_test_in_last("pincer_lithium_level", 3),
    "am": ~_test_in_last("pincer_tft", 6),
}
DEN["me_fbc"] = DEN["me_lft"] = DEN["me"]


# --- action lists: the patients in the numerator, in clinical words -------------------------------------------


def _last_issued(name: str, months: int = 3):
    """The last issue from ``name`` in the measure's inclusive window (the prescription the list is about)."""
    return medications(codelist(name)).in_last(months=months, days=1).last_date()


def _last_recorded(name: str):
    return clinical_events(codelist(name)).last_date()


def _last_recorded_3m_ago(name: str):
    return clinical_events(codelist(name)).on_or_before(months_ago=3).last_date()


NSAID = "Oral NSAID — last issued"
_egfr_date = clinical_events(codelist("egfr")).on_or_before(months_ago=3).latest_value_date()


def _hazard(who: str, action: str, drug: str, columns: dict) -> ActionListSpec:
    """A prescribing hazard: the most recent issue of the hazardous drug first."""
    name = drug.split(" — ")[0]
    order = f"most recent {name[0].lower()}{name[1:]} issue first"
    return action_spec(who=who, action=action, columns=columns, order_by=drug, order=order)


def _monitoring(who: str, action: str, drug: tuple[str, str], test: tuple[str, str], months: int) -> ActionListSpec:
    """Missing monitoring: the longest since the test first (never recorded at the top)."""
    return action_spec(
        who=who,
        action=action,
        columns={f"{drug[0]} — last issued": _last_issued(drug[1], months), f"{test[0]} — last recorded":
                 _last_recorded(test[1])},
        order_by=f"{test[0]} — last recorded",
        order=f"longest since the last {test[0][0].lower()}{test[0][1:]} first, never tested at the top",
        descending=False,
        missing_first=True,
    )  # fmt: skip


ACTIONS = {
    "a": _hazard("aged 65 or over on an oral NSAID without gastro-protection",
                 "review the NSAID or add gastro-protection", NSAID, {NSAID: _last_issued("pincer_nsaid"), "Age": age}),
    "b": _hazard("with a past peptic ulcer or GI bleed on an oral NSAID without gastro-protection",
                 "review the NSAID or add gastro-protection", NSAID,
                 {NSAID: _last_issued("pincer_nsaid"),
                  "Peptic ulcer — last recorded": _last_recorded_3m_ago("pincer_peptic_ulcer"),
                  "GI bleed — last recorded": _last_recorded_3m_ago("pincer_gi_bleed")}),
    "c": _hazard("with a past peptic ulcer or GI bleed on an antiplatelet without gastro-protection",
                 "review the antiplatelet or add gastro-protection", "Antiplatelet — last issued",
                 {"Antiplatelet — last issued": _last_issued("pincer_antiplatelet"),
                  "Peptic ulcer — last recorded": _last_recorded_3m_ago("pincer_peptic_ulcer"),
                  "GI bleed — last recorded": _last_recorded_3m_ago("pincer_gi_bleed")}),
    "d": _hazard("on an oral anticoagulant and an oral NSAID", "review the NSAID", NSAID,
                 {NSAID: _last_issued("pincer_nsaid"), "Anticoagulant — last issued": _last_issued("anticoagulant")}),
    "e": _hazard("on an anticoagulant with an antiplatelet without gastro-protection",
                 "review the combination or add gastro-protection", "Antiplatelet — last issued",
                 {"Anticoagulant — last issued": _last_issued("anticoagulant"),
                  "Antiplatelet — last issued": _last_issued("pincer_antiplatelet")}),
    "f": _hazard("on aspirin with another antiplatelet without gastro-protection",
                 "review the combination or add gastro-protection", "Other antiplatelet — last issued",
                 {"Aspirin — last issued": _last_issued("pincer_aspirin"),
                  "Other antiplatelet — last issued": _last_issued("pincer_non_aspirin_antiplatelet")}),
    "g": _hazard("with asthma on a non-selective beta-blocker", "review the beta-blocker",
                 "Non-selective beta-blocker — last issued",
                 {"Non-selective beta-blocker — last issued": _last_issued("pincer_nsbb"),
                  "Asthma — last recorded": _last_recorded_3m_ago("pincer_asthma")}),
    "i": _hazard("with heart failure on an oral NSAID", "review the NSAID", NSAID,
                 {NSAID: _last_issued("pincer_nsaid"),
                  "Heart failure — last recorded": _last_recorded_3m_ago("pincer_heart_failure")}),
    "k": _hazard("on an oral NSAID with eGFR below 45", "review the NSAID", NSAID,
                 {NSAID: _last_issued("pincer_nsaid"), "Latest eGFR": _egfr, "eGFR date": _egfr_date}),
    "ac": action_spec(
        who="aged 75 or over on a long-term ACE inhibitor or loop diuretic without both a renal function and an "
        "electrolyte test in the last 15 months",
        action="arrange kidney function and electrolyte tests",
        columns={"ACE inhibitor — last issued": _last_issued("pincer_acei", 6),
                 "Loop diuretic — last issued": _last_issued("loop_diuretic", 6),
                 "Renal function test — last recorded": _last_recorded("pincer_renal_function"),
                 "Electrolytes — last recorded": _last_recorded("pincer_electrolytes")},
        order_by="Renal function test — last recorded",
        order="longest since the last renal function test first, never tested at the top",
        descending=False,
        missing_first=True,
    ),
    "me_fbc": _monitoring("on methotrexate without a full blood count in the last 3 months",
                          "arrange a full blood count", ("Methotrexate", "pincer_methotrexate"),
                          ("Full blood count", "pincer_fbc"), 3),
    "me_lft": _monitoring("on methotrexate without a liver function test in the last 3 months",
                          "arrange liver function tests", ("Methotrexate", "pincer_methotrexate"),
                          ("Liver function test", "pincer_lft"), 3),
    "li": _monitoring("on lithium without a lithium level in the last 3 months", "arrange a lithium level",
                      ("Lithium", "pincer_lithium"), ("Lithium level", "pincer_lithium_level"), 3),
    "am": _monitoring("on amiodarone without a thyroid function test in the last 6 months",
                      "arrange thyroid function tests", ("Amiodarone", "pincer_amiodarone"),
                      ("Thyroid function test", "pincer_tft"), 6),
}  # fmt: skip

PINCER_MONTH = Choice(
    "Months: qiloop's month M is evaluated on its last day (31 March 2024 for March 2024); the published study "
    "(and its national medians) evaluates each month on its 1st (index date 1 March 2024 for March 2024). qiloop's "
    "March 2024 therefore covers almost the same days as the study's April 2024 (index 1 April 2024, one day later): "
    "compare qiloop's month M with the published month M+1, not M (`qiloop measures run --study-index-dates` adds "
    "the study's index date to each month; the measure page names the matching study month)."
)

POPULATION_TEXT = " Everyone counted is aged 18 to 120 with sex recorded as male or female (the PINCER population)."


def _pincer(key: str, code: str, title: str, *, why: str, description: str) -> Measure:
    return measure(
        id=f"pincer_{key}",
        title=title,
        denominator=DEN[key],
        numerator=NUM[key],
        action_list=ACTIONS[key],
        **governance(
            why_it_matters=why,
            description=description + POPULATION_TEXT,
            low_is_good=True,
            topic=PRESCRIBING_SAFETY,
            source_indicator=f"{SOURCE} indicator {code}",
            source_version=SOURCE_VERSION,
            tags=("pincer", "prescribing safety"),
            choices=(PINCER_MONTH,),
        ),
    )


INDICATORS: list[Measure] = [
    _pincer(
        "a",
        "GI_P3A",
        "Oral NSAID without gastro-protection, aged 65 and over",
        why="Anti-inflammatory painkillers (NSAIDs) can cause stomach bleeding; people aged 65 and over are at "
        "higher risk and should have a stomach-protecting drug if an NSAID is really needed.",
        description="Denominator: aged 65+ with no ulcer-healing drug (PPI or H2 blocker) in the last 3 months. "
        "Numerator: an oral NSAID in the last 3 months.",
    ),
    _pincer(
        "b",
        "GI_P3B",
        "Oral NSAID without gastro-protection after a peptic ulcer or GI bleed",
        why="After a stomach ulcer or bleed, an NSAID without stomach protection risks another bleed.",
        description="Denominator: peptic ulcer or GI bleed coded on or before 3 months ago, no ulcer-healing drug in "
        "the last 3 months. Numerator: an oral NSAID in the last 3 months.",
    ),
    _pincer(
        "c",
        "GI_P3C",
        "Antiplatelet without gastro-protection after a peptic ulcer or GI bleed",
        why="Aspirin and other antiplatelets raise bleeding risk; after an ulcer or bleed they need stomach protection.",
        description="Denominator: as PINCER B. Numerator: aspirin or another antiplatelet in the last 3 months.",
    ),
    _pincer(
        "d",
        "GI_P3D",
        "Oral NSAID with an oral anticoagulant",
        why="Taking an NSAID with warfarin or a DOAC sharply raises the risk of serious bleeding.",
        description="Denominator: an oral anticoagulant in the last 3 months. Numerator: an oral NSAID in the last "
        "3 months.",
    ),
    _pincer(
        "e",
        "GI_P3E",
        "Anticoagulant with an antiplatelet, without gastro-protection",
        why="An anticoagulant plus an antiplatelet doubles up bleeding risk; without stomach protection the risk of "
        "a GI bleed is high.",
        description="Denominator: an oral anticoagulant and no ulcer-healing drug in the last 3 months. Numerator: an "
        "anticoagulant and an antiplatelet (aspirin included) issued less than 28 days apart in the last 3 months.",
    ),
    _pincer(
        "f",
        "GI_P3F",
        "Aspirin with another antiplatelet, without gastro-protection",
        why="Two antiplatelets together (e.g. aspirin and clopidogrel) raise bleeding risk; stomach protection is "
        "recommended.",
        description="Denominator: aspirin and no ulcer-healing drug in the last 3 months. Numerator: aspirin and "
        "another antiplatelet issued less than 28 days apart in the last 3 months.",
    ),
    _pincer(
        "g",
        "AS_P3G",
        "Non-selective beta-blocker with asthma",
        why="Non-selective beta-blockers (e.g. propranolol) can trigger severe bronchospasm in people with asthma.",
        description="Denominator: asthma coded on or before 3 months ago and not resolved since (no resolved code "
        "counts as unresolved). Numerator: a non-selective beta-blocker in the last 3 months.",
    ),
    _pincer(
        "i",
        "HF_P3I",
        "Oral NSAID with heart failure",
        why="NSAIDs cause fluid retention and can tip heart failure into a hospital admission.",
        description="Denominator: heart failure coded on or before 3 months ago. Numerator: an oral NSAID in the last "
        "3 months.",
    ),
    _pincer(
        "k",
        "KI_P3K",
        "Oral NSAID with eGFR below 45",
        why="NSAIDs can damage the kidneys further in people with moderate or severe chronic kidney disease.",
        description="Denominator: latest eGFR on or before 3 months ago between 1 and 45 (45 excluded). Numerator: an "
        "oral NSAID in the last 3 months. (The record has no comparator column, so '>90'-style values cannot be "
        "told apart; they are read as their number.)",
    ),
    _pincer(
        "ac",
        "MO_P13",
        "ACE inhibitor or loop diuretic without renal and electrolyte monitoring, aged 75 and over",
        why="Older people on long-term ACE inhibitors or loop diuretics need kidney function and potassium checked at "
        "least every 15 months to catch harm early.",
        description="Denominator: aged 75+ on an ACE inhibitor or a loop diuretic long-term (issued on or before 15 "
        "months ago and in the last 6 months; the age limit applies to both). Numerator: no renal function test or "
        "no electrolyte test in the last 15 months.",
    ),
    _pincer(
        "me_fbc",
        "MO_P15",
        "Methotrexate without a full blood count in the last 3 months",
        why="Methotrexate can suppress the bone marrow; regular blood counts catch this before it becomes dangerous.",
        description="Denominator: methotrexate issued between 6 and 3 months ago and in the last 3 months. Numerator: "
        "no full blood count in the last 3 months.",
    ),
    _pincer(
        "me_lft",
        "MO_P15",
        "Methotrexate without a liver function test in the last 3 months",
        why="Methotrexate can damage the liver; regular liver function tests catch this early.",
        description="Denominator: methotrexate issued between 6 and 3 months ago and in the last 3 months. Numerator: "
        "no liver function test in the last 3 months.",
    ),
    _pincer(
        "li",
        "MO_P17",
        "Lithium without a lithium level in the last 3 months",
        why="Lithium has a narrow safe range; without regular levels toxicity can go unnoticed.",
        description="Denominator: lithium issued between 6 and 3 months ago and in the last 3 months. Numerator: no "
        "lithium level in the last 3 months.",
    ),
    _pincer(
        "am",
        "MO_P18",
        "Amiodarone without a thyroid function test in the last 6 months",
        why="Amiodarone often disturbs thyroid function; a test every 6 months is recommended.",
        description="Denominator: amiodarone issued between 12 and 6 months ago and in the last 6 months. Numerator: "
        "no thyroid function test in the last 6 months.",
    ),
]

COMPOSITE_PARTS = {
    "gi_bleed": ("a", "b", "c", "d", "e", "f"),
    "other": ("g", "i", "k"),
    "monitoring": ("ac", "me_fbc", "me_lft", "li", "am"),
}
COMPOSITE_PARTS["any"] = COMPOSITE_PARTS["gi_bleed"] + COMPOSITE_PARTS["other"] + COMPOSITE_PARTS["monitoring"]

COMPOSITE_TEXT = {
    "gi_bleed": ("PINCER composite: GI bleeding risk (A to F)", "Prescribing that raises the risk of stomach bleeding."),
    "other": ("PINCER composite: other hazards (G, I, K)", "Prescribing that can harm people with asthma, heart "
              "failure or kidney disease."),
    "monitoring": ("PINCER composite: monitoring (AC, ME, LI, AM)", "Medicines that need blood-test monitoring "
                   "without the monitoring."),
    "any": ("PINCER composite: any indicator", "Any of the PINCER hazardous-prescribing or monitoring problems."),
}  # fmt: skip


COMPOSITE_WHO = {
    "gi_bleed": "triggering at least one PINCER GI bleeding indicator (A to F)",
    "other": "triggering at least one of PINCER G, I and K",
    "monitoring": "triggering at least one PINCER monitoring indicator (AC, ME, LI, AM)",
    "any": "triggering at least one PINCER indicator",
}


def _letter(part: str) -> str:
    return part.upper().replace("_", "-")


def _composite(name: str) -> Measure:
    parts = COMPOSITE_PARTS[name]
    title, why = COMPOSITE_TEXT[name]
    return measure(
        id=f"pincer_{name}",
        title=title,
        denominator=any_of(*(DEN[p] for p in parts)),
        numerator=any_of(*(DEN[p] & NUM[p] for p in parts)),
        action_list=action_spec(
            who=COMPOSITE_WHO[name],
            action="review each indicator triggered",
            columns={"Indicators triggered": {_letter(p): DEN[p] & NUM[p] for p in parts}},
            order_by="Indicators triggered",
            order="most indicators triggered first",
        ),
        **governance(
            why_it_matters=why + " The composite shows how many patients at risk are affected by at least one.",
            description="Denominator: patients in the denominator of any of "
            + ", ".join(p.upper().replace("_", "-") for p in parts)
            + ". Numerator: patients who trigger at least one of them (in that indicator's denominator and numerator)."
            + POPULATION_TEXT,
            low_is_good=True,
            topic=PRESCRIBING_SAFETY,
            source_indicator=f"{SOURCE} composite '{name}'",
            source_version=SOURCE_VERSION,
            tags=("pincer", "prescribing safety", "composite"),
            choices=(PINCER_MONTH,),
        ),
    )


COMPOSITES: list[Measure] = [_composite(name) for name in ("gi_bleed", "other", "monitoring", "any")]


def measures() -> list[Measure]:
    """Every PINCER measure: 14 indicators and 4 composites."""
    return INDICATORS + COMPOSITES
