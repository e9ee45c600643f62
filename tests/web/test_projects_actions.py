"""Project actions: every write changes what it says, writes one audit event, and refuses bad input whole."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from qiloop.improvement.templates import template, templates
from qiloop_web.audit.models import AuditEvent
from qiloop_web.projects import actions, diagram_actions
from qiloop_web.projects.actions import ProjectError
from qiloop_web.projects.models import (
    DriverNode,
    FishboneCause,
    ManualPoint,
    ProcessStep,
    Project,
    ProjectMeasure,
    ProjectMember,
)

FUTURE = timezone.localdate() + timedelta(days=200)


@pytest.fixture
def gp(universe):
    return universe.people["gp"]


@pytest.fixture
def blank(universe, gp):
    return actions.create_project(practice=universe.practice, title="Fewer missed appointments", by=gp)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def refused(call, *args, match: str, **kwargs) -> None:
    """The action raises ProjectError with ``match`` in its message and writes no audit event."""
    before = AuditEvent.objects.count()
    with pytest.raises(ProjectError, match=match):
        call(*args, **kwargs)
    assert AuditEvent.objects.count() == before


# --- create ------------------------------------------------------------------------------------------------------


def test_a_blank_project_belongs_to_the_practice_with_its_creator_as_lead(universe, gp, blank):
    assert blank.practice == universe.practice and blank.status == "idea" and blank.aim_what == ""
    assert [(m.user, m.role_in_project) for m in blank.members.all()] == [(gp, "lead")]
    (event,) = events("project.created")
    assert (event.organisation_code, event.target_id, event.actor) == ("A00001", str(blank.pk), gp.email)
    assert event.detail == {"project": blank.pk, "template": ""}  # the title is free text: not in the audit log


@pytest.mark.parametrize("key", [t.key for t in templates()])
def test_a_template_fills_aim_measures_and_driver_diagram(universe, gp, key):
    chosen = template(key)
    project = actions.create_project(
        practice=universe.practice, title="", template_key=key, by=gp, today=date(2026, 11, 15)
    )
    assert project.title == chosen.title and project.template_key == key
    assert (project.aim_what, project.aim_how_much) == (chosen.aim_what, chosen.aim_how_much)
    assert project.aim_by == actions.end_of_month_after(date(2026, 11, 15), chosen.aim_by_months)
    assert [(m.role, m.title) for m in project.measures.all()] == [(m.role, m.title) for m in chosen.measures]
    primaries = DriverNode.objects.filter(project=project, parent=None)
    assert [p.text for p in primaries] == [p for p, _, _ in chosen.primary_drivers]
    assert all(p.kind == "primary" for p in primaries)
    for node, (_, secondaries, ideas) in zip(primaries, chosen.primary_drivers, strict=True):
        assert [c.text for c in node.children.filter(kind="secondary")] == list(secondaries)
        assert [c.text for c in node.children.filter(kind="change_idea")] == list(ideas)


def test_a_template_measure_names_its_library_measure(universe, gp):
    project = actions.create_project(practice=universe.practice, title="", template_key="reduce_dna", by=gp)
    assert project.measures.get(title="Missed appointments (did not attend)").library_measure_id == "dna_rate"
    assert project.measures.get(title="Appointments with an SMS reminder sent").is_manual


def test_end_of_month_after_handles_the_year_end():
    assert actions.end_of_month_after(date(2026, 11, 15), 3) == date(2027, 2, 28)
    assert actions.end_of_month_after(date(2026, 1, 31), 0) == date(2026, 1, 31)


def test_creating_refuses_an_unknown_template_a_missing_title_or_a_network(universe, gp):
    refused(
        actions.create_project,
        practice=universe.practice,
        title="x",
        template_key="nope",
        by=gp,
        match="no project template",
    )
    refused(actions.create_project, practice=universe.practice, title="  ", by=gp, match="Enter a title")
    refused(actions.create_project, practice=universe.pcn, title="Network project", by=gp, match="GP practice")
    assert not Project.objects.exists()


# --- aim and status --------------------------------------------------------------------------------------------


def test_update_aim_saves_a_specific_aim_and_records_before_and_after(blank, gp):
    actions.update_aim(
        project=blank, title="DNA", what="Reduce missed appointments", how_much="from 8% to 4%", by_when=FUTURE, by=gp
    )
    blank.refresh_from_db()
    assert (blank.title, blank.aim_what, blank.aim_how_much, blank.aim_by) == (
        "DNA",
        "Reduce missed appointments",
        "from 8% to 4%",
        FUTURE,
    )
    (event,) = events("project.aim_changed")
    assert event.detail["fields"] == ["by", "how_much", "title", "what"]  # names of what changed, never the text


@pytest.mark.parametrize(
    ("what", "how_much", "by_when", "prompt"),
    [
        ("Reduce missed appointments", "a lot", FUTURE, "by how much"),
        ("DNAs", "from 8% to 4%", FUTURE, "what you want to improve"),
        ("Reduce missed appointments", "from 8% to 4%", None, "by when"),
        ("Reduce missed appointments", "from 8% to 4%", date(2020, 1, 1), "already passed"),
    ],
)
def test_update_aim_refuses_an_aim_that_is_not_specific(blank, gp, what, how_much, by_when, prompt):
    refused(
        actions.update_aim, project=blank, title="t", what=what, how_much=how_much, by_when=by_when, by=gp, match=prompt
    )
    blank.refresh_from_db()
    assert blank.aim_what == ""


def test_status_moves_forward_and_closing_needs_a_reflection(universe, gp):
    project = actions.create_project(practice=universe.practice, title="", template_key="reduce_dna", by=gp)
    actions.change_status(project=project, status="active", by=gp)
    actions.change_status(project=project, status="sustaining", by=gp)
    refused(actions.change_status, project=project, status="closed", reflection="  ", by=gp, match="closing reflection")
    actions.change_status(project=project, status="closed", reflection="Reminders work.", by=gp)
    project.refresh_from_db()
    assert (project.status, project.closing_reflection) == ("closed", "Reminders work.")
    assert [(e.detail["from"], e.detail["to"]) for e in events("project.status_changed")] == [
        ("idea", "active"),
        ("active", "sustaining"),
        ("sustaining", "closed"),
    ]


def test_status_refuses_a_jump_an_unknown_status_and_starting_without_an_aim(blank, gp):
    refused(actions.change_status, project=blank, status="sustaining", by=gp, match="can only become active or closed")
    refused(actions.change_status, project=blank, status="finished", by=gp, match="not a project status")
    refused(actions.change_status, project=blank, status="active", by=gp, match="write its aim")
    blank.refresh_from_db()
    assert blank.status == "idea"


def test_the_database_refuses_a_closed_project_without_a_reflection(blank):
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=blank.pk).update(status="closed", closing_reflection="")


# --- team ------------------------------------------------------------------------------------------------------


def test_anyone_in_the_practice_joins_the_team_patients_included(universe, gp, blank):
    member = actions.add_member(
        project=blank, user=universe.people["patient_representative"], role_in_project="patient voice", by=gp
    )
    assert member.role_in_project == "patient voice"
    assert events("project.member_added")[0].target_id == str(universe.people["patient_representative"].pk)
    actions.remove_member(member=member, by=gp)
    assert not ProjectMember.objects.filter(pk=member.pk).exists()
    assert len(events("project.member_removed")) == 1


def test_the_team_refuses_outsiders_and_duplicates(universe, gp, blank):
    refused(
        actions.add_member, project=blank, user=universe.people["other_gp"], by=gp, match="not a member of Riverside"
    )
    refused(actions.add_member, project=blank, user=gp, by=gp, match="already in the project team")
    assert blank.members.count() == 1


# --- measures and manual points -------------------------------------------------------------------------------


def test_a_library_measure_takes_its_title_from_the_library(blank, gp):
    measure = actions.add_measure(project=blank, role="outcome", library_measure_id="dna_rate", low_is_good=True, by=gp)
    assert measure.title and not measure.is_manual
    assert events("project.measure_added")[0].detail["library_measure_id"] == "dna_rate"
    refused(
        actions.add_measure, project=blank, role="outcome", library_measure_id="dna_rate", by=gp, match="already has"
    )


def test_measures_refuse_an_unknown_library_id_a_bad_role_and_no_name(blank, gp):
    refused(
        actions.add_measure, project=blank, role="outcome", library_measure_id="nope", by=gp, match="no library measure"
    )
    refused(actions.add_measure, project=blank, role="result", title="x", by=gp, match="outcome, process or balancing")
    refused(actions.add_measure, project=blank, role="process", title=" ", by=gp, match="name for the measure")
    assert not ProjectMeasure.objects.exists()


def test_edit_and_remove_a_measure(blank, gp):
    measure = actions.add_measure(project=blank, role="process", title="Calls", unit="calls", by=gp)
    actions.edit_measure(measure=measure, role="balancing", title="Calls answered", unit="", low_is_good=True, by=gp)
    measure.refresh_from_db()
    assert (measure.role, measure.title, measure.unit, measure.low_is_good) == ("balancing", "Calls answered", "", True)
    actions.remove_measure(measure=measure, by=gp)
    assert not ProjectMeasure.objects.exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="project.measure").order_by("id")] == [
        "project.measure_added",
        "project.measure_changed",
        "project.measure_removed",
    ]


@pytest.fixture
def manual(blank, gp):
    return actions.add_measure(project=blank, role="process", title="Reminders sent", unit="%", by=gp)


def test_a_point_is_a_value_or_a_percentage_of_numerator_over_denominator(manual, gp):
    count = actions.add_point(measure=manual, on=date(2026, 10, 5), value="12", by=gp)
    share = actions.add_point(
        measure=manual, on=date(2026, 10, 12), numerator="3", denominator="4", note="half day", by=gp
    )
    assert (count.value, count.numerator, count.denominator) == (12.0, None, None)
    assert (share.value, share.numerator, share.denominator, share.note) == (75.0, 3.0, 4.0, "half day")
    assert [e.detail["date"] for e in events("project.point_added")] == ["2026-10-05", "2026-10-12"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"value": "lots"}, "must be a number"),
        ({"value": "nan"}, "ordinary number"),
        ({"value": "-1"}, "cannot be negative"),
        ({}, "Enter a value"),
        ({"numerator": "3"}, "both the numerator and the denominator"),
        ({"numerator": "5", "denominator": "4"}, r"numerator \(5\) is more than the denominator \(4\)"),
        ({"numerator": "0", "denominator": "0"}, "denominator must be more than 0"),
    ],
)
def test_bad_points_are_refused_with_what_is_wrong(manual, gp, values, message):
    refused(actions.add_point, measure=manual, on=date(2026, 10, 5), by=gp, match=message, **values)
    assert not ManualPoint.objects.exists()


def test_points_have_unique_dates_and_are_not_in_the_future(manual, gp):
    actions.add_point(measure=manual, on=date(2026, 10, 5), value=1, by=gp)
    refused(
        actions.add_point, measure=manual, on=date(2026, 10, 5), value=2, by=gp, match="already a point for 05/10/2026"
    )
    tomorrow = timezone.localdate() + timedelta(days=1)
    refused(actions.add_point, measure=manual, on=tomorrow, value=2, by=gp, match="in the future")
    assert list(manual.points.values_list("value", flat=True)) == [1.0]


def test_library_measures_take_no_typed_points(blank, gp):
    library = actions.add_measure(project=blank, role="outcome", library_measure_id="dna_rate", by=gp)
    refused(actions.add_point, measure=library, on=date(2026, 10, 5), value=1, by=gp, match="cannot be typed in")


def test_the_database_refuses_a_numerator_above_its_denominator(manual):
    with pytest.raises(IntegrityError), transaction.atomic():
        ManualPoint.objects.create(measure=manual, date=date(2026, 1, 1), value=1, numerator=5, denominator=4)


def test_remove_point(manual, gp):
    point = actions.add_point(measure=manual, on=date(2026, 10, 5), value=1, by=gp)
    pk = point.pk
    actions.remove_point(point=point, by=gp)
    assert not manual.points.exists()
    assert events("project.point_removed")[0].detail == {
        "project": manual.project_id,
        "point": pk,
        "date": "2026-10-05",
    }


# --- driver diagram --------------------------------------------------------------------------------------------


def test_driver_diagram_nodes_hang_where_they_belong(blank, gp):
    primary = diagram_actions.add_driver_node(project=blank, kind="primary", text="Patients remember", by=gp)
    secondary = diagram_actions.add_driver_node(
        project=blank, kind="secondary", text="Reminders", parent=primary, by=gp
    )
    idea = diagram_actions.add_driver_node(
        project=blank, kind="change_idea", text="SMS at 24 h", parent=secondary, by=gp
    )
    assert (idea.parent, secondary.parent, primary.parent) == (secondary, primary, None)
    refused(
        diagram_actions.add_driver_node, project=blank, kind="secondary", text="x", by=gp, match="primary driver this"
    )
    refused(
        diagram_actions.add_driver_node,
        project=blank,
        kind="primary",
        text="x",
        parent=primary,
        by=gp,
        match="directly from the aim",
    )
    refused(
        diagram_actions.add_driver_node,
        project=blank,
        kind="change_idea",
        text="x",
        parent=idea,
        by=gp,
        match="primary or secondary",
    )
    refused(diagram_actions.add_driver_node, project=blank, kind="primary", text=" ", by=gp, match="Enter the driver")
    assert DriverNode.objects.count() == 3 and len(events("project.driver_added")) == 3


def test_a_node_from_another_project_cannot_be_a_parent(universe, blank, gp):
    other = actions.create_project(practice=universe.practice, title="Other", by=gp)
    foreign = diagram_actions.add_driver_node(project=other, kind="primary", text="Elsewhere", by=gp)
    refused(
        diagram_actions.add_driver_node,
        project=blank,
        kind="secondary",
        text="x",
        parent=foreign,
        by=gp,
        match="another project",
    )


def test_reorder_edit_and_delete_with_everything_beneath(blank, gp):
    first = diagram_actions.add_driver_node(project=blank, kind="primary", text="First", by=gp)
    second = diagram_actions.add_driver_node(project=blank, kind="primary", text="Second", by=gp)
    below = diagram_actions.add_driver_node(project=blank, kind="secondary", text="Below", parent=first, by=gp)
    diagram_actions.add_driver_node(project=blank, kind="change_idea", text="Idea", parent=below, by=gp)
    assert diagram_actions.move_driver_node(node=second, direction="up", by=gp) is True
    assert [n.text for n in DriverNode.objects.filter(project=blank, parent=None)] == ["Second", "First"]
    assert diagram_actions.move_driver_node(node=second, direction="up", by=gp) is False  # already first
    refused(diagram_actions.move_driver_node, node=second, direction="sideways", by=gp, match="up or down")
    diagram_actions.edit_driver_node(node=first, text="First, renamed", by=gp)
    assert [n.text for n in diagram_actions.nodes_beneath(first)] == ["Below", "Idea"]
    assert diagram_actions.delete_driver_node(node=first, by=gp) == 3
    assert [n.text for n in DriverNode.objects.filter(project=blank)] == ["Second"]
    (event,) = events("project.driver_removed")
    assert event.detail == {"project": blank.pk, "kind": "primary", "beneath": 2}  # a delete copies no text


# --- fishbone and process map ----------------------------------------------------------------------------------


def test_fishbone_causes_by_category(blank, gp):
    cause = diagram_actions.add_cause(project=blank, category="equipment", text="Phone lines busy at 8am", by=gp)
    diagram_actions.edit_cause(cause=cause, category="environment", text="Phone lines busy", by=gp)
    cause.refresh_from_db()
    assert (cause.category, cause.text) == ("environment", "Phone lines busy")
    refused(diagram_actions.add_cause, project=blank, category="weather", text="x", by=gp, match="Choose a category")
    refused(diagram_actions.add_cause, project=blank, category="people", text="", by=gp, match="Enter the cause")
    diagram_actions.delete_cause(cause=cause, by=gp)
    assert not FishboneCause.objects.exists()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="project.cause").order_by("id")] == [
        "project.cause_added",
        "project.cause_changed",
        "project.cause_removed",
    ]


def test_process_map_steps_in_order_with_owner_and_pain_point(blank, gp):
    one = diagram_actions.add_step(project=blank, text="Request arrives", owner="reception", by=gp)
    two = diagram_actions.add_step(project=blank, text="GP signs", owner="GP", pain_point="waits 2 days", by=gp)
    assert diagram_actions.move_step(step=two, direction="up", by=gp)
    assert [s.text for s in ProcessStep.objects.filter(project=blank)] == ["GP signs", "Request arrives"]
    diagram_actions.edit_step(step=one, text="Request arrives by phone", owner="", pain_point="", by=gp)
    refused(diagram_actions.add_step, project=blank, text="", by=gp, match="what happens at this step")
    diagram_actions.delete_step(step=two, by=gp)
    assert [s.text for s in ProcessStep.objects.filter(project=blank)] == ["Request arrives by phone"]
    assert len(events("project.step_moved")) == 1 and len(events("project.step_removed")) == 1


def test_every_write_touches_the_project(blank, gp):
    before = blank.updated_at
    diagram_actions.add_step(project=blank, text="Request arrives", by=gp)
    blank.refresh_from_db()
    assert blank.updated_at > before


def test_every_project_audit_event_has_a_plain_english_label(universe, gp):
    from projects_universe import build_project

    from qiloop_web.audit.models import ACTION_LABELS

    qi = build_project(universe)
    diagram_actions.edit_driver_node(node=qi.primary, text="Renamed", by=gp)
    diagram_actions.move_step(
        step=diagram_actions.add_step(project=qi.project, text="Second", by=gp), direction="up", by=gp
    )
    written = set(AuditEvent.objects.filter(action__startswith="project.").values_list("action", flat=True))
    assert len(written) >= 8
    assert written <= set(ACTION_LABELS)
    source = Path(actions.__file__).read_text() + Path(diagram_actions.__file__).read_text()
    named = {f"project.{name}" for name in re.findall(r'record_event\(\s*[\w.]+,\s*"(\w+)"', source)}
    assert len(named) == 22
    assert named and named <= set(ACTION_LABELS)


def test_pasted_points_are_added_all_at_once(manual, gp):
    text = "2026-10-05, 12\n\n05/10/2025\t3/4\n2026-09-28, 7, half-day closure, bank holiday\n"
    points = actions.add_points(measure=manual, text=text, by=gp)
    assert len(points) == 3
    got = [(p.date.isoformat(), p.value, p.numerator, p.note) for p in manual.points.order_by("date")]
    assert got == [
        ("2025-10-05", 75.0, 3.0, ""),
        ("2026-09-28", 7.0, None, "half-day closure, bank holiday"),
        ("2026-10-05", 12.0, None, ""),
    ]
    (event,) = events("project.points_added")
    assert event.detail == {"project": manual.project_id, "count": 3, "first": "2025-10-05", "last": "2026-10-05"}


def test_pasted_points_with_any_wrong_line_add_nothing_and_name_every_wrong_line(manual, gp):
    actions.add_point(measure=manual, on=date(2026, 1, 5), value=1, by=gp)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    text = "\n".join(
        [
            "2026-02-02, 4",  # line 1: fine
            "2026-01-05, 2",  # line 2: already a point
            "2026-02-02, 5",  # line 3: repeats line 1
            "yesterday, 3",  # line 4: not a date
            "2026-02-09",  # line 5: no value
            "2026-02-16, 6/5",  # line 6: numerator above denominator
            f"{future}, 1",  # line 7: future
            "2026-02-23, many",  # line 8: not a number
        ]
    )
    before = AuditEvent.objects.count()
    with pytest.raises(actions.PointsError) as raised:
        actions.add_points(measure=manual, text=text, by=gp)
    problems = raised.value.problems
    assert [p.split(":")[0] for p in problems] == [f"Line {n}" for n in range(2, 9)]
    assert "already a point for 05/01/2026 (an earlier point)" in problems[0]
    assert "already a point for 02/02/2026 (line 1)" in problems[1]
    assert "'yesterday' is not a date" in problems[2]
    assert "numerator (6) is more than the denominator (5)" in problems[4]
    assert "in the future" in problems[5] and "must be a number" in problems[6]
    assert manual.points.count() == 1 and AuditEvent.objects.count() == before


def test_pasting_nothing_or_into_a_library_measure_is_refused(blank, manual, gp):
    refused(actions.add_points, measure=manual, text=" \n ", by=gp, match="Paste at least one line")
    library = actions.add_measure(project=blank, role="outcome", library_measure_id="dna_rate", by=gp)
    refused(actions.add_points, measure=library, text="2026-10-05, 1", by=gp, match="cannot be typed in")
