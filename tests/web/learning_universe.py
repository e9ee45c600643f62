"""Learning events for the workbench tests, built through the actions (so each has its audit events)."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from qiloop_web.learning import actions
from qiloop_web.learning.models import LearningEvent

NEAR_MISS = {
    "title": "Wrong patient's letter nearly sent",
    "event_type": "incident",
    "occurred_on": date(2026, 1, 5),
    "location": "11",
    "process": "8",
    "description": "A referral letter was attached to the wrong record; spotted before sending.",
    "physical_harm": "5",
    "psychological_harm": "4",
}


def report(universe, who: str = "receptionist", practice=None, **changes) -> LearningEvent:
    return actions.report_event(
        practice=practice or universe.practice, by=universe.people[who], **{**NEAR_MISS, **changes}
    )


def closed_event(universe, *, practice=None, by: str = "gp", **changes) -> LearningEvent:
    """An after action review taken all the way to closed."""
    gp = universe.people[by] if practice is None else universe.people["other_gp"]
    event = report(universe, practice=practice, who="receptionist" if practice is None else "other_gp", **changes)
    actions.update_event(event=event, by=gp, response_type="after_action_review")
    actions.move_event(event=event, to="triaged", by=gp)
    actions.update_event(
        event=event,
        by=gp,
        prompt_answers={
            "expected": "Letter to the right record",
            "actual": "Wrong record",
            "difference": "Two tabs open",
            "next_time": "One record open at a time",
        },
        what_happened="Letter attached to the wrong record.",
        why="Two records open at once during a busy session.",
        factors=["tools_technology", "tasks"],
        what_learned="Close one record before opening the next.",
        meeting_on=event.occurred_on + timedelta(days=2),
    )
    actions.move_event(event=event, to="analysed", by=gp)
    actions.add_action(
        event=event,
        by=gp,
        title="Add the one-record rule to induction",
        owner=gp,
        due_on=event.occurred_on + timedelta(days=30),
    )
    actions.update_event(
        event=event,
        by=gp,
        what_changed="One-record rule in induction.",
        review_due=event.occurred_on + timedelta(days=90),
    )
    actions.move_event(event=event, to="actions_agreed", by=gp)
    actions.move_event(event=event, to="monitoring", by=gp)
    actions.update_event(
        event=event,
        by=gp,
        reviewed_on=min(timezone.localdate(), event.occurred_on + timedelta(days=60)),
        review_outcome="No repeat in two months.",
    )
    actions.move_event(event=event, to="closed", by=gp)
    return event
