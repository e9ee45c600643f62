"""Worked learning events for the demo practice: a few of each type, at different stages, made through the actions.

Everything here is made up (no patient is described), and made through the same actions a person's clicks go
through, so it is in the audit log. Development only; ``qiloop-web start`` calls it once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from qiloop_web.learning import actions
from qiloop_web.learning.models import LearningEvent
from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.roles import Role

FIRST_TITLE = "Stopped medicine left on repeat"


def _days(today: dt.date, n: int) -> dt.date:
    return today - dt.timedelta(days=n)


def create_demo_events(
    practice: Organisation, people: Mapping[str, Any], *, today: dt.date | None = None
) -> list[LearningEvent]:
    """Create the worked events in ``practice`` (once); ``people`` maps role values to demo users."""
    if LearningEvent.objects.filter(practice=practice, title=FIRST_TITLE).exists():
        return list(LearningEvent.objects.filter(practice=practice))
    today = today or timezone.localdate()
    gp = people[Role.GP.value]
    manager = people[Role.PRACTICE_MANAGER.value]
    reception = people.get(Role.RECEPTIONIST.value, manager)
    nurse = people.get(Role.PRACTICE_NURSE.value, gp)
    pharmacist = people.get(Role.PHARMACIST.value, gp)
    made = []

    # 1. A near miss taken all the way round an after action review, its learning shared with the network.
    near_miss = actions.report_event(
        practice=practice,
        by=pharmacist,
        title=FIRST_TITLE,
        event_type="incident",
        occurred_on=_days(today, 120),
        location="11",
        process="5",
        description="A hospital letter stopped a medicine, but it stayed on the repeat list and was issued again. "
        "The community pharmacy queried it before dispensing.",
        physical_harm="5",
        psychological_harm="4",
    )
    actions.update_event(
        event=near_miss,
        by=gp,
        immediate_actions="Prescription cancelled; repeat list corrected the same day.",
        involved_agents=["4", "9"],
        reporter_involvement="3",
        level_of_concern="4",
        response_type="after_action_review",
    )
    actions.move_event(event=near_miss, to="triaged", by=gp)
    actions.update_event(
        event=near_miss,
        by=gp,
        prompt_answers={
            "expected": "The stopped medicine is removed from the repeat list when the letter is filed.",
            "actual": "The letter was filed with the medicine still on repeat.",
            "difference": "Letter workflow has no step for changes to repeats; filing was done in a busy session.",
            "next_time": "Letters that change medicines go to the pharmacist before filing.",
        },
        what_happened="A stopped medicine stayed on the repeat list after a hospital letter.",
        why="The letter workflow had no step for medicine changes, and the clinical system does not flag them.",
        factors=["tools_technology", "tasks", "communication"],
        what_learned="Medicine changes in letters need their own step, owned by one person.",
        meeting_on=_days(today, 115),
    )
    actions.move_event(event=near_miss, to="analysed", by=gp)
    actions.add_action(
        event=near_miss,
        by=gp,
        title="Add a medicines-change step to the letters workflow",
        owner=manager,
        due_on=_days(today, 100),
    )
    actions.update_event(
        event=near_miss,
        by=gp,
        what_changed="Letters that change medicines now go to the pharmacist's workflow before filing.",
        review_due=_days(today, 20),
    )
    actions.move_event(event=near_miss, to="actions_agreed", by=gp)
    actions.move_event(event=near_miss, to="monitoring", by=gp)
    actions.update_event(
        event=near_miss,
        by=gp,
        reviewed_on=_days(today, 20),
        review_outcome="Audit of 30 letters with medicine changes: all repeats updated within two working days.",
        share_learning=True,
        learning_summary="Hospital letters that stop or change medicines go to the practice pharmacist before "
        "filing, so the repeat list is updated the same week.",
    )
    actions.move_event(event=near_miss, to="closed", by=gp)
    made.append(near_miss)

    # 2. An incident with moderate harm: SEA meeting, candour and CQC decided, changes agreed.
    harm = actions.report_event(
        practice=practice,
        by=nurse,
        title="Abnormal blood result not acted on for two weeks",
        event_type="incident",
        occurred_on=_days(today, 60),
        location="11",
        process="7",
        description="An abnormal kidney function result was filed as normal and not acted on until the patient "
        "attended with symptoms.",
        physical_harm="3",
        psychological_harm="3",
    )
    actions.update_event(
        event=harm,
        by=gp,
        response_type="sea_meeting",
        duty_of_candour=True,
        cqc_notifiable=False,
        lfpse_status="to_submit",
        patients_affected=1,
        age_bracket="11",
    )
    actions.move_event(event=harm, to="triaged", by=gp)
    actions.update_event(
        event=harm,
        by=gp,
        prompt_answers={
            "could_have_been_different": "Results filed by a locum had no second look.",
            "impact": "The patient needed a hospital review; staff involved were upset.",
        },
        what_happened="A result was filed as normal by a clinician covering an absent colleague's results.",
        why="No buddy system for results when a clinician is away; the result's flag was easy to miss.",
        factors=["organisation", "tools_technology", "person"],
        what_learned="Results cover needs a named buddy and a daily check of filed abnormal results.",
        meeting_on=_days(today, 50),
    )
    actions.move_event(event=harm, to="analysed", by=gp)
    actions.add_action(
        event=harm, by=gp, title="Set up a results buddy rota", owner=manager, due_on=today + dt.timedelta(days=14)
    )
    actions.update_event(
        event=harm,
        by=gp,
        what_changed="A results buddy rota, and a daily search for abnormal results filed without an action.",
        review_due=today + dt.timedelta(days=60),
    )
    actions.move_event(event=harm, to="actions_agreed", by=gp)
    made.append(harm)

    # 3. A poor patient outcome under an MDT review, in analysis.
    outcome = actions.report_event(
        practice=practice,
        by=gp,
        title="Admission after a delayed referral",
        event_type="outcome",
        occurred_on=_days(today, 40),
        date_approximate=False,
        location="2",
        process="8",
        description="A patient was admitted as an emergency while waiting for an urgent referral that had not "
        "been received by the hospital.",
    )
    actions.update_event(
        event=outcome, by=gp, response_type="mdt_review", strength_of_association="4", cqc_notifiable=False
    )
    actions.move_event(event=outcome, to="triaged", by=gp)
    actions.move_event(event=outcome, to="analysed", by=gp)
    made.append(outcome)

    # 4. A risk, logged for thematic review and closed at triage.
    risk = actions.report_event(
        practice=practice,
        by=nurse,
        title="Vaccine fridge alarm not heard after hours",
        event_type="risk",
        occurred_on=_days(today, 30),
        location="11",
        process="11",
        description="The vaccine fridge alarm sounds only in the treatment room; nobody hears it after 6pm.",
    )
    actions.update_event(
        event=risk,
        by=manager,
        risk_imminent="n",
        risk_theme="4",
        risk_timeframe="1",
        response_type="none",
        closure_reason="Logged for thematic review with the cold-chain audit.",
    )
    actions.move_event(event=risk, to="triaged", by=manager)
    actions.move_event(event=risk, to="closed", by=manager)
    made.append(risk)

    # 5. Good care, after a SWARM huddle, now being monitored.
    good = actions.report_event(
        practice=practice,
        by=reception,
        title="Red-flag symptoms spotted at booking",
        event_type="good_care",
        occurred_on=_days(today, 21),
        location="11",
        process="1",
        description="A care navigator asked one more question about a routine booking and got the patient seen "
        "the same day.",
    )
    actions.update_event(
        event=good,
        by=gp,
        strengths_of_care="Used the signposting card and asked about red flags.",
        how_to_repeat="Share the card at the team meeting and add it to induction.",
        response_type="swarm_huddle",
    )
    actions.move_event(event=good, to="triaged", by=gp)
    actions.update_event(
        event=good,
        by=gp,
        prompt_answers={
            "expected": "A routine appointment would have been booked.",
            "difference": "The navigator had the red-flag card to hand and time to ask.",
            "now": "Keep the card at every desk.",
        },
        what_happened="A routine booking became a same-day appointment after a red-flag question.",
        why="Training on the signposting card, and a quiet moment at the desk.",
        factors=["person", "tools_technology"],
        what_learned="The card works when it is to hand.",
        meeting_on=_days(today, 21),
    )
    actions.move_event(event=good, to="analysed", by=gp)
    actions.add_action(
        event=good, by=gp, title="Laminate a card for every desk", owner=reception, due_on=_days(today, 7)
    )
    actions.update_event(
        event=good, by=gp, what_changed="Cards at every desk.", review_due=today + dt.timedelta(days=30)
    )
    actions.move_event(event=good, to="actions_agreed", by=gp)
    actions.move_event(event=good, to="monitoring", by=gp)
    made.append(good)

    # 6. More prescribing near misses for the thematic review's chart, each closed at triage.
    for n, (days_ago, title) in enumerate(
        [
            (300, "Dose changed on a template by mistake"),
            (240, "Two similar medicines picked from the list"),
            (170, "Repeat issued after a medication review said stop"),
            (75, "Wrong strength chosen from the drop-down"),
            (12, "Repeat reissued after discharge letter changed it"),
        ]
    ):
        extra = actions.report_event(
            practice=practice,
            by=pharmacist,
            title=title,
            event_type="incident",
            occurred_on=_days(today, days_ago),
            location="11",
            process="5",
            description="Caught by the pharmacist before it reached the patient.",
            physical_harm="5",
            psychological_harm="4",
        )
        actions.update_event(
            event=extra,
            by=gp,
            involved_agents=["4", "9"],
            factors=["tools_technology"] + (["tasks"] if n % 2 else []),
            response_type="thematic_review" if n < 4 else "",
            closure_reason="Logged for the prescribing thematic review." if n < 4 else "",
        )
        if n < 4:
            actions.move_event(event=extra, to="triaged", by=gp)
            actions.move_event(event=extra, to="closed", by=gp)
        made.append(extra)

    # 7. An event about a member of staff, restricted, just reported.
    made.append(
        actions.report_event(
            practice=practice,
            by=manager,
            title="Concern about a colleague's workload",
            event_type="risk",
            occurred_on=_days(today, 3),
            location="11",
            process="11",
            description="A clinician has been staying late every day to finish results; a risk of errors and burnout.",
            restricted=True,
        )
    )
    return made
