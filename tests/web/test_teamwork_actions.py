"""Tasks and QI time actions: the rules, who may change what, and one audit event per change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from qiloop_web.audit.models import AuditEvent
from qiloop_web.organisations.actions import change_role
from qiloop_web.organisations.models import Membership
from qiloop_web.projects.models import PdsaCycle, Project
from qiloop_web.teamwork import actions
from qiloop_web.teamwork.models import Task, TaskStatus, TimeEntry

TODAY = timezone.localdate()


def make_project(practice, title="Fewer missed appointments"):
    return Project.objects.create(practice=practice, title=title)


def make_cycle(project, title="Text reminders two days before"):
    return PdsaCycle.objects.create(project=project, title=title)


def new_task(universe, *, by="gp", owner="receptionist", **extra):
    people = universe.people
    fields = {"title": "Ring the five patients on the list", "due_on": TODAY + timedelta(days=7)} | extra
    return actions.create_task(practice=universe.practice, owner=people[owner], by=people[by], **fields)


def events(action):
    return list(AuditEvent.objects.filter(action=action))


def test_a_patient_representative_can_own_a_task_and_its_creation_is_audited(universe):
    project = make_project(universe.practice)
    task = new_task(universe, owner="patient_representative", project=project, notes="  Ask the PPG  ")
    assert (task.owner, task.project, task.status, task.notes) == (
        universe.people["patient_representative"],
        project,
        "todo",
        "Ask the PPG",
    )
    [event] = events("task.created")
    assert event.organisation_code == "A00001"
    assert event.target_id == str(task.pk)
    assert event.actor == "gp@example.nhs.uk"
    assert event.detail["owner"] == universe.people["patient_representative"].pk
    assert "Ring" not in str(event.detail)  # free text stays out of the audit log


def test_a_cycle_alone_links_the_task_to_the_cycles_project(universe):
    cycle = make_cycle(make_project(universe.practice))
    task = new_task(universe, pdsa_cycle=cycle)
    assert task.project == cycle.project


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"owner": "other_gp"}, "not a member of Riverside Surgery"),
        ({"owner": "network_qi_lead"}, "not a member of Riverside Surgery"),
        ({"title": "   "}, "Enter what needs doing"),
        ({"status": "finished"}, "not a task status"),
    ],
)
def test_bad_tasks_are_refused_with_a_message_and_change_nothing(universe, change, message):
    fields = dict(change)
    owner = fields.pop("owner", "receptionist")
    with pytest.raises(actions.TeamworkError, match=message):
        new_task(universe, owner=owner, **fields)
    assert not Task.objects.exists()
    assert not events("task.created")


def test_projects_and_cycles_of_another_practice_are_refused(universe):
    theirs = make_project(universe.sibling_practice)
    with pytest.raises(actions.TeamworkError, match="another practice"):
        new_task(universe, project=theirs)
    ours = make_project(universe.practice)
    with pytest.raises(actions.TeamworkError, match="belongs to another project"):
        new_task(universe, project=ours, pdsa_cycle=make_cycle(make_project(universe.practice, "Other")))
    assert not Task.objects.exists()


def test_people_without_edit_rights_cannot_create_tasks(universe):
    with pytest.raises(actions.NotYours):
        new_task(universe, by="network_qi_lead")
    with pytest.raises(actions.NotYours):
        new_task(universe, by="other_gp")
    assert not Task.objects.exists()


def test_only_owner_creator_or_practice_manager_may_change_a_task(universe):
    task = new_task(universe, by="gp", owner="receptionist")
    people = universe.people
    allowed = {key for key in people if actions.may_change_task(people[key], task)}
    assert allowed == {"gp", "receptionist", "practice_manager"}
    with pytest.raises(actions.NotYours):
        actions.update_task(task=task, title="Changed", by=people["practice_nurse"])
    task.refresh_from_db()
    assert task.title == "Ring the five patients on the list"
    assert not events("task.changed")


def test_changing_a_task_records_which_fields_changed_and_nothing_when_nothing_did(universe):
    task = new_task(universe)
    new_due = TODAY + timedelta(days=30)
    actions.update_task(task=task, due_on=new_due, status="doing", by=universe.people["practice_manager"])
    task.refresh_from_db()
    assert (task.due_on, task.status, task.completed_at) == (new_due, "doing", None)
    [event] = events("task.changed")
    assert event.detail["changed"] == ["due_on", "status"]
    actions.update_task(task=task, due_on=new_due, by=universe.people["gp"])
    assert len(events("task.changed")) == 1


def test_completing_a_task_stamps_it_and_a_done_task_cannot_be_completed_again(universe):
    task = new_task(universe)
    actions.complete_task(task=task, by=universe.people["receptionist"])
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_at is not None
    assert not task.is_overdue(TODAY + timedelta(days=365))
    with pytest.raises(actions.TeamworkError, match="already done"):
        actions.complete_task(task=task, by=universe.people["receptionist"])
    actions.update_task(task=task, status="todo", by=universe.people["receptionist"])
    task.refresh_from_db()
    assert task.completed_at is None


def test_deleting_a_task_is_audited_and_refused_for_others(universe):
    task = new_task(universe)
    with pytest.raises(actions.NotYours):
        actions.delete_task(task=task, by=universe.people["pharmacist"])
    assert Task.objects.filter(pk=task.pk).exists()
    task_id = task.pk
    actions.delete_task(task=task, by=universe.people["receptionist"])
    assert not Task.objects.filter(pk=task_id).exists()
    [event] = events("task.deleted")
    assert event.target_id == str(task_id)


def record(universe, who="practice_nurse", **extra):
    fields = {"spent_on": TODAY - timedelta(days=1), "minutes": 45, "meeting": "QI huddle"} | extra
    return actions.record_time(practice=universe.practice, by=universe.people[who], **fields)


def test_recorded_time_keeps_the_role_held_when_it_was_recorded(universe):
    before = record(universe, who="receptionist")
    membership = Membership.objects.get(user=universe.people["receptionist"])
    change_role(membership=membership, role="health_secretary", by=None)
    after = record(universe, who="receptionist")
    assert (before.role, after.role) == ("receptionist", "health_secretary")
    before.refresh_from_db()
    assert before.role == "receptionist"
    assert [e.detail["role"] for e in reversed(events("qi_time.recorded"))] == ["receptionist", "health_secretary"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"minutes": 0}, "greater than 0"),
        ({"minutes": -5}, "greater than 0"),
        ({"minutes": 1441}, "1,440 or fewer"),
        ({"meeting": "  "}, "Choose the project the time was for, or name the meeting"),
        ({"spent_on": TODAY + timedelta(days=1)}, "in the future"),
    ],
)
def test_bad_time_is_refused_with_a_message_and_changes_nothing(universe, change, message):
    with pytest.raises(actions.TeamworkError, match=message):
        record(universe, **change)
    assert not TimeEntry.objects.exists()
    assert not events("qi_time.recorded")


def test_time_for_another_practices_project_or_by_an_outsider_is_refused(universe):
    with pytest.raises(actions.TeamworkError, match="another practice"):
        record(universe, project=make_project(universe.sibling_practice), meeting="")
    with pytest.raises(actions.NotYours):
        record(universe, who="network_qi_lead")
    assert not TimeEntry.objects.exists()


def test_only_the_recorder_or_the_practice_manager_may_change_time(universe):
    entry = record(universe, who="practice_nurse")
    people = universe.people
    assert {key for key in people if actions.may_change_time(people[key], entry)} == {
        "practice_nurse",
        "practice_manager",
    }
    with pytest.raises(actions.NotYours):
        actions.update_time_entry(entry=entry, minutes=600, by=people["gp"])
    actions.update_time_entry(entry=entry, minutes=60, by=people["practice_manager"])
    entry.refresh_from_db()
    assert (entry.minutes, entry.role, entry.user) == (60, "practice_nurse", people["practice_nurse"])
    [event] = events("qi_time.changed")
    assert event.detail["changed"] == ["minutes"] and event.actor == "practice_manager@example.nhs.uk"
    with pytest.raises(actions.TeamworkError, match="greater than 0"):
        actions.update_time_entry(entry=entry, minutes=0, by=people["practice_nurse"])
    actions.delete_time_entry(entry=entry, by=people["practice_nurse"])
    assert not TimeEntry.objects.exists()
    assert len(events("qi_time.deleted")) == 1


def test_the_database_refuses_zero_minutes_even_past_the_actions(universe):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        TimeEntry.objects.create(
            practice=universe.practice,
            user=universe.people["gp"],
            role="gp",
            meeting="x",
            spent_on=date(2026, 1, 5),
            minutes=0,
        )


def test_a_task_whose_owner_has_left_can_be_finished_or_handed_on_but_not_given_to_an_outsider(universe):
    task = new_task(universe, by="receptionist", owner="receptionist")
    Membership.objects.filter(user=universe.people["receptionist"]).delete()
    manager = universe.people["practice_manager"]
    actions.update_task(task=task, due_on=TODAY + timedelta(days=1), by=manager)
    with pytest.raises(actions.TeamworkError, match="not a member"):
        actions.update_task(task=task, owner=universe.people["other_gp"], by=manager)
    actions.update_task(task=task, owner=universe.people["pharmacist"], by=manager)
    actions.complete_task(task=task, by=universe.people["pharmacist"])
    task.refresh_from_db()
    assert (task.owner, task.status) == (universe.people["pharmacist"], "done")
