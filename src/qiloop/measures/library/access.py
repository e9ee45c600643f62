"""Access and continuity measures over the appointments table (GP appointments data style).

Appointment measures count appointments by their start date in the interval's month ("in the last month": after
the same day a month before the reference date, up to and including it — the calendar month at a month end).
Only appointments of patients registered and alive on the reference date are counted.
"""

from __future__ import annotations

from qiloop.measures.language import Choice, action_spec, age, appointments, measure
from qiloop.measures.library.common import ACCESS_CONTINUITY, EVERYONE, governance
from qiloop.measures.model import ActionListSpec, Measure

GPAD = "NHS England GP appointments data (GPAD) definitions"
NOT_CANCELLED = ("attended", "did_not_attend", "booked")

this_month = appointments(status=NOT_CANCELLED).in_last(months=1)
# waits are over appointments with a booking date: a source without them (EMIS Web) has no waits, not zero ones
this_month_booked = this_month.where(booked_date_known=True)
attended_or_missed = appointments(status=("attended", "did_not_attend")).in_last(months=1)


def _access(id: str, title: str, *, numerator, denominator, why: str, description: str, source: str, low_is_good: bool,
            actions: ActionListSpec, per: int = 1, tags: tuple[str, ...] = ("access",),
            choices: tuple[Choice, ...] = ()) -> Measure:  # fmt: skip
    return measure(
        id=id,
        title=title,
        numerator=numerator,
        denominator=denominator,
        action_list=actions,
        **governance(
            why_it_matters=why,
            description=description,
            low_is_good=low_is_good,
            topic=ACCESS_CONTINUITY,
            source_indicator=source,
            source_version="2024",
            per=per,
            tags=tags,
            choices=choices,
        ),
    )


def _wait_who(days: int) -> str:
    if days == 0:
        return "with appointments this month, none of them on the day it was booked"
    return f"whose appointments this month were all booked more than {'a day' if days == 1 else f'{days} days'} ahead"


def _wait_column(days: int) -> str:
    if days == 0:
        return "Booked on an earlier day"
    return f"Booked more than {'a day' if days == 1 else f'{days} days'} ahead"


def _within(days: int) -> Measure:
    label = "on the day it was booked" if days == 0 else f"within {days} day{'s' if days != 1 else ''} of booking"
    return _access(
        "wait_same_day" if days == 0 else f"wait_{days}d",
        f"Appointments {label}",
        numerator=this_month_booked.where(lead_days_at_most=days).count(),
        denominator=this_month_booked.count(),
        why="How long people wait from booking to being seen is what patients notice most about access; a falling "
        "share of quick appointments is an early sign of pressure. Pre-booked routine care is expected to wait "
        "longer, so read this with the appointment mix.",
        description=f"Appointments (attended, missed or still booked; cancellations excluded) starting this month "
        f"whose start date is {days} day{'s' if days != 1 else ''} or less after the booking date, over all such "
        "appointments with a booking date (an extract without booking dates, such as EMIS Web's, has no waits).",
        source=f"{GPAD}: time from booking to appointment",
        low_is_good=False,
        actions=action_spec(
            who=_wait_who(days),
            action="check whether any of them needed to be seen sooner",
            columns={
                "Appointments this month": this_month.count(),
                _wait_column(days): this_month.where(lead_days_at_least=days + 1).count(),
            },
            order_by="Appointments this month",
            order="most appointments first",
        ),
        tags=("access", "waiting time"),
    )


def _dna(id: str, title: str, over, over_words: str, description: str, choice: str) -> Measure:
    missed = over.where(status="did_not_attend").count()
    return _access(
        id,
        title,
        numerator=missed,
        denominator=over.count(),
        why="Missed appointments waste clinical time that others needed; rates rise with longer booking lead times, "
        "so this is a lever on access as much as on patient behaviour.",
        description=description,
        source=f"{GPAD}: appointment status",
        low_is_good=True,
        actions=action_spec(
            who="who missed an appointment this month",
            action="consider contacting them about what would help them attend or cancel",
            columns={"Missed this month": missed, over_words: over.count()},
            order_by="Missed this month",
            order="most missed first",
        ),
        choices=(Choice(choice),),
    )


DNA_RATE = _dna(
    "dna_rate",
    "Missed appointments (did not attend)",
    attended_or_missed,
    "Attended or missed this month",
    "Appointments this month recorded as did not attend, over appointments attended or missed (appointments whose "
    "outcome is unknown — still 'booked' after the day — and cancellations are left out of both).",
    "Denominator: attended + did not attend. Appointments with an unknown outcome are left out, so the rate is the "
    "share of appointments with a known outcome that were missed; it is higher than NHS England's published rate "
    "when many outcomes are unrecorded. Compare with national figures using `dna_rate_all`.",
)

DNA_RATE_ALL = _dna(
    "dna_rate_all",
    "Missed appointments (did not attend), over all appointments",
    this_month,
    "Appointments this month",
    "Appointments this month recorded as did not attend, over all appointments this month that were not cancelled "
    "(attended, did not attend, or outcome unknown — still 'booked'), as NHS England's GP appointments data reports "
    "it.",
    "Denominator: every appointment this month except cancellations, unknown outcomes included, as NHS England's GP "
    "appointments data reports the did-not-attend rate: use this one to compare with national figures.",
)

F2F_SHARE = _access(
    "f2f_share",
    "Face-to-face appointments",
    numerator=this_month.where(mode="face_to_face").count(),
    denominator=this_month.count(),
    why="The mix of face-to-face, telephone and online care shapes access for people who struggle with remote "
    "consultations; it is watched by patients, commissioners and CQC.",
    description="Appointments this month (cancellations excluded) with mode face-to-face (home visits are a separate "
    "mode), over all such appointments.",
    source=f"{GPAD}: appointment mode",
    low_is_good=False,
    actions=action_spec(
        who="with appointments this month, none of them face to face",
        action="check whether any of them needed to be seen in person",
        columns={"Appointments this month": this_month.count(), "Age": age},
        order_by="Appointments this month",
        order="most appointments first",
    ),
)

APPTS_PER_1000 = _access(
    "appts_per_1000",
    "Appointments per 1,000 registered patients",
    numerator=this_month.count(),
    denominator=EVERYONE,
    why="Appointment volume per head shows capacity against demand; compare with the list's age mix and with "
    "waiting times before drawing conclusions.",
    description="Appointments this month (attended, missed or booked) of registered patients, per 1,000 registered "
    "patients (the ratio is per patient; multiply by 1,000).",
    source=f"{GPAD}: appointments per registered population",
    low_is_good=False,
    actions=action_spec(
        who="registered without an appointment this month (most people need none; for information)",
        action="no action is expected for any one patient",
        columns={"Age": age},
        order_by="Age",
        order="oldest first",
    ),
    per=1000,
)

_gp_year = appointments(status="attended", hcp_role="gp").in_last(months=12)


def _continuity(id: str, title: str, index, formula: str, index_label: str) -> Measure:
    return _access(
        id,
        title,
        numerator=index,
        denominator=index >= 0,
        why="Seeing the same GP is linked with fewer admissions, fewer A&E visits and lower mortality; continuity "
        "falls quietly when access pressure rises.",
        description=f"Mean over patients with 2 or more attended GP appointments naming a clinician in the last 12 "
        f"months of {formula}. The ratio is the practice mean (0 to 1).",
        source="Continuity of care indices (BJGP 2023, PMC10229170)",
        low_is_good=False,
        actions=action_spec(
            who="with 2 or more GP appointments naming a GP in the last 12 months",
            action="consider offering a named usual GP to those who rarely see the same GP",
            columns={index_label: index, "GP appointments in the last 12 months": _gp_year.count()},
            order_by=index_label,
            order="lowest continuity first",
            descending=False,
        ),
        tags=("continuity",),
    )


CONTINUITY_UPC = _continuity(
    "continuity_upc",
    "Continuity of care: usual provider of care (UPC)",
    _gp_year.upc(),
    "the usual provider of care index (share of a patient's GP appointments with their most-seen GP)",
    "Share of GP appointments with their most-seen GP (UPC)",
)
CONTINUITY_COC = _continuity(
    "continuity_coc",
    "Continuity of care: Bice-Boxerman index (COC)",
    _gp_year.coc(),
    "the Bice-Boxerman continuity of care index ((sum of squared per-GP counts - n) / (n(n - 1)))",
    "Continuity of care index (COC, 0 to 1)",
)


def measures() -> list[Measure]:
    """The access and continuity measures."""
    return [
        DNA_RATE,
        DNA_RATE_ALL,
        _within(0),
        _within(1),
        _within(7),
        _within(14),
        F2F_SHARE,
        APPTS_PER_1000,
        CONTINUITY_UPC,
        CONTINUITY_COC,
    ]
