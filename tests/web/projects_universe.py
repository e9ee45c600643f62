"""One QI project with something in every part, for the project page and permission tests.

``build_project(universe)`` makes, in Riverside Surgery (A00001), the "reduce_dna"
template project created by the GP, with a patient representative in the team,
a manual measure with one point, a fishbone cause and a process step; the
template fills the aim, the measures and the driver diagram.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from qiloop_web.projects import actions, diagram_actions
from qiloop_web.projects.models import DriverNode, FishboneCause, ManualPoint, ProcessStep, Project, ProjectMeasure


@dataclass
class QiProject:
    project: Project
    manual: ProjectMeasure
    point: ManualPoint
    primary: DriverNode
    change_idea: DriverNode
    cause: FishboneCause
    step: ProcessStep


def build_project(universe) -> QiProject:
    gp = universe.people["gp"]
    project = actions.create_project(practice=universe.practice, title="", template_key="reduce_dna", by=gp)
    actions.add_member(
        project=project, user=universe.people["patient_representative"], role_in_project="patient voice", by=gp
    )
    manual = actions.add_measure(project=project, role="process", title="Reminders sent", unit="%", by=gp)
    point = actions.add_point(measure=manual, on=date(2026, 10, 5), numerator=40, denominator=50, by=gp)
    primary = project.driver_nodes.filter(kind="primary").first()
    change_idea = project.driver_nodes.filter(kind="change_idea").first()
    cause = diagram_actions.add_cause(project=project, category="people", text="Patients forget", by=gp)
    step = diagram_actions.add_step(project=project, text="Patient books", owner="reception", by=gp)
    return QiProject(project, manual, point, primary, change_idea, cause, step)


# URL arguments after the practice code, per project URL name (for the permission matrix).
PROJECT_URL_ARGS = {
    "projects:detail": lambda qi: [qi.project.pk],
    "projects:aim": lambda qi: [qi.project.pk],
    "projects:status": lambda qi: [qi.project.pk],
    "projects:team": lambda qi: [qi.project.pk],
    "projects:remove-member": lambda qi: [qi.project.pk, qi.project.members.get(role_in_project="patient voice").pk],
    "projects:add-measure": lambda qi: [qi.project.pk],
    "projects:measure": lambda qi: [qi.project.pk, qi.manual.pk],
    "projects:edit-measure": lambda qi: [qi.project.pk, qi.manual.pk],
    "projects:remove-measure": lambda qi: [qi.project.pk, qi.manual.pk],
    "projects:remove-point": lambda qi: [qi.project.pk, qi.manual.pk, qi.point.pk],
    "projects:drivers": lambda qi: [qi.project.pk],
    "projects:edit-driver": lambda qi: [qi.project.pk, qi.primary.pk],
    "projects:move-driver": lambda qi: [qi.project.pk, qi.primary.pk],
    "projects:remove-driver": lambda qi: [qi.project.pk, qi.primary.pk],
    "projects:fishbone": lambda qi: [qi.project.pk],
    "projects:edit-cause": lambda qi: [qi.project.pk, qi.cause.pk],
    "projects:remove-cause": lambda qi: [qi.project.pk, qi.cause.pk],
    "projects:process-map": lambda qi: [qi.project.pk],
    "projects:edit-step": lambda qi: [qi.project.pk, qi.step.pk],
    "projects:move-step": lambda qi: [qi.project.pk, qi.step.pk],
    "projects:remove-step": lambda qi: [qi.project.pk, qi.step.pk],
}


def project_url(name: str, code: str, universe) -> str:
    """The URL of project page ``name`` for the universe's project, under practice ``code``.

    The project is built on first use and kept on the universe. A project page asked for under another
    practice's code must answer 404 to that practice's members: projects are found within the practice.
    """
    from django.urls import reverse

    if not hasattr(universe, "qi_project"):
        universe.qi_project = build_project(universe)
    if name in ("projects:list", "projects:new"):
        return reverse(name, args=[code])
    return reverse(name, args=[code, *PROJECT_URL_ARGS[name](universe.qi_project)])
