"""Spec tests for the access and continuity measures, reference date 31 March 2024.

Appointment measures count this month's appointments (start date 2024-03-01 .. 2024-03-31); values are per-patient
counts (denominator, numerator). Continuity uses attended GP appointments in the last 12 months
(2023-04-01 .. 2024-03-31): the denominator is 1 for a patient with 2 or more such appointments naming a clinician,
the numerator the patient's index.
"""

from __future__ import annotations

import pytest

from qiloop.measures.library import all_measures

from ..spec import ENGINES, Patient, appt, check

REF = "2024-03-31"


def P(id, expect, note, **kw):  # noqa: N802 - a table row
    return Patient(id, expect, dob="1980-01-01", note=note, **kw)


def lead(days: int, status: str = "attended", **kw):
    """An appointment starting 20 March 2024, booked ``days`` days before."""
    return appt(f"2024-03-{20 - days:02d}", "2024-03-20", status, **kw)


SPECS: dict[str, list[Patient]] = {
    "dna_rate": [
        P(
            1,
            (3, 1),
            "two attended, one missed",
            appointments=[
                appt("2024-03-01", "2024-03-05"),
                appt("2024-03-01", "2024-03-12"),
                appt("2024-03-01", "2024-03-19", "did_not_attend"),
            ],
        ),
        P(2, (0, 0), "missed in February", appointments=[appt("2024-02-01", "2024-02-20", "did_not_attend")]),
        P(
            3,
            (0, 0),
            "cancelled by the patient",
            appointments=[appt("2024-03-01", "2024-03-05", "cancelled_by_patient")],
        ),
        P(4, (0, 0), "booked for April", appointments=[appt("2024-03-01", "2024-04-02", "booked")]),
        P(5, (0, 0), "still marked booked", appointments=[appt("2024-03-01", "2024-03-20", "booked")]),
        P(
            6,
            (2, 2),
            "missed on the first and last day of the month",
            appointments=[
                appt("2024-02-20", "2024-03-01", "did_not_attend"),
                appt("2024-03-01", "2024-03-31", "did_not_attend"),
            ],
        ),
        P(
            7,
            (0, 0),
            "left the practice in March",
            registered=("2000-01-01", "2024-03-15"),
            appointments=[appt("2024-03-01", "2024-03-05")],
        ),
    ],
    # As NHS England's GP appointments data: over every appointment this month except cancellations, unknown
    # outcomes ("booked" after the day) included.
    "dna_rate_all": [
        P(
            1,
            (4, 1),
            "two attended, one missed, one outcome unknown",
            appointments=[
                appt("2024-03-01", "2024-03-05"),
                appt("2024-03-01", "2024-03-12"),
                appt("2024-03-01", "2024-03-19", "did_not_attend"),
                appt("2024-03-01", "2024-03-20", "booked"),
            ],
        ),
        P(
            2,
            (1, 0),
            "still marked booked: in the denominator",
            appointments=[appt("2024-03-01", "2024-03-20", "booked")],
        ),
        P(3, (0, 0), "cancelled", appointments=[appt("2024-03-01", "2024-03-05", "cancelled_by_patient")]),
        P(4, (0, 0), "missed in February", appointments=[appt("2024-02-01", "2024-02-20", "did_not_attend")]),
        P(5, (1, 1), "missed on the last day", appointments=[appt("2024-03-01", "2024-03-31", "did_not_attend")]),
    ],
}

_LEADS_ATTENDED = [lead(d) for d in (0, 1, 2, 7, 8, 14, 15)]
_UNBOOKED = appt(None, "2024-03-20")
_MIXED = [lead(0, "did_not_attend"), lead(0, "cancelled_by_practice"), appt("2024-03-22", "2024-03-25", "booked")]
for measure_id, days, first, second in (
    ("wait_same_day", 0, (7, 1), (2, 1)),
    ("wait_1d", 1, (7, 2), (2, 1)),
    ("wait_7d", 7, (7, 4), (2, 2)),
    ("wait_14d", 14, (7, 6), (2, 2)),
):
    SPECS[measure_id] = [
        P(1, first, f"attended with leads 0, 1, 2, 7, 8, 14, 15 days (within {days})", appointments=_LEADS_ATTENDED),
        P(2, second, "missed same-day, cancelled same-day (excluded), booked 3 days ahead", appointments=_MIXED),
        P(3, (0, 0), "no appointments"),
        P(4, (0, 0), "no booking date (an EMIS Web extract): no wait, not a long one", appointments=[_UNBOOKED]),
        P(5, (1, 1), "one same-day appointment and one without a booking date", appointments=[lead(0), _UNBOOKED]),
    ]

SPECS["f2f_share"] = [
    P(
        1,
        (4, 1),
        "face-to-face, telephone, home visit, video; a cancelled face-to-face is excluded",
        appointments=[
            lead(1),
            lead(1, mode="telephone"),
            lead(1, mode="home_visit"),
            lead(1, mode="video"),
            lead(1, "cancelled_by_patient"),
        ],
    ),
    P(2, (1, 0), "one online appointment, missed", appointments=[lead(1, "did_not_attend", mode="online")]),
    P(3, (1, 1), "still booked, face-to-face", appointments=[appt("2024-03-25", "2024-03-28", "booked")]),
    P(4, (1, 1), "no booking date: counted all the same", appointments=[_UNBOOKED]),
]
SPECS["appts_per_1000"] = [
    P(
        1,
        (1, 3),
        "three appointments (one missed) and one cancelled",
        appointments=[lead(0), lead(1), lead(2, "did_not_attend"), lead(3, "cancelled_by_practice")],
    ),
    P(2, (1, 0), "no appointments"),
    P(3, (0, 0), "died in March", died="2024-03-10", appointments=[appt("2024-03-01", "2024-03-05")]),
    P(
        4,
        (1, 1),
        "one appointment this month, one last month",
        appointments=[appt("2024-02-01", "2024-02-05"), appt("2024-03-01", "2024-03-05")],
    ),
]


def gp(start: str, clinician: str | None, status: str = "attended", role: str = "gp"):
    return appt("2023-01-01", start, status, role=role, clinician=clinician)


_CONTINUITY = [
    # note, appointments, upc, coc
    ("C1, C1, C2", [gp("2023-06-01", "C1"), gp("2023-09-01", "C1"), gp("2024-01-01", "C2")], 2 / 3, 1 / 3),
    ("one appointment: no index", [gp("2023-06-01", "C1")], None, None),
    ("C1, C2", [gp("2023-06-01", "C1"), gp("2023-09-01", "C2")], 1 / 2, 0.0),
    ("nurse appointments do not count", [gp("2023-06-01", "N1", role="nurse"), gp("2023-09-01", "N1", role="nurse")],
     None, None),
    ("an appointment naming no clinician is left out", [gp("2023-06-01", "C1"), gp("2023-07-01", "C1"), gp("2023-08-01", None)],
     1.0, 1.0),
    ("missed appointments do not count", [gp("2023-06-01", "C1"), gp("2023-07-01", "C2", "did_not_attend")], None, None),
    ("12 months ago exactly is outside", [gp("2023-03-31", "C2"), gp("2023-06-01", "C1"), gp("2023-07-01", "C1")], 1.0, 1.0),
    ("C1 x3, C2 x1", [gp("2023-05-01", "C1"), gp("2023-06-01", "C1"), gp("2023-07-01", "C1"), gp("2023-08-01", "C2")],
     3 / 4, (9 + 1 - 4) / 12),
]  # fmt: skip
SPECS["continuity_upc"] = [
    P(i, (0, 0) if upc is None else (1, upc), note, appointments=appts)
    for i, (note, appts, upc, _) in enumerate(_CONTINUITY, 1)
]
SPECS["continuity_coc"] = [
    P(i, (0, 0) if coc is None else (1, coc), note, appointments=appts)
    for i, (note, appts, _, coc) in enumerate(_CONTINUITY, 1)
]


def test_every_access_measure_has_a_spec():
    assert set(SPECS) == {m.id for m in all_measures().values() if m.topic == "access_continuity"}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("measure_id", sorted(SPECS))
def test_access_spec(engine, measure_id):
    check(engine, all_measures()[measure_id], SPECS[measure_id], REF)
