"""Spec tests for the QOF hypertension, diabetes, AF and asthma measures, reference date 31 March 2024.

"Last 12 months" = 2023-04-01 .. 2024-03-31. Newly diagnosed/registered PCA: after 2023-06-30 (9 months) for
hypertension and diabetes, after 2023-12-31 (3 months) for AF and asthma. Ages on 2024-03-31 (born 1944-04-01: 79;
born 1944-03-01: 80).
"""

from __future__ import annotations

import pytest

from qiloop.measures.library import all_measures

from ..spec import ENGINES, Patient, check
from ..spec import event as ev
from .codes import (
    AF,
    AF_RESOLVED,
    APIXABAN,
    ASTHMA,
    ASTHMA_RESOLVED,
    ASTHMA_REVIEW,
    BP_DECLINED,
    CHADS_VASC,
    DIABETES,
    DIABETES_RESOLVED,
    DIASTOLIC,
    DM_INVITE_1,
    DM_INVITE_2,
    DM_MAX_THERAPY,
    DM_UNSUITABLE,
    HBA1C,
    HEART_FAILURE,
    HOME_DIASTOLIC,
    HOME_SYSTOLIC,
    HYP_INVITE_1,
    HYP_INVITE_2,
    HYP_MAX_THERAPY,
    HYP_UNSUITABLE,
    HYPERTENSION,
    HYPERTENSION_RESOLVED,
    MODERATE_FRAILTY,
    STROKE,
    SYSTOLIC,
    TIA,
    TYPE_2_DIABETES,
    WARFARIN,
)  # fmt: skip

REF = "2024-03-31"
AGED_60 = "1964-01-01"
HYP = ev("2015-01-01", HYPERTENSION)


def P(id, expect, note, dob=AGED_60, **kw):  # noqa: N802 - a table row
    return Patient(id, expect, dob=dob, note=note, **kw)


def bp(date, systolic, diastolic, home=False):
    s, d = (HOME_SYSTOLIC, HOME_DIASTOLIC) if home else (SYSTOLIC, DIASTOLIC)
    return [ev(date, s, systolic), ev(date, d, diastolic)]


SPECS = {
    "hyp008": [
        P(1, (1, 1), "138/88", events=[HYP, *bp("2024-01-10", 138, 88)]),
        P(2, (1, 0), "141/88", events=[HYP, *bp("2024-01-10", 141, 88)]),
        P(3, (1, 1), "exactly 140/90", events=[HYP, *bp("2024-01-10", 140, 90)]),
        P(4, (1, 0), "130/91", events=[HYP, *bp("2024-01-10", 130, 91)]),
        P(
            5,
            (1, 1),
            "latest reading counts: high then at target",
            events=[HYP, *bp("2023-06-01", 150, 95), *bp("2024-02-01", 130, 80)],
        ),
        P(
            6,
            (1, 0),
            "latest reading counts: at target then high",
            events=[HYP, *bp("2023-06-01", 130, 80), *bp("2024-02-01", 150, 95)],
        ),
        P(
            7,
            (1, 1),
            "latest is a home average 134/84",
            events=[HYP, *bp("2024-01-01", 150, 95), *bp("2024-03-01", 134, 84, home=True)],
        ),
        P(
            8,
            (1, 0),
            "latest is a home average 136/84",
            events=[HYP, *bp("2024-01-01", 130, 80), *bp("2024-03-01", 136, 84, home=True)],
        ),
        P(
            9,
            (1, 1),
            "latest is clinic 138/88 after a high home average",
            events=[HYP, *bp("2024-01-01", 150, 95, home=True), *bp("2024-03-01", 138, 88)],
        ),
        P(10, (1, 0), "reading exactly 12 months ago is outside", events=[HYP, *bp("2023-03-31", 130, 80)]),
        P(11, (0, 0), "aged 80: HYP009", dob="1944-03-01", events=[HYP, *bp("2024-01-10", 138, 88)]),
        P(12, (1, 1), "aged 79", dob="1944-04-01", events=[HYP, *bp("2024-01-10", 138, 88)]),
        P(13, (0, 0), "unsuitable (PCA), no reading", events=[HYP, ev("2023-06-01", HYP_UNSUITABLE)]),
        P(
            14,
            (1, 1),
            "unsuitable but at target: counts",
            events=[HYP, ev("2023-06-01", HYP_UNSUITABLE), *bp("2024-01-10", 130, 80)],
        ),
        P(
            15,
            (0, 0),
            "two invitations, no reading",
            events=[HYP, ev("2023-05-01", HYP_INVITE_1), ev("2023-06-01", HYP_INVITE_2)],
        ),
        P(16, (1, 0), "one invitation, no reading", events=[HYP, ev("2023-05-01", HYP_INVITE_1)]),
        P(
            17,
            (0, 0),
            "hypertension resolved",
            events=[HYP, ev("2020-01-01", HYPERTENSION_RESOLVED), *bp("2024-01-10", 130, 80)],
        ),
        P(18, (0, 0), "diagnosed in the last 9 months, no reading", events=[ev("2023-08-01", HYPERTENSION)]),
        P(19, (1, 0), "diagnosed exactly 9 months ago is not new", events=[ev("2023-06-30", HYPERTENSION)]),
        P(20, (0, 0), "BP declined, no reading", events=[HYP, ev("2023-09-01", BP_DECLINED)]),
        P(21, (1, 0), "maximal therapy coded more than 12 months ago", events=[HYP, ev("2022-01-01", HYP_MAX_THERAPY)]),
        P(
            22,
            (1, 1),
            "two systolics on the latest day: the lowest counts",
            events=[
                HYP,
                ev("2024-02-01", SYSTOLIC, 150),
                ev("2024-02-01", SYSTOLIC, 135),
                ev("2024-02-01", DIASTOLIC, 85),
            ],
        ),
        P(23, (1, 0), "no reading at all", events=[HYP]),
        P(
            24,
            (1, 0),
            "two invitations 6 days apart are not enough",
            events=[HYP, ev("2023-05-01", HYP_INVITE_1), ev("2023-05-07", HYP_INVITE_2)],
        ),
        P(
            25,
            (0, 0),
            "two invitations exactly 7 days apart",
            events=[HYP, ev("2023-05-01", HYP_INVITE_1), ev("2023-05-08", HYP_INVITE_2)],
        ),
        P(
            26,
            (1, 0),
            "a later systolic-only reading is not paired with an older diastolic (QOF: latest reading)",
            events=[HYP, *bp("2023-10-01", 160, 80), ev("2024-02-01", SYSTOLIC, 130)],
        ),
        P(
            27,
            (1, 0),
            "a later diastolic-only reading is not paired with an older systolic",
            events=[HYP, *bp("2023-10-01", 130, 95), ev("2024-02-01", DIASTOLIC, 80)],
        ),
        P(
            28,
            (1, 1),
            "two full readings on the latest day: lowest systolic and lowest diastolic of that day",
            events=[HYP, *bp("2023-10-01", 160, 100), *bp("2024-02-01", 145, 80), *bp("2024-02-01", 135, 92)],
        ),
        P(
            29,
            (1, 0),
            "home average with a systolic only, older full home average at target: not paired",
            events=[
                HYP,
                *bp("2023-10-01", 150, 95),
                *bp("2023-11-01", 130, 80, home=True),
                ev("2024-02-01", HOME_SYSTOLIC, 130),
            ],
        ),  # fmt: skip
    ],
    "hyp009": [
        P(1, (1, 1), "aged 80, 148/88", dob="1944-03-01", events=[HYP, *bp("2024-01-10", 148, 88)]),
        P(2, (1, 0), "aged 80, 152/88", dob="1944-03-01", events=[HYP, *bp("2024-01-10", 152, 88)]),
        P(3, (1, 1), "aged 85, home 144/84", dob="1939-01-01", events=[HYP, *bp("2024-01-10", 144, 84, home=True)]),
        P(4, (1, 0), "aged 85, home 146/84", dob="1939-01-01", events=[HYP, *bp("2024-01-10", 146, 84, home=True)]),
        P(5, (0, 0), "aged 79: HYP008", dob="1944-04-01", events=[HYP, *bp("2024-01-10", 148, 88)]),
        P(6, (1, 1), "aged 80, exactly 150/90", dob="1944-03-01", events=[HYP, *bp("2024-01-10", 150, 90)]),
    ],
}

DM = ev("2015-01-01", DIABETES)
FRAIL = ev("2022-01-01", MODERATE_FRAILTY)
_DIABETES = [
    # note, patient fields, dm020, dm021
    ("HbA1c 58, not frail", dict(events=[DM, ev("2024-01-01", HBA1C, 58)]), (1, 1), (0, 0)),
    ("HbA1c 59, not frail", dict(events=[DM, ev("2024-01-01", HBA1C, 59)]), (1, 0), (0, 0)),
    ("frail, HbA1c 70", dict(events=[DM, FRAIL, ev("2024-01-01", HBA1C, 70)]), (0, 0), (1, 1)),
    ("frail, HbA1c 76", dict(events=[DM, FRAIL, ev("2024-01-01", HBA1C, 76)]), (0, 0), (1, 0)),
    ("frail, exactly 75", dict(events=[DM, FRAIL, ev("2024-01-01", HBA1C, 75)]), (0, 0), (1, 1)),
    ("aged 16", dict(dob="2007-06-01", events=[DM, ev("2024-01-01", HBA1C, 50)]), (0, 0), (0, 0)),
    ("aged exactly 17", dict(dob="2007-03-01", events=[DM, ev("2024-01-01", HBA1C, 50)]), (1, 1), (0, 0)),
    ("diabetes resolved", dict(events=[DM, ev("2020-01-01", DIABETES_RESOLVED), ev("2024-01-01", HBA1C, 50)]), (0, 0), (0, 0)),
    ("latest HbA1c counts", dict(events=[DM, ev("2023-05-01", HBA1C, 50), ev("2024-01-01", HBA1C, 62)]), (1, 0), (0, 0)),
    ("HbA1c exactly 12 months ago is outside", dict(events=[DM, ev("2023-03-31", HBA1C, 50)]), (1, 0), (0, 0)),
    ("newly diagnosed, no HbA1c: adjusted out", dict(events=[ev("2023-10-01", TYPE_2_DIABETES)]), (0, 0), (0, 0)),
    ("newly registered, no HbA1c: adjusted out", dict(registered=("2023-12-01", None), events=[DM]), (0, 0), (0, 0)),
    ("newly registered at target: counts", dict(registered=("2023-12-01", None), events=[DM, ev("2024-01-01", HBA1C, 50)]),
     (1, 1), (0, 0)),
    ("frail, newly diagnosed, no HbA1c", dict(events=[FRAIL, ev("2023-10-01", DIABETES)]), (0, 0), (0, 0)),
    # QOF v49 personalised care adjustments (DMPCAPU_COD, DMMAX_COD, DMINVITE_COD), in the last 12 months
    ("unsuitable, HbA1c 70: adjusted out", dict(events=[DM, ev("2023-06-01", DM_UNSUITABLE), ev("2024-01-01", HBA1C, 70)]),
     (0, 0), (0, 0)),
    ("unsuitable but at target: counts", dict(events=[DM, ev("2023-06-01", DM_UNSUITABLE), ev("2024-01-01", HBA1C, 50)]),
     (1, 1), (0, 0)),
    ("unsuitable 13 months ago: still counted", dict(events=[DM, ev("2023-02-01", DM_UNSUITABLE)]), (1, 0), (0, 0)),
    ("maximal tolerated therapy, HbA1c 70", dict(events=[DM, ev("2023-06-01", DM_MAX_THERAPY), ev("2024-01-01", HBA1C, 70)]),
     (0, 0), (0, 0)),
    ("frail, maximal therapy, HbA1c 80", dict(events=[DM, FRAIL, ev("2023-06-01", DM_MAX_THERAPY), ev("2024-01-01", HBA1C, 80)]),
     (0, 0), (0, 0)),
    ("two invitations 7 days apart, no HbA1c", dict(events=[DM, ev("2023-05-01", DM_INVITE_1), ev("2023-05-08", DM_INVITE_2)]),
     (0, 0), (0, 0)),
    ("two invitations 6 days apart, no HbA1c", dict(events=[DM, ev("2023-05-01", DM_INVITE_1), ev("2023-05-07", DM_INVITE_2)]),
     (1, 0), (0, 0)),
]  # fmt: skip
SPECS["dm020"] = [P(i, row[2], row[0], **row[1]) for i, row in enumerate(_DIABETES, 1)]
SPECS["dm021"] = [P(i, row[3], row[0], **row[1]) for i, row in enumerate(_DIABETES, 1)]

AF_DX = ev("2018-01-01", AF)
MALE_60 = dict(dob=AGED_60, sex="male")
SPECS["af008"] = [
    P(1, (1, 1), "aged 76, warfarin", dob="1947-06-01", events=[AF_DX], meds=[("2024-01-01", WARFARIN)]),
    P(2, (1, 0), "aged 76, no anticoagulant", dob="1947-06-01", events=[AF_DX]),
    P(3, (0, 0), "male aged 60, no risk factors (score 0)", **MALE_60, events=[AF_DX]),
    P(4, (1, 0), "female 60 with hypertension (score 2)", events=[AF_DX, HYP]),
    P(5, (0, 0), "female 60, nothing else (score 1)", events=[AF_DX]),
    P(
        6,
        (1, 1),
        "male 70 with heart failure (score 2)",
        dob="1954-01-01",
        sex="male",
        events=[AF_DX, ev("2019-01-01", HEART_FAILURE)],
        meds=[("2024-03-01", APIXABAN)],
    ),
    P(7, (1, 0), "male 60 with a stroke (score 2)", **MALE_60, events=[AF_DX, ev("2019-01-01", STROKE)]),
    P(8, (1, 0), "male 60 with diabetes and hypertension (score 2)", **MALE_60, events=[AF_DX, DM, HYP]),
    P(9, (0, 0), "AF resolved", dob="1940-01-01", events=[AF_DX, ev("2020-01-01", AF_RESOLVED)]),
    P(
        10,
        (1, 0),
        "apixaban exactly 6 months ago is outside",
        dob="1940-01-01",
        events=[AF_DX],
        meds=[("2023-09-30", APIXABAN)],
    ),
    P(11, (0, 0), "newly diagnosed, no anticoagulant: adjusted out", dob="1940-01-01", events=[ev("2024-02-01", AF)]),
    P(12, (1, 0), "male 60 with a TIA (score 2)", **MALE_60, events=[AF_DX, ev("2019-01-01", TIA)]),
    P(
        13,
        (0, 0),
        "male 60, hypertension resolved (score 0)",
        **MALE_60,
        events=[AF_DX, HYP, ev("2020-01-01", HYPERTENSION_RESOLVED)],
    ),
    P(
        14,
        (1, 0),
        "male aged exactly 65 with hypertension (score 2)",
        dob="1959-03-01",
        sex="male",
        events=[AF_DX, HYP],
    ),
    P(15, (0, 0), "male aged 64 with hypertension (score 1)", dob="1959-04-01", sex="male", events=[AF_DX, HYP]),
    P(
        16,
        (1, 1),
        "recorded score 2 wins over a computed 0",
        **MALE_60,
        events=[AF_DX, ev("2023-06-01", CHADS_VASC, 2)],
        meds=[("2024-03-01", WARFARIN)],
    ),
    P(
        17,
        (0, 0),
        "recorded score 1 wins over a computed 2 (aged 76)",
        dob="1947-06-01",
        events=[AF_DX, ev("2023-06-01", CHADS_VASC, 1)],
    ),
    P(19, (1, 0), "female aged exactly 65, nothing else (score 2)", dob="1959-03-01", events=[AF_DX]),
    P(20, (0, 0), "female aged 64, nothing else (score 1)", dob="1959-04-01", events=[AF_DX]),
    P(
        18,
        (1, 0),
        "latest recorded score counts",
        **MALE_60,
        events=[AF_DX, ev("2020-06-01", CHADS_VASC, 1), ev("2023-06-01", CHADS_VASC, 3)],
    ),
]

SPECS["af006"] = [
    P(1, (1, 1), "scored this year", **MALE_60, events=[AF_DX, ev("2023-06-01", CHADS_VASC, 1)]),
    P(2, (1, 0), "never scored", **MALE_60, events=[AF_DX]),
    P(3, (0, 0), "earlier score of 2: excluded", events=[AF_DX, ev("2022-06-01", CHADS_VASC, 2)]),
    P(
        4,
        (0, 0),
        "earlier score of 2, re-scored this year: still excluded (QOF excludes a previous score of 2+)",
        events=[AF_DX, ev("2022-06-01", CHADS_VASC, 2), ev("2023-06-01", CHADS_VASC, 3)],
    ),
    P(5, (1, 0), "earlier score of 1, not re-scored", **MALE_60, events=[AF_DX, ev("2022-06-01", CHADS_VASC, 1)]),
    P(
        6,
        (1, 0),
        "scored exactly 12 months ago is outside (and a score of 1 does not exclude)",
        **MALE_60,
        events=[AF_DX, ev("2023-03-31", CHADS_VASC, 1)],
    ),
    P(
        7,
        (0, 0),
        "scored exactly 12 months ago with 2: excluded",
        **MALE_60,
        events=[AF_DX, ev("2023-03-31", CHADS_VASC, 2)],
    ),
    P(8, (0, 0), "not on the AF register", events=[ev("2023-06-01", CHADS_VASC, 1)]),
    P(9, (0, 0), "newly diagnosed, not scored: adjusted out", events=[ev("2024-02-01", AF)]),
]

AST = ev("2010-01-01", ASTHMA)
SPECS["ast_review"] = [
    P(1, (1, 1), "reviewed this year", events=[AST, ev("2023-09-01", ASTHMA_REVIEW)]),
    P(2, (1, 0), "not reviewed", events=[AST]),
    P(3, (0, 0), "aged 5", dob="2018-06-01", events=[AST, ev("2023-09-01", ASTHMA_REVIEW)]),
    P(4, (0, 0), "asthma resolved", events=[AST, ev("2015-01-01", ASTHMA_RESOLVED)]),
    P(5, (1, 0), "review exactly 12 months ago is outside", events=[AST, ev("2023-03-31", ASTHMA_REVIEW)]),
    P(6, (0, 0), "newly diagnosed, not reviewed: adjusted out", events=[ev("2024-02-01", ASTHMA)]),
    P(7, (1, 1), "aged exactly 6", dob="2018-03-01", events=[AST, ev("2023-09-01", ASTHMA_REVIEW)]),
]


def test_every_qof_measure_has_a_spec():
    assert set(SPECS) == {"hyp008", "hyp009", "dm020", "dm021", "af006", "af008", "ast_review"}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("measure_id", sorted(SPECS))
def test_qof_spec(engine, measure_id):
    check(engine, all_measures()[measure_id], SPECS[measure_id], REF)
