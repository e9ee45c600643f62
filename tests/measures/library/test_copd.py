"""Spec tests for the COPD measures, reference date 31 March 2024.

"Last 12 months" at 2024-03-31 = 2023-04-01 .. 2024-03-31 (a reading on 2023-03-31 is outside). The flu season
("since the most recent 1 August") = 2023-08-01 .. 2024-03-31; at 2024-09-30 it is 2024-08-01 .. 2024-09-30. New to
the register (PCA) = first COPD code or registration after 2023-12-31.
"""

from __future__ import annotations

import pytest

from qiloop.measures.library import all_measures

from ..spec import ENGINES, Patient, check
from ..spec import event as ev
from .codes import (
    COPD,
    COPD_DISSENT,
    COPD_INVITE_1,
    COPD_INVITE_2,
    COPD_RESOLVED,
    COPD_REVIEW,
    COPD_UNSUITABLE,
    EXACERBATION_COUNT,
    FEV1_FVC,
    FLU,
    FLU_PHARMACY,
    MRC_2,
    MRC_3,
    MRC_4,
    MRC_5,
    PR_ATTENDED,
    PR_REFERRAL,
    PR_UNSUITABLE,
)  # fmt: skip

REF = "2024-03-31"
OLD_COPD = ev("2015-01-01", COPD)


def P(id, expect, note, **kw):  # noqa: N802 - a table row
    return Patient(id, expect, dob="1950-01-01", note=note, **kw)


SPECS = {
    "copd_register": [
        P(1, (1, 1), "COPD since 2015", events=[OLD_COPD]),
        P(2, (1, 0), "COPD resolved", events=[OLD_COPD, ev("2020-01-01", COPD_RESOLVED)]),
        P(
            3,
            (1, 1),
            "diagnosed after April 2023, FEV1/FVC 0.62",
            events=[ev("2023-05-01", COPD), ev("2023-05-01", FEV1_FVC, 0.62)],
        ),
        P(
            4,
            (1, 0),
            "diagnosed after April 2023, FEV1/FVC 0.75",
            events=[ev("2023-05-01", COPD), ev("2023-05-01", FEV1_FVC, 0.75)],
        ),
        P(5, (1, 0), "diagnosed after April 2023, no spirometry", events=[ev("2023-05-01", COPD)]),
        P(6, (1, 0), "diagnosed on 1 April 2023 needs spirometry", events=[ev("2023-04-01", COPD)]),
        P(7, (1, 1), "diagnosed on 31 March 2023 does not", events=[ev("2023-03-31", COPD)]),
        P(
            8,
            (1, 1),
            "FEV1/FVC recorded as a percentage, 65",
            events=[ev("2023-05-01", COPD), ev("2023-06-01", FEV1_FVC, 65)],
        ),
        P(
            9,
            (1, 0),
            "FEV1/FVC recorded as a percentage, 72",
            events=[ev("2023-05-01", COPD), ev("2023-06-01", FEV1_FVC, 72)],
        ),
        P(10, (1, 0), "no COPD"),
        P(
            90,
            (1, 0),
            "unqualified FEV1/FVC ratio 0.6 (may be pre-bronchodilator) does not confirm",
            events=[ev("2023-05-01", COPD), ev("2023-05-01", "251944000", 0.6)],
        ),
        P(
            91,
            (1, 0),
            "FEV1/FVC percent 60 (may be pre-bronchodilator) does not confirm",
            events=[ev("2023-05-01", COPD), ev("2023-05-01", "313222007", 60)],
        ),
        P(
            92,
            (1, 1),
            "post-bronchodilator 0.6, 93 days before the first COPD code",
            events=[ev("2023-08-03", COPD), ev("2023-05-02", FEV1_FVC, 0.6)],
        ),
        P(
            93,
            (1, 0),
            "post-bronchodilator 0.6, 94 days before the first COPD code",
            events=[ev("2023-08-03", COPD), ev("2023-05-01", FEV1_FVC, 0.6)],
        ),
        P(
            94,
            (1, 0),
            "obstructive readings 100 days before and 200 days after, none inside the range (the old shortcut said yes)",
            events=[ev("2023-08-10", COPD), ev("2023-05-02", FEV1_FVC, 0.6), ev("2024-02-26", FEV1_FVC, 0.6)],
        ),
        P(
            95,
            (1, 1),
            "post-bronchodilator 0.6 exactly 186 days after the first COPD code",
            events=[ev("2023-05-01", COPD), ev("2023-11-03", FEV1_FVC, 0.6)],
        ),
        P(
            96,
            (1, 0),
            "post-bronchodilator 0.6, 187 days after the first COPD code",
            events=[ev("2023-05-01", COPD), ev("2023-11-04", FEV1_FVC, 0.6)],
        ),
        P(
            97,
            (1, 1),
            "obstructive reading in range but normal reading in between: the obstructive one counts",
            events=[ev("2023-05-01", COPD), ev("2023-06-01", FEV1_FVC, 0.8), ev("2023-07-01", FEV1_FVC, 0.6)],
        ),
        P(
            11,
            (1, 1),
            "resolved then re-coded: first diagnosis 2015",
            events=[OLD_COPD, ev("2020-01-01", COPD_RESOLVED), ev("2021-01-01", COPD)],
        ),
        P(
            12,
            (1, 0),
            "FEV1/FVC exactly 0.7 is not obstruction",
            events=[ev("2023-05-01", COPD), ev("2023-05-01", FEV1_FVC, 0.7)],
        ),
        P(13, (0, 0), "died", died="2024-01-01", events=[OLD_COPD]),
        P(
            14,
            (1, 0),
            "obstruction 94 days before diagnosis is too early",
            events=[ev("2023-05-01", COPD), ev("2023-01-27", FEV1_FVC, 0.6)],
        ),
        P(
            15,
            (1, 1),
            "obstruction exactly 93 days before diagnosis",
            events=[ev("2023-05-01", COPD), ev("2023-01-28", FEV1_FVC, 0.6)],
        ),
        P(
            16,
            (1, 1),
            "obstruction exactly 186 days after diagnosis",
            events=[ev("2023-05-01", COPD), ev("2023-11-03", FEV1_FVC, 0.6)],
        ),
        P(
            17,
            (1, 0),
            "obstruction 187 days after diagnosis is too late",
            events=[ev("2023-05-01", COPD), ev("2023-11-04", FEV1_FVC, 0.6)],
        ),
        P(
            18,
            (1, 1),
            "obstructive reading in range; a later normal reading does not undo it",
            events=[ev("2023-05-01", COPD), ev("2023-05-01", FEV1_FVC, 0.62), ev("2024-01-10", FEV1_FVC, 0.78)],
        ),
        P(
            19,
            (1, 0),
            "diagnosed 2023-05-01, obstruction only in 2020",
            events=[ev("2023-05-01", COPD), ev("2020-01-01", FEV1_FVC, 0.6)],
        ),
    ],
    "copd010": [
        P(
            1,
            (1, 1),
            "review, number of exacerbations and MRC grade this year",
            events=[
                OLD_COPD,
                ev("2023-06-01", COPD_REVIEW),
                ev("2023-06-01", EXACERBATION_COUNT, 1),
                ev("2023-06-01", MRC_2),
            ],
        ),
        P(
            2,
            (1, 0),
            "review and exacerbations without MRC grade",
            events=[OLD_COPD, ev("2023-06-01", COPD_REVIEW), ev("2023-06-01", EXACERBATION_COUNT, 0)],
        ),
        P(
            3,
            (1, 0),
            "review exactly 12 months ago is outside",
            events=[
                OLD_COPD,
                ev("2023-03-31", COPD_REVIEW),
                ev("2023-04-01", EXACERBATION_COUNT, 0),
                ev("2023-04-01", MRC_2),
            ],
        ),  # fmt: skip
        P(
            4,
            (1, 1),
            "all three on the first day of the window",
            events=[
                OLD_COPD,
                ev("2023-04-01", COPD_REVIEW),
                ev("2023-04-01", EXACERBATION_COUNT, 2),
                ev("2023-04-01", MRC_2),
            ],
        ),  # fmt: skip
        P(
            5,
            (0, 0),
            "newly diagnosed, not reviewed: adjusted out",
            events=[ev("2024-02-01", COPD), ev("2024-02-01", FEV1_FVC, 0.6)],
        ),
        P(
            6,
            (1, 1),
            "newly diagnosed and reviewed: counts",
            events=[
                ev("2024-02-01", COPD),
                ev("2024-02-01", FEV1_FVC, 0.6),
                ev("2024-03-01", COPD_REVIEW),
                ev("2024-03-01", EXACERBATION_COUNT, 0),
                ev("2024-03-01", MRC_3),
            ],
        ),
        P(
            7,
            (0, 0),
            "newly registered, not reviewed: adjusted out",
            registered=("2024-01-15", None),
            events=[OLD_COPD],
        ),
        P(8, (0, 0), "not on the register", events=[ev("2023-06-01", COPD_REVIEW), ev("2023-06-01", MRC_2)]),
        P(9, (1, 0), "registered exactly 3 months ago is not new", registered=("2023-12-31", None), events=[OLD_COPD]),
        P(
            10,
            (1, 0),
            "review and MRC grade, number of exacerbations not recorded",
            events=[OLD_COPD, ev("2023-06-01", COPD_REVIEW), ev("2023-06-01", MRC_2)],
        ),
        P(
            11,
            (1, 1),
            "the three parts on different days of the year count",
            events=[
                OLD_COPD,
                ev("2023-05-01", MRC_4),
                ev("2023-06-01", COPD_REVIEW),
                ev("2024-01-10", EXACERBATION_COUNT, 3),
            ],
        ),
        P(
            12,
            (1, 0),
            "number of exacerbations recorded 13 months ago is too old",
            events=[
                OLD_COPD,
                ev("2023-06-01", COPD_REVIEW),
                ev("2023-02-28", EXACERBATION_COUNT, 1),
                ev("2023-06-01", MRC_2),
            ],
        ),
        P(
            13,
            (0, 0),
            "two invitations 14 days apart, not reviewed: adjusted out",
            events=[OLD_COPD, ev("2023-10-01", COPD_INVITE_1), ev("2023-10-15", COPD_INVITE_2)],
        ),
        P(
            14,
            (0, 0),
            "two invitations exactly 7 days apart: adjusted out",
            events=[OLD_COPD, ev("2023-10-01", COPD_INVITE_1), ev("2023-10-08", COPD_INVITE_2)],
        ),
        P(
            15,
            (1, 0),
            "two invitations 6 days apart are not enough",
            events=[OLD_COPD, ev("2023-10-01", COPD_INVITE_1), ev("2023-10-07", COPD_INVITE_2)],
        ),
        P(16, (1, 0), "one invitation is not enough", events=[OLD_COPD, ev("2023-10-01", COPD_INVITE_1)]),
        P(
            17,
            (1, 0),
            "second invitation before the 12-month window",
            events=[OLD_COPD, ev("2023-03-01", COPD_INVITE_1), ev("2023-04-20", COPD_INVITE_2)],
        ),
        P(
            18,
            (1, 1),
            "invited twice and then reviewed: counts (the PCA applies only when not met)",
            events=[
                OLD_COPD,
                ev("2023-10-01", COPD_INVITE_1),
                ev("2023-10-15", COPD_INVITE_2),
                ev("2023-11-01", COPD_REVIEW),
                ev("2023-11-01", EXACERBATION_COUNT, 0),
                ev("2023-11-01", MRC_2),
            ],
        ),
        P(
            19,
            (0, 0),
            "excepted as unsuitable this year: adjusted out",
            events=[OLD_COPD, ev("2023-09-01", COPD_UNSUITABLE)],
        ),
        P(20, (0, 0), "informed dissent this year: adjusted out", events=[OLD_COPD, ev("2024-03-31", COPD_DISSENT)]),
        P(
            21,
            (1, 0),
            "informed dissent 13 months ago no longer applies",
            events=[OLD_COPD, ev("2023-02-28", COPD_DISSENT)],
        ),
    ],
    "copd014": [
        P(
            1,
            (1, 1),
            "MRC 3 and referral the same day",
            events=[OLD_COPD, ev("2023-10-01", MRC_3), ev("2023-10-01", PR_REFERRAL)],
        ),
        P(
            2,
            (1, 0),
            "referral before the MRC grade",
            events=[OLD_COPD, ev("2023-10-01", MRC_4), ev("2023-09-01", PR_REFERRAL)],
        ),
        P(3, (0, 0), "MRC 2 only", events=[OLD_COPD, ev("2023-10-01", MRC_2)]),
        P(
            4,
            (0, 0),
            "already attended rehabilitation",
            events=[OLD_COPD, ev("2023-10-01", MRC_3), ev("2019-01-01", PR_ATTENDED)],
        ),
        P(
            9,
            (1, 1),
            "attended before and referred again: counts (the PCA applies only when not met)",
            events=[
                OLD_COPD,
                ev("2023-10-01", MRC_3),
                ev("2019-01-01", PR_ATTENDED),
                ev("2023-11-01", PR_REFERRAL),
            ],
        ),
        P(
            5,
            (0, 0),
            "MRC 5 more than 12 months ago",
            events=[OLD_COPD, ev("2022-01-01", MRC_5), ev("2022-01-01", PR_REFERRAL)],
        ),
        P(
            6,
            (1, 1),
            "referral after the first MRC 3 of the year",
            events=[OLD_COPD, ev("2023-06-01", MRC_3), ev("2024-01-01", MRC_3), ev("2023-08-01", PR_REFERRAL)],
        ),
        P(7, (0, 0), "MRC 3 but not on the register", events=[ev("2023-10-01", MRC_3), ev("2023-10-01", PR_REFERRAL)]),
        P(
            8,
            (0, 0),
            "new registrant without referral: adjusted out",
            registered=("2024-02-01", None),
            events=[OLD_COPD, ev("2024-02-15", MRC_4)],
        ),
        P(
            10,
            (0, 0),
            "declined (informed dissent) this year, not referred: adjusted out",
            events=[OLD_COPD, ev("2023-10-01", MRC_3), ev("2023-10-01", COPD_DISSENT)],
        ),
        P(
            11,
            (1, 0),
            "excepted as unsuitable for COPD indicators does not remove from COPD014",
            events=[OLD_COPD, ev("2023-10-01", MRC_3), ev("2023-10-01", COPD_UNSUITABLE)],
        ),
        P(
            12,
            (0, 0),
            "unsuitable for pulmonary rehabilitation this year: adjusted out",
            events=[OLD_COPD, ev("2023-10-01", MRC_3), ev("2023-10-02", PR_UNSUITABLE)],
        ),
        P(
            13,
            (1, 0),
            "unsuitable for pulmonary rehabilitation 13 months ago no longer applies",
            events=[OLD_COPD, ev("2023-10-01", MRC_3), ev("2023-02-28", PR_UNSUITABLE)],
        ),
    ],
    "copd_flu": [
        P(1, (1, 1), "vaccinated in October", events=[OLD_COPD, ev("2023-10-01", FLU)]),
        P(2, (1, 0), "vaccinated 31 July: last season", events=[OLD_COPD, ev("2023-07-31", FLU)]),
        P(3, (1, 1), "vaccinated 1 August", events=[OLD_COPD, ev("2023-08-01", FLU)]),
        P(4, (0, 0), "not on the register", events=[ev("2023-10-01", FLU)]),
        P(5, (1, 1), "vaccinated at a pharmacy", events=[OLD_COPD, ev("2023-11-01", FLU_PHARMACY)]),
        P(6, (1, 0), "not vaccinated", events=[OLD_COPD]),
    ],
}


# The flu season restarts on 1 August: at 30 September 2024 the season is 1 August - 30 September 2024.
FLU_SEPTEMBER = "2024-09-30"
FLU_SEPTEMBER_SPEC = [
    P(1, (1, 0), "vaccinated in October 2023: last season", events=[OLD_COPD, ev("2023-10-01", FLU)]),
    P(2, (1, 0), "vaccinated 31 July 2024: before the season", events=[OLD_COPD, ev("2024-07-31", FLU)]),
    P(3, (1, 1), "vaccinated 1 August 2024", events=[OLD_COPD, ev("2024-08-01", FLU)]),
    P(4, (1, 1), "vaccinated on the reference date", events=[OLD_COPD, ev("2024-09-30", FLU)]),
    P(5, (1, 0), "vaccinated after the reference date", events=[OLD_COPD, ev("2024-10-01", FLU)]),
]


@pytest.mark.parametrize("engine", ENGINES)
def test_copd_flu_season_restarts_in_august(engine):
    check(engine, all_measures()["copd_flu"], FLU_SEPTEMBER_SPEC, FLU_SEPTEMBER)


def test_every_copd_measure_has_a_spec():
    assert set(SPECS) == {"copd_register", "copd010", "copd014", "copd_flu"}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("measure_id", sorted(SPECS))
def test_copd_spec(engine, measure_id):
    check(engine, all_measures()[measure_id], SPECS[measure_id], REF)
