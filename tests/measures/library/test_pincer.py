"""Spec tests for the PINCER indicators: hand-worked tables, reference date 31 March 2024.

Windows at 2024-03-31: "last 3 months" = 2023-12-31 .. 2024-03-31 inclusive; "on or before 3 months ago" = up to
2023-12-31; "last 6 months" from 2023-09-30; "15 months ago" = 2022-12-31; "6 to 3 months ago" = 2023-09-30 ..
2023-12-31; "12 to 6 months ago" = 2023-03-31 .. 2023-09-30. Ages are on 2024-03-31 (date of birth 1959-03-01 is
65, 1959-04-01 is 64).
"""

from __future__ import annotations

import pytest

from qiloop.measures.library import all_measures

from ..spec import ENGINES, Patient, check, run_engine_monthly
from ..spec import event as ev
from .codes import (
    AMIODARONE,
    APIXABAN,
    ASPIRIN,
    ASTHMA,
    ASTHMA_RESOLVED,
    CLOPIDOGREL,
    CREATININE,
    EGFR,
    FBC,
    FLURBIPROFEN_EYE_DROPS,
    FLURBIPROFEN_OROMUCOSAL,
    FUROSEMIDE,
    GI_BLEED,
    HEART_FAILURE,
    IBUPROFEN,
    IBUPROFEN_PARENTERAL,
    IBUPROFEN_TOPICAL,
    INDOMETACIN_PARENTERAL,
    LFT,
    LITHIUM,
    LITHIUM_LEVEL,
    METHOTREXATE,
    NAPROXEN_RECTAL,
    OMEPRAZOLE,
    PEPTIC_ULCER,
    PROPRANOLOL,
    RAMIPRIL,
    SPIRONOLACTONE,
    TSH,
    U_AND_E,
    WARFARIN,
)  # fmt: skip

REF = "2024-03-31"
AGED_70 = "1954-01-01"
AGED_40 = "1984-01-01"


def P(id, expect, note, dob=AGED_70, **kw):  # noqa: N802 - a table row
    return Patient(id, expect, dob=dob, note=note, **kw)


SPECS = {
    "pincer_a": [
        P(1, (1, 1), "aged exactly 65, NSAID, no PPI", dob="1959-03-01", meds=[("2024-02-01", IBUPROFEN)]),
        P(2, (0, 0), "aged 64", dob="1959-04-01", meds=[("2024-02-01", IBUPROFEN)]),
        P(
            3,
            (0, 0),
            "PPI in the window: gastro-protected",
            meds=[("2024-02-01", IBUPROFEN), ("2024-02-01", OMEPRAZOLE)],
        ),
        P(4, (1, 1), "PPI the day before the window", meds=[("2024-02-01", IBUPROFEN), ("2023-12-30", OMEPRAZOLE)]),
        P(5, (1, 1), "NSAID on the first day of the window", meds=[("2023-12-31", IBUPROFEN)]),
        P(6, (1, 0), "NSAID the day before the window", meds=[("2023-12-30", IBUPROFEN)]),
        P(7, (1, 0), "no NSAID"),
        P(8, (0, 0), "sex unknown: outside the PINCER population", sex="unknown", meds=[("2024-02-01", IBUPROFEN)]),
        P(9, (0, 0), "died before the reference date", died="2024-03-15", meds=[("2024-02-01", IBUPROFEN)]),
        P(10, (0, 0), "left the practice", registered=("2000-01-01", "2024-02-01"), meds=[("2024-01-10", IBUPROFEN)]),
        P(
            11,
            (0, 0),
            "PPI on the first day of the window",
            meds=[("2024-02-01", IBUPROFEN), ("2023-12-31", OMEPRAZOLE)],
        ),
        P(12, (0, 0), "aged 121", dob="1903-01-01", meds=[("2024-02-01", IBUPROFEN)]),
        P(13, (0, 0), "aged 40 (the ehrQL port dropped the age limit)", dob=AGED_40, meds=[("2024-02-01", IBUPROFEN)]),
        P(14, (1, 0), "NSAID eye drops are not an oral NSAID", meds=[("2024-02-01", FLURBIPROFEN_EYE_DROPS)]),
        P(15, (1, 0), "NSAID after the reference date", meds=[("2024-04-05", IBUPROFEN)]),
        P(16, (1, 1), "aged exactly 120", dob="1904-03-01", meds=[("2024-02-01", IBUPROFEN)]),
        P(17, (1, 0), "topical ibuprofen is not an oral NSAID", meds=[("2024-02-01", IBUPROFEN_TOPICAL)]),
        P(18, (1, 0), "parenteral ibuprofen is not an oral NSAID", meds=[("2024-02-01", IBUPROFEN_PARENTERAL)]),
        P(19, (1, 0), "parenteral indometacin is not an oral NSAID", meds=[("2024-02-01", INDOMETACIN_PARENTERAL)]),
        P(20, (1, 0), "flurbiprofen lozenges act locally", meds=[("2024-02-01", FLURBIPROFEN_OROMUCOSAL)]),
        P(21, (1, 1), "rectal naproxen is systemic: counted", meds=[("2024-02-01", NAPROXEN_RECTAL)]),
    ],
    "pincer_b": [
        P(
            1,
            (1, 1),
            "peptic ulcer years ago, NSAID",
            events=[ev("2020-01-01", PEPTIC_ULCER)],
            meds=[("2024-03-01", IBUPROFEN)],
        ),
        P(
            2,
            (1, 1),
            "GI bleed exactly 3 months ago",
            events=[ev("2023-12-31", GI_BLEED)],
            meds=[("2024-03-01", IBUPROFEN)],
        ),
        P(
            3,
            (0, 0),
            "ulcer only in the last 3 months",
            events=[ev("2024-01-01", PEPTIC_ULCER)],
            meds=[("2024-03-01", IBUPROFEN)],
        ),
        P(
            4,
            (0, 0),
            "gastro-protected",
            events=[ev("2020-01-01", PEPTIC_ULCER)],
            meds=[("2024-03-01", IBUPROFEN), ("2024-03-01", OMEPRAZOLE)],
        ),
        P(5, (1, 0), "ulcer, no NSAID", events=[ev("2020-01-01", PEPTIC_ULCER)]),
        P(
            6,
            (1, 1),
            "no age limit",
            dob=AGED_40,
            events=[ev("2020-01-01", GI_BLEED)],
            meds=[("2024-03-01", IBUPROFEN)],
        ),
        P(7, (0, 0), "no ulcer or bleed", meds=[("2024-03-01", IBUPROFEN)]),
    ],
    "pincer_c": [
        P(1, (1, 1), "ulcer, aspirin", events=[ev("2020-01-01", PEPTIC_ULCER)], meds=[("2024-03-01", ASPIRIN)]),
        P(2, (1, 1), "bleed, clopidogrel", events=[ev("2020-01-01", GI_BLEED)], meds=[("2024-03-01", CLOPIDOGREL)]),
        P(3, (1, 0), "ulcer, NSAID only", events=[ev("2020-01-01", PEPTIC_ULCER)], meds=[("2024-03-01", IBUPROFEN)]),
        P(
            4,
            (0, 0),
            "gastro-protected",
            events=[ev("2020-01-01", PEPTIC_ULCER)],
            meds=[("2024-03-01", ASPIRIN), ("2024-01-15", OMEPRAZOLE)],
        ),
        P(
            5,
            (1, 0),
            "aspirin the day before the window",
            events=[ev("2020-01-01", PEPTIC_ULCER)],
            meds=[("2023-12-30", ASPIRIN)],
        ),
    ],
    "pincer_d": [
        P(1, (1, 1), "warfarin and NSAID", meds=[("2024-02-01", WARFARIN), ("2024-03-01", IBUPROFEN)]),
        P(2, (1, 0), "apixaban, no NSAID", meds=[("2024-02-01", APIXABAN)]),
        P(3, (0, 0), "warfarin before the window", meds=[("2023-12-30", WARFARIN), ("2024-03-01", IBUPROFEN)]),
        P(
            4,
            (1, 1),
            "a PPI does not matter for D",
            meds=[("2024-02-01", WARFARIN), ("2024-03-01", IBUPROFEN), ("2024-03-01", OMEPRAZOLE)],
        ),
        P(5, (1, 1), "no age limit", dob=AGED_40, meds=[("2024-02-01", APIXABAN), ("2024-03-01", IBUPROFEN)]),
    ],
    "pincer_e": [
        P(1, (1, 1), "warfarin and aspirin 19 days apart", meds=[("2024-03-01", WARFARIN), ("2024-03-20", ASPIRIN)]),
        P(2, (1, 1), "27 days apart", meds=[("2024-01-01", WARFARIN), ("2024-01-28", CLOPIDOGREL)]),
        P(
            3,
            (1, 0),
            "28 days apart: not 'within 28 days'",
            meds=[("2024-01-01", WARFARIN), ("2024-01-29", CLOPIDOGREL)],
        ),
        P(
            4,
            (0, 0),
            "gastro-protected",
            meds=[("2024-03-01", WARFARIN), ("2024-03-01", ASPIRIN), ("2024-03-02", OMEPRAZOLE)],
        ),
        P(5, (1, 0), "anticoagulant only", meds=[("2024-03-01", WARFARIN)]),
        P(6, (1, 1), "both on the first day of the window", meds=[("2023-12-31", APIXABAN), ("2023-12-31", ASPIRIN)]),
        P(7, (1, 0), "aspirin before the window", meds=[("2024-01-15", WARFARIN), ("2023-12-20", ASPIRIN)]),
        P(
            8,
            (1, 1),
            "any pair of issues counts, not only first and last",
            meds=[
                ("2024-01-02", WARFARIN),
                ("2024-02-10", WARFARIN),
                ("2024-03-30", WARFARIN),
                ("2024-02-20", ASPIRIN),
            ],
        ),
        P(9, (0, 0), "antiplatelet without anticoagulant", meds=[("2024-03-01", ASPIRIN), ("2024-03-01", CLOPIDOGREL)]),
    ],
    "pincer_f": [
        P(
            1,
            (1, 1),
            "aspirin and clopidogrel on the same day",
            meds=[("2024-03-01", ASPIRIN), ("2024-03-01", CLOPIDOGREL)],
        ),
        P(2, (1, 0), "aspirin only", meds=[("2024-03-01", ASPIRIN)]),
        P(
            3,
            (0, 0),
            "gastro-protected",
            meds=[("2024-03-01", ASPIRIN), ("2024-03-01", CLOPIDOGREL), ("2024-03-01", OMEPRAZOLE)],
        ),
        P(4, (0, 0), "clopidogrel without aspirin", meds=[("2024-03-01", CLOPIDOGREL)]),
        P(5, (1, 0), "40 days apart", meds=[("2024-01-01", ASPIRIN), ("2024-02-10", CLOPIDOGREL)]),
    ],
    "pincer_g": [
        P(
            1,
            (1, 1),
            "asthma, never resolved (the published code dropped these)",
            events=[ev("2010-01-01", ASTHMA)],
            meds=[("2024-03-01", PROPRANOLOL)],
        ),
        P(
            2,
            (0, 0),
            "asthma resolved later",
            events=[ev("2010-01-01", ASTHMA), ev("2015-01-01", ASTHMA_RESOLVED)],
            meds=[("2024-03-01", PROPRANOLOL)],
        ),
        P(
            3,
            (1, 1),
            "asthma coded again after resolving",
            events=[ev("2010-01-01", ASTHMA), ev("2015-01-01", ASTHMA_RESOLVED), ev("2020-01-01", ASTHMA)],
            meds=[("2024-03-01", PROPRANOLOL)],
        ),
        P(
            4,
            (0, 0),
            "asthma only in the last 3 months",
            events=[ev("2024-01-15", ASTHMA)],
            meds=[("2024-03-01", PROPRANOLOL)],
        ),
        P(
            5,
            (0, 0),
            "resolved in the last 3 months",
            events=[ev("2010-01-01", ASTHMA), ev("2024-02-01", ASTHMA_RESOLVED)],
            meds=[("2024-03-01", PROPRANOLOL)],
        ),
        P(
            6,
            (0, 0),
            "resolved the same day",
            events=[ev("2010-01-01", ASTHMA), ev("2010-01-01", ASTHMA_RESOLVED)],
            meds=[("2024-03-01", PROPRANOLOL)],
        ),
        P(7, (1, 0), "asthma, no beta-blocker", events=[ev("2010-01-01", ASTHMA)]),
        P(
            8,
            (1, 1),
            "asthma exactly 3 months ago",
            events=[ev("2023-12-31", ASTHMA)],
            meds=[("2024-03-01", PROPRANOLOL)],
        ),
    ],
    "pincer_i": [
        P(
            1,
            (1, 1),
            "heart failure, NSAID",
            events=[ev("2020-01-01", HEART_FAILURE)],
            meds=[("2024-03-01", IBUPROFEN)],
        ),
        P(
            2,
            (0, 0),
            "heart failure only in the last 3 months",
            events=[ev("2024-01-10", HEART_FAILURE)],
            meds=[("2024-03-01", IBUPROFEN)],
        ),
        P(3, (1, 0), "heart failure, no NSAID", events=[ev("2020-01-01", HEART_FAILURE)]),
        P(
            4,
            (1, 1),
            "a PPI does not matter for I",
            events=[ev("2020-01-01", HEART_FAILURE)],
            meds=[("2024-03-01", IBUPROFEN), ("2024-03-01", OMEPRAZOLE)],
        ),
    ],
    "pincer_k": [
        P(1, (1, 1), "eGFR 40, NSAID", events=[ev("2023-06-01", EGFR, 40)], meds=[("2024-03-01", IBUPROFEN)]),
        P(2, (0, 0), "eGFR 45 is not below 45", events=[ev("2023-06-01", EGFR, 45)], meds=[("2024-03-01", IBUPROFEN)]),
        P(3, (1, 1), "eGFR 44.9", events=[ev("2023-06-01", EGFR, 44.9)], meds=[("2024-03-01", IBUPROFEN)]),
        P(
            4,
            (0, 0),
            "eGFR 0.5 is below the plausible range",
            events=[ev("2023-06-01", EGFR, 0.5)],
            meds=[("2024-03-01", IBUPROFEN)],
        ),
        P(5, (1, 0), "eGFR 1, no NSAID", events=[ev("2023-06-01", EGFR, 1)]),
        P(
            6,
            (0, 0),
            "latest eGFR is 60",
            events=[ev("2023-01-01", EGFR, 30), ev("2023-10-01", EGFR, 60)],
            meds=[("2024-03-01", IBUPROFEN)],
        ),
        P(
            7,
            (0, 0),
            "low eGFR only in the last 3 months",
            events=[ev("2023-06-01", EGFR, 60), ev("2024-02-01", EGFR, 30)],
            meds=[("2024-03-01", IBUPROFEN)],
        ),
        P(8, (0, 0), "eGFR code without a value", events=[ev("2023-06-01", EGFR)], meds=[("2024-03-01", IBUPROFEN)]),
    ],
    "pincer_ac": [
        P(
            1,
            (1, 1),
            "aged exactly 75, long-term ACE inhibitor, no tests",
            dob="1949-03-01",
            meds=[("2022-12-01", RAMIPRIL), ("2024-03-01", RAMIPRIL)],
        ),
        P(2, (0, 0), "aged 74", dob="1949-04-01", meds=[("2022-12-01", RAMIPRIL), ("2024-03-01", RAMIPRIL)]),
        P(
            3,
            (1, 0),
            "loop diuretic, both tests",
            dob="1940-01-01",
            meds=[("2022-06-01", FUROSEMIDE), ("2024-02-01", FUROSEMIDE)],
            events=[ev("2023-06-01", CREATININE), ev("2023-06-01", U_AND_E)],
        ),
        P(
            4,
            (1, 1),
            "loop diuretic, renal test only",
            dob="1940-01-01",
            meds=[("2022-06-01", FUROSEMIDE), ("2024-02-01", FUROSEMIDE)],
            events=[ev("2023-06-01", CREATININE)],
        ),
        P(
            5,
            (0, 0),
            "aged 60 on a loop diuretic (the published definition had no age limit here)",
            dob="1964-01-01",
            meds=[("2022-06-01", FUROSEMIDE), ("2024-02-01", FUROSEMIDE)],
        ),
        P(6, (0, 0), "ACE inhibitor only recently", dob="1940-01-01", meds=[("2024-01-01", RAMIPRIL)]),
        P(
            7,
            (1, 0),
            "issues and tests on the window boundaries",
            dob="1940-01-01",
            meds=[("2022-12-31", RAMIPRIL), ("2023-09-30", RAMIPRIL)],
            events=[ev("2022-12-31", CREATININE), ev("2024-01-01", U_AND_E)],
        ),
        P(
            8,
            (0, 0),
            "spironolactone is not a loop diuretic",
            dob="1940-01-01",
            meds=[("2022-06-01", SPIRONOLACTONE), ("2024-02-01", SPIRONOLACTONE)],
        ),
        P(
            9,
            (1, 1),
            "renal test the day before the 15-month window",
            dob="1940-01-01",
            meds=[("2022-06-01", RAMIPRIL), ("2024-02-01", RAMIPRIL)],
            events=[ev("2022-12-30", CREATININE), ev("2024-01-01", U_AND_E)],
        ),
        P(
            10,
            (0, 0),
            "no issue in the last 6 months",
            dob="1940-01-01",
            meds=[("2022-06-01", RAMIPRIL), ("2023-09-29", RAMIPRIL)],
        ),
    ],
}

_ME = [
    ("both issues, no tests", [("2023-11-15", METHOTREXATE), ("2024-02-15", METHOTREXATE)], [], (1, 1), (1, 1)),
    ("FBC done (the ehrQL port used the FBC list for LFTs)", [("2023-11-15", METHOTREXATE), ("2024-02-15", METHOTREXATE)],
     [ev("2024-03-01", FBC)], (1, 0), (1, 1)),
    ("LFT done", [("2023-11-15", METHOTREXATE), ("2024-02-15", METHOTREXATE)], [ev("2024-03-01", LFT)], (1, 1), (1, 0)),
    ("recent issue only", [("2024-02-15", METHOTREXATE)], [], (0, 0), (0, 0)),
    ("earlier issue exactly 6 months ago", [("2023-09-30", METHOTREXATE), ("2024-03-01", METHOTREXATE)], [], (1, 1), (1, 1)),
    ("earlier issue the day before the 6-month window", [("2023-09-29", METHOTREXATE), ("2024-03-01", METHOTREXATE)], [],
     (0, 0), (0, 0)),
    ("one issue exactly 3 months ago falls in both windows", [("2023-12-31", METHOTREXATE)], [], (1, 1), (1, 1)),
    ("tests on the first day of the window", [("2023-11-15", METHOTREXATE), ("2024-02-15", METHOTREXATE)],
     [ev("2023-12-31", FBC), ev("2023-12-31", LFT)], (1, 0), (1, 0)),
    ("tests the day before the window", [("2023-11-15", METHOTREXATE), ("2024-02-15", METHOTREXATE)],
     [ev("2023-12-30", FBC), ev("2023-12-30", LFT)], (1, 1), (1, 1)),
]  # fmt: skip
SPECS["pincer_me_fbc"] = [P(i, fbc, note, meds=meds, events=evs) for i, (note, meds, evs, fbc, _) in enumerate(_ME, 1)]
SPECS["pincer_me_lft"] = [P(i, lft, note, meds=meds, events=evs) for i, (note, meds, evs, _, lft) in enumerate(_ME, 1)]
SPECS["pincer_li"] = [
    P(1, (1, 1), "no lithium level", meds=[("2023-11-01", LITHIUM), ("2024-03-01", LITHIUM)]),
    P(
        2,
        (1, 0),
        "level in the last 3 months",
        meds=[("2023-11-01", LITHIUM), ("2024-03-01", LITHIUM)],
        events=[ev("2024-02-01", LITHIUM_LEVEL)],
    ),
    P(
        3,
        (1, 1),
        "level the day before the window",
        meds=[("2023-11-01", LITHIUM), ("2024-03-01", LITHIUM)],
        events=[ev("2023-12-30", LITHIUM_LEVEL)],
    ),
    P(4, (0, 0), "no earlier issue", meds=[("2024-03-01", LITHIUM)]),
]
SPECS["pincer_am"] = [
    P(1, (1, 1), "no thyroid test", meds=[("2023-06-01", AMIODARONE), ("2024-01-01", AMIODARONE)]),
    P(
        2,
        (1, 0),
        "thyroid test in the last 6 months (the ehrQL port counted these)",
        meds=[("2023-06-01", AMIODARONE), ("2024-01-01", AMIODARONE)],
        events=[ev("2023-11-01", TSH)],
    ),
    P(
        3,
        (1, 1),
        "test the day before the window",
        meds=[("2023-06-01", AMIODARONE), ("2024-01-01", AMIODARONE)],
        events=[ev("2023-09-29", TSH)],
    ),
    P(4, (0, 0), "recent issue only", meds=[("2024-01-01", AMIODARONE)]),
    P(5, (1, 1), "earlier issue exactly 12 months ago", meds=[("2023-03-31", AMIODARONE), ("2024-01-01", AMIODARONE)]),
    P(
        6,
        (0, 0),
        "earlier issue 12 months and a day ago",
        meds=[("2023-03-30", AMIODARONE), ("2024-01-01", AMIODARONE)],
    ),
]

# Composites: (gi_bleed, other, monitoring, any) per patient.
_COMPOSITE = [
    ("A triggered", dict(meds=[("2024-03-01", IBUPROFEN)]), (1, 1), (0, 0), (0, 0), (1, 1)),
    ("heart failure, aged 40, no NSAID", dict(dob=AGED_40, events=[ev("2020-01-01", HEART_FAILURE)]),
     (0, 0), (1, 0), (0, 0), (1, 0)),
    ("heart failure, aged 70, NSAID: A and I", dict(events=[ev("2020-01-01", HEART_FAILURE)], meds=[("2024-03-01", IBUPROFEN)]),
     (1, 1), (1, 1), (0, 0), (1, 1)),
    ("lithium without levels, aged 40", dict(dob=AGED_40, meds=[("2023-11-01", LITHIUM), ("2024-03-01", LITHIUM)]),
     (0, 0), (0, 0), (1, 1), (1, 1)),
    ("aged 40, nothing", dict(dob=AGED_40), (0, 0), (0, 0), (0, 0), (0, 0)),
    ("aged 70 with a PPI: in no denominator", dict(meds=[("2024-03-01", IBUPROFEN), ("2024-03-01", OMEPRAZOLE)]),
     (0, 0), (0, 0), (0, 0), (0, 0)),
    ("aged 70, no NSAID: in A's denominator only", {}, (1, 0), (0, 0), (0, 0), (1, 0)),
    ("methotrexate with FBC but no LFT", dict(dob=AGED_40, meds=[("2023-11-15", METHOTREXATE), ("2024-02-15", METHOTREXATE)],
     events=[ev("2024-03-01", FBC)]), (0, 0), (0, 0), (1, 1), (1, 1)),
]  # fmt: skip
for position, name in enumerate(("gi_bleed", "other", "monitoring", "any")):
    SPECS[f"pincer_{name}"] = [P(i, row[2 + position], row[0], **row[1]) for i, row in enumerate(_COMPOSITE, 1)]


def test_every_pincer_measure_has_a_spec():
    assert set(SPECS) == {m for m, x in all_measures().items() if m.startswith("pincer_") and "audit" not in x.tags}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("measure_id", sorted(SPECS))
def test_pincer_spec(engine, measure_id):
    check(engine, all_measures()[measure_id], SPECS[measure_id], REF)


@pytest.mark.parametrize("engine", ENGINES)
def test_pincer_a_month_by_month_over_short_months(engine):
    """Month ends map to month ends: at 29 Feb 2024 the window starts on 30 Nov 2023 (inclusive)."""
    patients = [
        P(1, (0, 0), "NSAID on 30 Nov 2023", meds=[("2023-11-30", IBUPROFEN)]),
        P(2, (0, 0), "NSAID on 29 Nov 2023", meds=[("2023-11-29", IBUPROFEN)]),
        P(
            3,
            (0, 0),
            "PPI on 30 Nov 2023, NSAID in March",
            meds=[("2023-11-30", OMEPRAZOLE), ("2024-03-01", IBUPROFEN)],
        ),
    ]
    got = run_engine_monthly(engine, all_measures()["pincer_a"], patients, "2024-01", "2024-03")
    assert got == {
        "2024-01-31": {1: (1, 1), 2: (1, 1), 3: (0, 0)},
        "2024-02-29": {1: (1, 1), 2: (1, 0), 3: (0, 0)},
        "2024-03-31": {1: (1, 0), 2: (1, 0), 3: (1, 1)},
    }
