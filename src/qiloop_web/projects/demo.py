"""A worked example QI project for the demo practice, so a first visit shows the project side in use.

Everything here is made up, and made through the same actions a person's clicks go through (so it is in
the audit log). The example: a practice speeding up repeat prescriptions — a template project with a
weekly turnaround series typed in by hand, a first PDSA cycle adopted as a new phase and the next cycle of
the ramp being planned (its tasks and QI time: ``teamwork.demo``). Development only.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.roles import Role
from qiloop_web.projects import actions, diagram_actions, pdsa_actions
from qiloop_web.projects.models import DriverNode, NodeKind, Project, Status

TEMPLATE = "repeat_prescribing_turnaround"
BASELINE_WEEKS = 14
WEEKS_SINCE_CHANGE = 8


def turnaround_series(today: dt.date, *, seed: int = 7) -> list[tuple[dt.date, float]]:
    """Weekly average turnaround in days: about 3.1 before the change, about 1.9 after it (the last 8 weeks)."""
    rng = random.Random(seed)
    last_friday = today - dt.timedelta(days=(today.weekday() - 4) % 7)
    weeks = BASELINE_WEEKS + WEEKS_SINCE_CHANGE
    series = []
    for i in range(weeks):
        on = last_friday - dt.timedelta(weeks=weeks - 1 - i)
        mean = 3.1 if i < BASELINE_WEEKS else 1.9
        series.append((on, round(mean + rng.uniform(-0.35, 0.35), 1)))
    return series


def create_demo_project(practice: Organisation, people: Mapping[str, Any], *, today: dt.date | None = None) -> Project:
    """Create the example project in ``practice`` (once); ``people`` maps role values to demo users."""
    existing = Project.objects.filter(practice=practice, template_key=TEMPLATE).first()
    if existing is not None:
        return existing
    today = today or timezone.localdate()
    manager = people[Role.PRACTICE_MANAGER.value]
    project = actions.create_project(
        practice=practice, title="Repeat prescriptions turned round faster", template_key=TEMPLATE, by=manager
    )
    for role, part in [
        (Role.GP, "clinical lead"),
        (Role.PHARMACIST, "member"),
        (Role.RECEPTIONIST, "member"),
        (Role.PATIENT_REPRESENTATIVE, "patient voice"),
    ]:
        if role.value in people:
            actions.add_member(project=project, user=people[role.value], role_in_project=part, by=manager)
    actions.change_status(project=project, status=Status.ACTIVE, by=manager)

    series = turnaround_series(today)
    outcome = project.measures.filter(library_measure_id="", role="outcome").order_by("order").first()
    if outcome is not None:
        text = "\n".join(f"{on:%d/%m/%Y}, {value}" for on, value in series)
        actions.add_points(measure=outcome, text=text, by=manager)

    for category, cause in [
        ("methods", "Requests wait in a shared tray until the end of the day"),
        ("people", "One prescriber signs most repeats, two days a week"),
        ("materials", "Medication reviews overdue, so requests are queried"),
    ]:
        diagram_actions.add_cause(project=project, category=category, text=cause, by=manager)
    for step, owner, pain in [
        ("Patient asks for a repeat (app, pharmacy or paper)", "Patient", ""),
        ("Request checked against the repeat template", "Health secretary", "Queries when the review is overdue"),
        ("Prescriber signs", "GP or pharmacist", "Waits for the prescriber's admin session"),
        ("Sent to the nominated pharmacy", "System", ""),
    ]:
        diagram_actions.add_step(project=project, text=step, owner=owner, pain_point=pain, by=manager)

    idea = DriverNode.objects.filter(project=project, kind=NodeKind.CHANGE_IDEA).order_by("parent_id", "order").first()
    change_on = series[BASELINE_WEEKS][0] - dt.timedelta(days=4)
    lead = people.get(Role.PHARMACIST.value, manager)
    cycle = pdsa_actions.create_cycle(
        project=project, title="Pharmacist signs repeats daily", change_idea=idea, by=lead
    )
    pdsa_actions.update_cycle(
        cycle=cycle,
        fields={
            "question": "If the practice pharmacist signs repeat requests every morning, is the turnaround shorter?",
            "prediction": "Average turnaround falls from about 3 days to under 2 within a month.",
            "who": "Practice pharmacist; health secretaries pass requests by 10:00.",
            "when": f"From {change_on:%d %B %Y}, every weekday morning.",
            "where": "Prescribing room; requests in the clinical system's task list.",
            "data_to_collect": "Weekly average days from request to signature (search run each Friday).",
            "starts_on": change_on,
        },
        to="do",
        by=lead,
    )
    pdsa_actions.update_cycle(
        cycle=cycle,
        fields={
            "what_happened": "The pharmacist signed requests each morning; the GP covered on two leave days.",
            "observations": "Queries about overdue medication reviews were booked straight away.",
        },
        to="study",
        by=lead,
    )
    pdsa_actions.update_cycle(
        cycle=cycle,
        fields={"results": "Turnaround fell to about 2 days, as predicted; no rise in calls chasing prescriptions."},
        to="act",
        by=lead,
    )
    pdsa_actions.decide(
        cycle=cycle,
        decision="adopt",
        next_step="Keep daily signing; next, test same-day signing for requests before noon.",
        new_phase=True,
        start_next=True,
        next_title="Same-day signing for requests before noon",
        by=lead,
    )

    return project


def demo_people() -> dict[str, Any]:
    """The demo accounts made by ``organisations.demo.create_demo_accounts``, by role value."""
    from qiloop_web.accounts.models import User
    from qiloop_web.organisations.demo import DEMO_DOMAIN

    people = {}
    for role in Role:
        user = User.objects.filter(email=f"{role.value.replace('_', '.')}@{DEMO_DOMAIN}").first()
        if user is not None:
            people[role.value] = user
    return people
