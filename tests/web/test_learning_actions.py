"""Learning-event actions: who may do what, the stage machine through the workbench, and audit events that
name fields, never their text."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone
from learning_universe import NEAR_MISS, closed_event, report

from qiloop_web.audit.models import AuditEvent
from qiloop_web.learning import actions
from qiloop_web.learning.models import LearningAction, LearningEvent
from qiloop_web.projects.models import FishboneCause
from qiloop_web.teamwork.models import Task

pytestmark = pytest.mark.django_db

FREE_TEXT = [
    "Wrong patient's letter nearly sent",
    "referral letter",
    "Two records open",
    "Close one record",
    "One-record rule",
    "No repeat in two months",
    "Letter to the right record",
]


@pytest.mark.parametrize(
    "who",
    [
        "gp",
        "practice_manager",
        "practice_nurse",
        "pharmacist",
        "healthcare_assistant",
        "receptionist",
        "health_secretary",
    ],
)
def test_every_practice_role_but_patient_representatives_may_report(universe, who):
    event = report(universe, who)
    assert event.number == 1 and event.stage == "reported" and event.reporter == universe.people[who]


@pytest.mark.parametrize(
    "who", ["patient_representative", "network_qi_lead", "icb_analyst", "administrator", "other_gp"]
)
def test_others_may_not_report_and_nothing_is_saved(universe, who):
    before = AuditEvent.objects.count()
    with pytest.raises(actions.NotAllowed):
        report(universe, who)
    assert LearningEvent.objects.count() == 0 and AuditEvent.objects.count() == before


def test_a_walk_through_every_stage_with_audit_events_naming_fields_only(universe):
    event = closed_event(universe)
    event.refresh_from_db()
    assert event.stage == "closed" and event.closed_at is not None
    link = LearningAction.objects.get(event=event)
    assert link.task.owner == universe.people["gp"] and Task.objects.filter(pk=link.task.pk).exists()
    events = AuditEvent.objects.filter(target_type="learning_event", target_id=str(event.pk)).order_by("id")
    kinds = [e.action for e in events]
    assert kinds[0] == "learning_event.reported"
    assert kinds.count("learning_event.moved") == 5
    assert "learning_event.action_added" in kinds
    moved = [e.detail for e in events if e.action == "learning_event.moved"]
    assert [(m["from"], m["to"]) for m in moved] == [
        ("reported", "triaged"),
        ("triaged", "analysed"),
        ("analysed", "actions_agreed"),
        ("actions_agreed", "monitoring"),
        ("monitoring", "closed"),
    ]
    changed = [e.detail["changed"] for e in events if e.action == "learning_event.changed"]
    assert ["factors", "meeting_on", "prompt_answers", "what_happened", "what_learned", "why"] in changed
    everything = json.dumps([e.detail for e in AuditEvent.objects.all()])
    for text in FREE_TEXT:
        assert text not in everything


def test_leaving_a_stage_without_what_it_needs_is_refused_with_the_library_message_and_nothing_changes(universe):
    gp = universe.people["gp"]
    event = report(universe)
    actions.update_event(event=event, by=gp, response_type="after_action_review")
    actions.move_event(event=event, to="triaged", by=gp)
    actions.move_event(event=event, to="analysed", by=gp)
    before = AuditEvent.objects.count()
    with pytest.raises(actions.LearningError, match="You can't agree actions yet: add what happened, why it"):
        actions.move_event(event=event, to="actions_agreed", by=gp)
    event.refresh_from_db()
    assert event.stage == "analysed" and AuditEvent.objects.count() == before


def test_moderate_harm_needs_candour_and_cqc_decisions_and_lfpse(universe):
    gp = universe.people["gp"]
    event = report(universe, physical_harm="3")
    actions.update_event(event=event, by=gp, response_type="sea_meeting")
    actions.move_event(event=event, to="triaged", by=gp)
    actions.update_event(
        event=event,
        by=gp,
        what_happened="x",
        why="y",
        factors=["person"],
        what_learned="z",
        meeting_on=event.occurred_on,
        prompt_answers={"could_have_been_different": "a", "impact": "b"},
    )
    with pytest.raises(
        actions.LearningError, match="whether the duty of candour applies, whether CQC must be notified"
    ):
        actions.move_event(event=event, to="analysed", by=gp)
    actions.update_event(event=event, by=gp, duty_of_candour=True, cqc_notifiable=False, lfpse_status="to_submit")
    actions.move_event(event=event, to="analysed", by=gp)


def test_only_managers_change_events(universe):
    event = report(universe)
    for who in ("receptionist", "healthcare_assistant", "health_secretary", "patient_representative", "other_gp"):
        with pytest.raises(actions.NotAllowed):
            actions.update_event(event=event, by=universe.people[who], response_type="none")
    actions.update_event(event=event, by=universe.people["practice_nurse"], response_type="none")


def test_restricted_events_are_changed_only_by_the_practice_manager_and_gps(universe):
    event = report(universe, restricted=True)
    with pytest.raises(actions.NotAllowed):
        actions.update_event(event=event, by=universe.people["practice_nurse"], response_type="none")
    actions.update_event(event=event, by=universe.people["practice_manager"], response_type="none")
    actions.update_event(event=event, by=universe.people["gp"], response_type="swarm_huddle")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"occurred_on": timezone.localdate() + timedelta(days=1)}, "occurred_on", "The event date is in the future"),
        ({"event_type": "good_care", "physical_harm": "5"}, "physical_harm", "A good care event has no harm grade"),
        ({"location": "99"}, "location", "Choose location within service from the list."),
        ({"description": "NHS number 943 476 5919"}, "description", "Remove an NHS number from what happened"),
        ({"title": "Call 07700 900123"}, "title", "Remove a phone number from the title"),
    ],
)
def test_bad_reports_are_refused_with_what_to_do_and_nothing_is_saved(universe, changes, field, message):
    before = AuditEvent.objects.count()
    with pytest.raises(actions.LearningError) as refused:
        report(universe, **changes)
    assert refused.value.field == field and str(refused.value).startswith(message)
    assert "943 476 5919" not in str(refused.value) and "07700" not in str(refused.value)
    assert LearningEvent.objects.count() == 0 and AuditEvent.objects.count() == before


def test_a_review_date_before_the_event_is_refused(universe):
    event = report(universe)
    with pytest.raises(actions.LearningError, match="The review date is before the event happened"):
        actions.update_event(event=event, by=universe.people["gp"], review_due=date(2025, 12, 1))


def test_an_nhs_number_in_a_prompt_answer_or_an_action_is_refused(universe):
    gp = universe.people["gp"]
    event = report(universe)
    actions.update_event(event=event, by=gp, response_type="after_action_review")
    with pytest.raises(actions.LearningError, match="Remove an NHS number"):
        actions.update_event(event=event, by=gp, prompt_answers={"expected": "9434765919"})
    with pytest.raises(actions.LearningError, match="Remove an NHS number"):
        actions.add_action(event=event, by=gp, title="Check 943-476-5919", owner=gp, due_on=date(2026, 3, 1))
    assert not Task.objects.exists()
    assert "9434765919" not in json.dumps([e.detail for e in AuditEvent.objects.all()])


def test_sharing_needs_a_summary(universe):
    event = closed_event(universe)
    with pytest.raises(actions.LearningError, match="Write a short learning summary"):
        actions.set_sharing(event=event, by=universe.people["gp"], share=True, summary="")
    actions.set_sharing(event=event, by=universe.people["gp"], share=True, summary="Close one record first.")
    event.refresh_from_db()
    assert event.share_learning


def test_a_closed_event_changes_only_its_sharing(universe):
    event = closed_event(universe)
    with pytest.raises(actions.LearningError, match="This event is closed"):
        actions.update_event(event=event, by=universe.people["gp"], why="Changed my mind")


def test_starting_a_project_from_a_theme_fills_its_fishbone(universe):
    event = closed_event(universe)
    project = actions.start_project_from_theme(
        practice=universe.practice,
        by=universe.people["gp"],
        title="Wrong-record letters",
        factors=["tools_technology", "tasks", "communication"],
        counts={"tools_technology": 1, "tasks": 1},
        period="1 January 2026 to 31 March 2026",
    )
    causes = {(c.category, c.text) for c in FishboneCause.objects.filter(project=project)}
    assert causes == {
        ("equipment", "Tools and technology: named in 1 event (1 January 2026 to 31 March 2026)"),
        ("methods", "Tasks: named in 1 event (1 January 2026 to 31 March 2026)"),
        ("materials", "Communication and information: named in 0 events (1 January 2026 to 31 March 2026)"),
    }
    assert event.practice == project.practice
    with pytest.raises(actions.NotAllowed):
        actions.start_project_from_theme(
            practice=universe.practice,
            by=universe.people["receptionist"],
            title="x",
            factors=["tasks"],
            counts={},
            period="p",
        )


def test_report_fields_are_the_short_form(universe):
    assert len(actions.REPORT_FIELDS) == 10
    assert set(NEAR_MISS) <= set(actions.REPORT_FIELDS)
