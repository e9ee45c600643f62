"""What the project pages show, read from the records (no Django views here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from qiloop.improvement.aims import aim_sentence, check_aim
from qiloop.measures import all_measures
from qiloop_web.projects.models import DriverNode, FishboneCategory, FishboneCause, Project, ProjectMeasure


@dataclass
class Aim:
    sentence: str  # "" when nothing is written yet
    ok: bool
    missing: list[str]


def aim(project: Project) -> Aim:
    check = check_aim(project.aim_what, project.aim_how_much, project.aim_by, today=timezone.localdate())
    written = bool(project.aim_what or project.aim_how_much or project.aim_by)
    sentence = aim_sentence(project.aim_what, project.aim_how_much, project.aim_by) if written else ""
    return Aim(sentence=sentence, ok=check.ok, missing=check.missing)


@dataclass
class Row:
    """One project in the practice's list, with a summary of its evidence."""

    project: Project
    aim: Aim
    facts: list[str]


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def row(project: Project) -> Row:
    """``project`` annotated with n_members, n_measures, n_cycles and n_cycles_done (see views.project_list)."""
    the_aim = aim(project)
    facts = [
        "Aim set" if the_aim.ok else "Aim not yet specific",
        _plural(project.n_measures, "measure", "measures"),  # type: ignore[attr-defined]
        f"{project.n_cycles_done} of {_plural(project.n_cycles, 'PDSA cycle', 'PDSA cycles')} done",  # type: ignore[attr-defined]
        f"team of {project.n_members}",  # type: ignore[attr-defined]
    ]
    return Row(project=project, aim=the_aim, facts=facts)


@dataclass
class TreeNode:
    node: DriverNode
    children: list[TreeNode] = field(default_factory=list)
    first: bool = False
    last: bool = False


def driver_tree(project: Project) -> list[TreeNode]:
    """The driver diagram as a tree beneath the aim: primary drivers, then what hangs beneath each."""
    nodes = list(DriverNode.objects.filter(project=project).order_by("order", "id"))
    wrapped = {n.pk: TreeNode(n) for n in nodes}
    roots: list[TreeNode] = []
    for n in nodes:
        (wrapped[n.parent_id].children if n.parent_id in wrapped else roots).append(wrapped[n.pk])
    _mark_ends(roots)
    return roots


def _mark_ends(siblings: list[TreeNode]) -> None:
    for index, item in enumerate(siblings):
        item.first, item.last = index == 0, index == len(siblings) - 1
        _mark_ends(item.children)


@dataclass
class CauseGroup:
    category: str
    label: str
    causes: list[FishboneCause]


def fishbone(project: Project) -> list[CauseGroup]:
    """Every category (in the usual order), each with its causes, empty categories included."""
    causes = list(FishboneCause.objects.filter(project=project).order_by("order", "id"))
    return [
        CauseGroup(value, label, [c for c in causes if c.category == value])
        for value, label in FishboneCategory.choices
    ]


def library_title(measure: ProjectMeasure) -> str:
    found = all_measures().get(measure.library_measure_id) if measure.library_measure_id else None
    return found.title if found else ""
