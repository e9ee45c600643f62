"""Hypothesis strategies: small random GP records and random measures built from the language's blocks."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from hypothesis import strategies as st

from qiloop.measures import language as q
from qiloop.measures.model import Measure

from .spec import COLUMNS

D = dt.date
SNOMED = ["s1", "s2", "s3", "s4"]
DMD = ["d1", "d2", "d3"]
PRACTICES = ["A", "B"]
CLINICIANS = ["c1", "c2", "c3"]
# The runs cover Jan-Apr 2024; dates cluster around window edges (month ends, 28-day gaps).
INTERESTING = [
    D(2023, 3, 31),
    D(2023, 4, 1),
    D(2023, 9, 30),
    D(2023, 10, 31),
    D(2023, 11, 30),
    D(2023, 12, 31),
    D(2024, 1, 1),
    D(2024, 1, 3),
    D(2024, 1, 31),
    D(2024, 2, 1),
    D(2024, 2, 28),
    D(2024, 2, 29),
    D(2024, 3, 1),
    D(2024, 3, 31),
    D(2024, 4, 1),
    D(2024, 4, 30),
]
START, END = "2024-01", "2024-04"

dates = st.one_of(st.sampled_from(INTERESTING), st.dates(D(2022, 6, 1), D(2024, 6, 30)))
values = st.one_of(st.none(), st.sampled_from([1.0, 5.0, 10.0, 45.0, 58.0]))


@st.composite
def records(draw, max_patients: int = 6) -> dict[str, pd.DataFrame]:
    n = draw(st.integers(1, max_patients))
    patients, regs, events, meds, appts = [], [], [], [], []
    for pid in range(1, n + 1):
        dob = D(draw(st.integers(1935, 2012)), draw(st.integers(1, 12)), 1)
        patients.append(
            dict(
                patient_id=pid,
                date_of_birth=dob,
                sex=draw(st.sampled_from(["female", "male", "unknown"])),
                date_of_death=draw(st.one_of(st.none(), dates)),
                ethnicity=draw(st.one_of(st.none(), st.sampled_from(["white", "asian"]))),
                imd_quintile=draw(st.one_of(st.none(), st.integers(1, 5))),
            )
        )
        for _ in range(draw(st.integers(0, 2))):
            start = draw(st.one_of(st.sampled_from([D(2015, 1, 1), *INTERESTING]), dates))
            end = draw(st.one_of(st.none(), dates.filter(lambda d, s=start: d >= s)))
            regs.append(
                dict(patient_id=pid, start_date=start, end_date=end, practice_id=draw(st.sampled_from(PRACTICES)))
            )
    pid_st = st.integers(1, n)
    for _ in range(draw(st.integers(0, 14))):
        events.append(
            dict(
                patient_id=draw(pid_st),
                date=draw(dates),
                snomedct_code=draw(st.sampled_from(SNOMED)),
                numeric_value=draw(values),
            )
        )
    for event in list(events):  # same-day repeats with another value: ties for latest_value
        if draw(st.integers(0, 3)) == 0:
            events.append(dict(event, numeric_value=draw(values)))
    for _ in range(draw(st.integers(0, 10))):
        meds.append(dict(patient_id=draw(pid_st), date=draw(dates), dmd_code=draw(st.sampled_from(DMD))))
    for i in range(draw(st.integers(0, 12))):
        start = draw(dates)
        lead = draw(st.integers(-3, 30))  # negative: no booking date (an EMIS Web extract has none)
        appts.append(
            dict(
                appointment_id=i + 1,
                patient_id=draw(pid_st),
                practice_id=draw(st.sampled_from(PRACTICES)),
                booked_date=None if lead < 0 else start - dt.timedelta(days=lead),
                start_date=start,
                status=draw(st.sampled_from(["attended", "did_not_attend", "cancelled_by_patient"])),
                mode=draw(st.sampled_from(["face_to_face", "telephone"])),
                hcp_role=draw(st.sampled_from(["gp", "nurse"])),
                clinician_id=draw(st.one_of(st.none(), st.sampled_from(CLINICIANS))),
            )
        )
    rows = {
        "patients": patients,
        "practice_registrations": regs,
        "clinical_events": events,
        "medications": meds,
        "appointments": appts,
    }
    return {name: pd.DataFrame(r, columns=COLUMNS[name]) for name, r in rows.items()}


@st.composite
def windowed(draw, frame):
    choice = draw(st.integers(0, 7))
    if choice == 0:
        return frame
    if choice == 1:
        return frame.in_last(months=draw(st.sampled_from([1, 3, 12])))
    if choice == 2:
        return frame.in_last(days=28)
    if choice == 3:
        return frame.on_or_before(months_ago=draw(st.sampled_from([0, 3])))
    if choice == 4:
        return frame.between(from_months_ago=6, to_months_ago=3)
    if choice == 5:
        return frame.between(from_days_ago=40, to_days_ago=10)
    if choice == 7:
        # a season start; 1 March and 15 February fall inside START..END, so the season restarts mid-run
        month, day = draw(st.sampled_from([(8, 1), (3, 1), (2, 15), (1, 31)]))
        return frame.since_last(month=month, day=day)
    return frame.between(from_months_ago=1, to_days_ago=3)


def codes(universe):
    return st.sets(st.sampled_from(universe), min_size=1, max_size=2).map(sorted)


@st.composite
def event_frames(draw):
    if draw(st.booleans()):
        frame = draw(windowed(q.clinical_events(draw(codes(SNOMED)))))
        if draw(st.integers(0, 3)) == 0:
            frame = frame.where_value(
                **{draw(st.sampled_from(["lt", "le", "gt", "ge"])): draw(st.sampled_from([5.0, 10.0]))}
            )
        return frame
    return draw(windowed(q.medications(draw(codes(DMD)))))


@st.composite
def appointment_frames(draw):
    frame = q.appointments()
    if draw(st.booleans()):
        frame = frame.where(status=draw(st.sampled_from(["attended", "did_not_attend"])))
    if draw(st.booleans()):
        frame = frame.where(hcp_role="gp")
    if draw(st.booleans()):
        frame = frame.where(lead_days_at_most=draw(st.sampled_from([0, 7, 14])))
    if draw(st.booleans()):
        frame = frame.where(lead_days_at_least=draw(st.sampled_from([1, 8])))
    if draw(st.booleans()):
        frame = frame.where(booked_date_known=True)
    return draw(windowed(frame))


@st.composite
def bool_leaves(draw):
    kind = draw(st.integers(0, 14))
    if kind == 0:
        return draw(event_frames()).exists()
    if kind == 1:
        return draw(event_frames()).count() >= draw(st.integers(1, 3))
    if kind == 2:
        frame = draw(windowed(q.clinical_events(draw(codes(SNOMED)))))
        op = draw(st.sampled_from(["le", "gt", "eq"]))
        value = frame.latest_value()
        threshold = draw(st.sampled_from([5.0, 10, 45]))
        return {"le": value <= threshold, "gt": value > threshold, "eq": value == threshold}[op]
    if kind == 3:
        return q.unresolved(draw(codes(SNOMED)), draw(codes(SNOMED)))
    if kind == 4:
        return q.co_prescribed(
            draw(codes(DMD)), draw(codes(DMD)), in_last_months=draw(st.sampled_from([1, 3])), within_days=28
        )
    if kind == 5:
        return q.age >= draw(st.sampled_from([18, 40, 65, 80]))
    if kind == 6:
        return q.sex.is_in("female", "male")
    if kind == 7:
        return draw(appointment_frames()).exists()
    if kind == 8:
        first, second = draw(event_frames()), draw(event_frames())
        return first.last_date() > second.first_date()
    if kind == 9:
        return draw(event_frames()).last_date().is_after(months_ago=draw(st.sampled_from([1, 3])))
    if kind == 10:
        return q.registration_start_date.is_on_or_before(months_ago=12)
    if kind == 11:
        first, second = draw(event_frames()), draw(event_frames())
        days = draw(st.sampled_from([-30, 28, 93]))
        return second.last_date() <= first.first_date().plus_days(days)
    if kind == 12:
        return (draw(bool_leaves()).as_int() + draw(bool_leaves()).as_int()) >= 1
    if kind == 14:
        frame = q.clinical_events(draw(codes(SNOMED)))
        if draw(st.booleans()):
            frame = frame.where_value(lt=draw(st.sampled_from([5.0, 10.0])))
        before, after = draw(st.sampled_from([(0, 0), (10, 30), (93, 186)]))
        return frame.near_first(draw(codes(SNOMED)), days_before=before, days_after=after).exists()
    frame = draw(windowed(q.clinical_events(draw(codes(SNOMED)))))
    return frame.latest_value_date() >= q.reference_date(months_ago=2)


def bool_series(depth: int = 2):
    return st.recursive(
        bool_leaves(),
        lambda inner: st.one_of(
            st.tuples(inner, inner).map(lambda p: p[0] & p[1]),
            st.tuples(inner, inner).map(lambda p: p[0] | p[1]),
            inner.map(lambda s: ~s),
        ),
        max_leaves=4,
    )


@st.composite
def measures(draw, index: int = 0) -> Measure:
    shape = draw(st.integers(0, 4))
    mid = f"m{index}"
    if shape == 0:
        den, num = draw(bool_series()), draw(bool_series())
        exclusions = draw(st.one_of(st.none(), bool_series()))
        if den.node == num.node:
            num = ~num
        return q.measure(
            id=mid, title="random", denominator=den, numerator=num, exclusions=exclusions, low_is_good=False
        )
    if shape == 1:
        pick = draw(st.integers(0, 2))
        if pick == 2:  # appointments summed over the population (e.g. appointments per 1,000 patients)
            total = draw(appointment_frames()).count()
        else:
            total = draw(event_frames()).count() if pick == 0 else draw(bool_leaves()).as_int()
            if draw(st.booleans()):
                total = total + draw(appointment_frames()).count()
        return q.measure(id=mid, title="random", denominator=draw(bool_series()), numerator=total, low_is_good=False)
    if shape == 2:
        frame = draw(appointment_frames())
        sub = frame.where(status=draw(st.sampled_from(["did_not_attend", "attended"])))
        if sub.query == frame.query:  # identical numerator and denominator is refused: narrow further
            sub = sub.where(status="cancelled_by_patient")  # no appointment has two statuses: counts 0
        return q.measure(id=mid, title="random", denominator=frame.count(), numerator=sub.count(), low_is_good=False)
    if shape == 3:
        frame = draw(appointment_frames())
        index_series = frame.upc() if draw(st.booleans()) else frame.coc()
        den = frame.count() >= 2 if draw(st.booleans()) else index_series >= 0
        return q.measure(id=mid, title="random", denominator=den, numerator=index_series, low_is_good=False)
    latest = draw(windowed(q.clinical_events(draw(codes(SNOMED))))).latest_value()
    return q.measure(id=mid, title="random", denominator=draw(bool_series()), numerator=latest, low_is_good=False)


@st.composite
def measure_lists(draw, max_size: int = 3) -> list[Measure]:
    count = draw(st.integers(1, max_size))
    return [draw(measures(i)) for i in range(count)]
