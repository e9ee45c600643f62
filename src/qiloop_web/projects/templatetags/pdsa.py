"""``{% pdsa_cycles project %}`` and ``{% pdsa_charts project %}``: the project page's cycles, progress and charts;
``{% pdsa_measure_chart measure %}``: one project measure's chart, for its own page.

The project page includes ``projects/_cycles.html`` and ``projects/_charts.html``, which call these, so
the page needs nothing but ``project`` in its context (and the signed-in ``user``).
"""

from __future__ import annotations

from typing import Any

from django import template

from qiloop_web.organisations.permissions import has_permission
from qiloop_web.organisations.roles import Permission
from qiloop_web.projects import charts
from qiloop_web.projects.models import PdsaCycle, Project, ProjectMeasure, Status

register = template.Library()


@register.inclusion_tag("projects/pdsa_cycles_list.html", takes_context=True)
def pdsa_cycles(context: template.Context, project: Project) -> dict[str, Any]:
    cycles = list(PdsaCycle.objects.filter(project=project).select_related("change_idea").order_by("created_at", "id"))
    numbers = {cycle.pk: n for n, cycle in enumerate(cycles, start=1)}
    practice = project.practice
    user = context.get("user")
    return {
        "project": project,
        "organisation_code": practice.code,
        "cycles": [
            {"cycle": c, "number": numbers[c.pk], "previous_number": numbers.get(c.previous_id or 0)} for c in cycles
        ],
        "can_edit": project.status != Status.CLOSED and has_permission(user, Permission.EDIT_PROJECTS, practice),
    }


@register.inclusion_tag("projects/pdsa_charts_panel.html")
def pdsa_charts(project: Project) -> dict[str, Any]:
    measure_charts = charts.project_charts(project)
    return {
        "project": project,
        "measure_charts": measure_charts,
        "has_charts": any(item.chart for item in measure_charts),
        "progress": charts.project_progress(project, measure_charts),
    }


@register.inclusion_tag("projects/_chart_measure.html")
def pdsa_measure_chart(measure: ProjectMeasure) -> dict[str, Any]:
    return {"item": charts.project_measure_chart(measure)}
