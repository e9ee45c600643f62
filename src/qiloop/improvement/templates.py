"""Small, practice-sized QI project templates: an aim, measures and a driver-diagram seed with change ideas.

A template is a starting point the team edits. Measures name a built-in library measure
(``library_id``, see :func:`qiloop.measures.library.all_measures`) when one fits the record data,
and otherwise a series the team enters by hand (``library_id=None``, with a ``unit``).

>>> template("reduce_dna").measures[0].library_id
'dna_rate'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MeasureRole = Literal["outcome", "process", "balancing"]


@dataclass(frozen=True)
class TemplateMeasure:
    """One measure a template suggests: a library measure (``library_id``) or a manual series (``unit``)."""

    role: MeasureRole
    title: str
    library_id: str | None
    unit: str | None
    low_is_good: bool


#: (primary driver, secondary drivers, change ideas)
PrimaryDriver = tuple[str, tuple[str, ...], tuple[str, ...]]


@dataclass(frozen=True)
class ProjectTemplate:
    """A project to start from. ``aim_by_months``: the deadline, in months from the day the project starts."""

    key: str
    title: str
    summary: str
    aim_what: str
    aim_how_much: str
    aim_by_months: int
    measures: tuple[TemplateMeasure, ...]
    primary_drivers: tuple[PrimaryDriver, ...]


_TEMPLATES: tuple[ProjectTemplate, ...] = (
    ProjectTemplate(
        key="reduce_dna",
        title="Reduce missed appointments",
        summary="Fewer booked appointments wasted because the patient did not attend, so more people can be seen.",
        aim_what="Reduce the share of booked appointments that patients miss (did not attend)",
        aim_how_much="from the current rate by a third",
        aim_by_months=6,
        measures=(
            TemplateMeasure("outcome", "Missed appointments (did not attend)", "dna_rate", None, True),
            TemplateMeasure("process", "Appointments with an SMS reminder sent", None, "%", False),
            TemplateMeasure("balancing", "Appointments within 1 day of booking", "wait_1d", None, False),
        ),
        primary_drivers=(
            (
                "Patients remember their appointment",
                ("Reminders reach patients in time", "Mobile numbers are up to date"),
                (
                    "Send an SMS reminder 24 hours before every appointment",
                    "Check the mobile number at every contact",
                ),
            ),
            (
                "Patients can cancel easily",
                ("Cancelling takes one step", "Patients know how to cancel"),
                ("Add a 'reply CANCEL' option to reminders", "Offer online cancellation on the practice website"),
            ),
            (
                "Appointments are booked close to when they are needed",
                ("Shorter lead times for routine appointments",),
                ("Limit routine pre-booking to 2 weeks ahead", "Release same-week slots each morning"),
            ),
        ),
    ),
    ProjectTemplate(
        key="nsaid_over_65",
        title="NSAID safety for people aged 65 and over",
        summary="Fewer people aged 65 and over taking an anti-inflammatory painkiller without stomach protection "
        "(PINCER indicator A).",
        aim_what="Reduce the number of people aged 65 and over prescribed an oral NSAID without gastro-protection",
        aim_how_much="by half",
        aim_by_months=6,
        measures=(
            TemplateMeasure(
                "outcome", "Oral NSAID without gastro-protection, aged 65 and over", "pincer_a", None, True
            ),
            TemplateMeasure("process", "Patients on the list reviewed this week", None, "patients", False),
            TemplateMeasure("balancing", "PINCER composite: GI bleeding risk (A to F)", "pincer_gi_bleed", None, True),
        ),
        primary_drivers=(
            (
                "Prescribers avoid NSAIDs in older people",
                ("Prescribers know the risk", "Safer pain relief is easy to choose"),
                ("Share the PINCER list at the clinical meeting", "Add a pain-relief formulary card to every room"),
            ),
            (
                "Patients who need an NSAID get stomach protection",
                ("Protection is added when an NSAID is started", "Repeat NSAIDs are reviewed"),
                ("Pharmacist reviews the search list every week", "Add a PPI prompt to the NSAID repeat template"),
            ),
        ),
    ),
    ProjectTemplate(
        key="copd_reviews_mrc",
        title="COPD reviews with MRC breathlessness scores",
        summary="More people with COPD have a yearly review that records how breathless they are (MRC grade), "
        "so those who need pulmonary rehabilitation are referred.",
        aim_what="Increase the share of people with COPD who had a review with an MRC breathlessness grade in the "
        "last 12 months",
        aim_how_much="to 90%",
        aim_by_months=9,
        measures=(
            TemplateMeasure(
                "outcome", "COPD review with MRC breathlessness grade in the last 12 months", "copd010", None, False
            ),
            TemplateMeasure(
                "process",
                "Pulmonary rehabilitation referral for COPD with MRC grade 3 or above",
                "copd014",
                None,
                False,
            ),
            TemplateMeasure("balancing", "Nurse appointments free within 14 days", None, "appointments", False),
        ),
        primary_drivers=(
            (
                "People with COPD are invited and come",
                ("Invitations go out in birth-month order", "Reviews fit around patients"),
                ("Send birth-month recall letters and texts", "Offer telephone reviews for the housebound"),
            ),
            (
                "Every review records the MRC grade",
                ("The template asks for it", "Clinicians know why it matters"),
                ("Make MRC grade a required field in the COPD template", "Five-minute teaching at the nurses' meeting"),
            ),
        ),
    ),
    ProjectTemplate(
        key="repeat_prescribing_turnaround",
        title="Repeat-prescribing turnaround",
        summary="Repeat prescription requests turned round faster, so patients do not run out of medicines "
        "and fewer chase-up calls reach reception.",
        aim_what="Reduce the average number of working days from a repeat prescription request to the prescription "
        "being issued",
        aim_how_much="from 3 days to 2 days",
        aim_by_months=4,
        measures=(
            TemplateMeasure("outcome", "Average repeat-prescription turnaround", None, "days", True),
            TemplateMeasure("process", "Requests signed on the day they reach the prescriber", None, "%", False),
            TemplateMeasure("balancing", "Calls to reception chasing prescriptions", None, "calls per week", True),
        ),
        primary_drivers=(
            (
                "Requests reach the right person quickly",
                ("One route in for requests", "Requests are sorted each morning"),
                ("Move requests to the online form and NHS App", "A named clerk sorts requests by 10am"),
            ),
            (
                "Prescribers sign promptly",
                ("Protected signing time", "Fewer requests need a query"),
                ("A 20-minute signing slot in every session", "Synchronise repeat dates at medication review"),
            ),
        ),
    ),
    ProjectTemplate(
        key="continuity_frail",
        title="Continuity of care for frail patients",
        summary="People living with frailty see the same GP more often, which is linked with fewer admissions.",
        aim_what="Increase continuity of GP care (usual provider of care index) for patients living with "
        "moderate or severe frailty",
        aim_how_much="from 0.5 to 0.65",
        aim_by_months=12,
        measures=(
            TemplateMeasure(
                "outcome", "Continuity of care: usual provider of care (UPC)", "continuity_upc", None, False
            ),
            TemplateMeasure("process", "Frail patients with a named usual GP recorded", None, "patients", False),
            TemplateMeasure("balancing", "Appointments within 7 days of booking", "wait_7d", None, False),
        ),
        primary_drivers=(
            (
                "Each frail patient has a usual GP",
                ("A named GP is recorded", "Patients and staff know who it is"),
                ("Add the named GP to the frailty register and the record alert", "Tell patients by letter"),
            ),
            (
                "Booking favours the usual GP",
                ("Reception can see the usual GP", "Slots are kept for continuity"),
                ("Reserve two continuity slots per GP session", "Reception script: offer the usual GP first"),
            ),
        ),
    ),
)


def templates() -> list[ProjectTemplate]:
    """Every template, in the order shown to a practice."""
    return list(_TEMPLATES)


def template(key: str) -> ProjectTemplate:
    """The template called ``key``; KeyError names the keys there are.

    >>> template("nsaid_over_65").title
    'NSAID safety for people aged 65 and over'
    """
    for item in _TEMPLATES:
        if item.key == key:
            return item
    keys = ", ".join(t.key for t in _TEMPLATES)
    raise KeyError(f"no project template called {key!r}; the templates are: {keys}")
