"""Every change to a project's driver diagram, fishbone and process map (see ``actions`` for the shared rules).

Each function takes keyword arguments only, runs in one transaction and writes one audit event;
``ProjectError`` says what is wrong and nothing changes.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from qiloop_web.audit import log
from qiloop_web.projects.actions import ProjectError, clean_text, record_event, touch
from qiloop_web.projects.models import DriverNode, FishboneCategory, FishboneCause, NodeKind, ProcessStep, Project

# What may hang beneath what in a driver diagram (None: directly beneath the aim).
PARENT_KINDS: dict[str, tuple[str | None, ...]] = {
    NodeKind.PRIMARY: (None,),
    NodeKind.SECONDARY: (NodeKind.PRIMARY,),
    NodeKind.CHANGE_IDEA: (NodeKind.PRIMARY, NodeKind.SECONDARY),
}


# --- driver diagram ---------------------------------------------------------------------------------------------


def _check_parent(project: Project, kind: str, parent: DriverNode | None) -> None:
    if kind not in NodeKind.values:
        raise ProjectError("Choose a primary driver, a secondary driver or a change idea.")
    if parent is not None and parent.project_id != project.pk:
        raise ProjectError("That driver belongs to another project.")
    allowed = PARENT_KINDS[kind]
    if (parent.kind if parent else None) not in allowed:
        if kind == NodeKind.PRIMARY:
            raise ProjectError("A primary driver hangs directly from the aim; do not choose a driver above it.")
        if kind == NodeKind.SECONDARY:
            raise ProjectError("Choose the primary driver this secondary driver belongs to.")
        raise ProjectError("Choose the primary or secondary driver this change idea belongs to.")


def add_driver_node(*, project: Project, kind: str, text: str, by: Any, parent: DriverNode | None = None) -> DriverNode:
    _check_parent(project, kind, parent)
    text = clean_text(text, what="the driver or change idea")
    order = (DriverNode.objects.filter(project=project, parent=parent).aggregate(m=Max("order"))["m"] or 0) + 1
    with transaction.atomic():
        node = DriverNode.objects.create(project=project, parent=parent, kind=kind, text=text, order=order)
        touch(project)
        record_event(project, "driver_added", by, "driver_node", node.pk, kind=kind)
    return node


def edit_driver_node(*, node: DriverNode, text: str, by: Any) -> DriverNode:
    text = clean_text(text, what="the driver or change idea")
    before = node.text
    with transaction.atomic():
        node.text = text
        node.save(update_fields=["text"])
        touch(node.project)
        record_event(
            node.project, "driver_changed", by, "driver_node", node.pk, fields=["text"] if before != text else []
        )
    return node


def _move(item: Any, siblings: list[Any], direction: str) -> bool:
    """Swap ``item`` with its neighbour among ``siblings`` (in display order); renumber them. False at an end."""
    if direction not in ("up", "down"):
        raise ProjectError("Move up or down.")
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return False
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for order, sibling in enumerate(siblings):
        if sibling.order != order:
            sibling.order = order
            sibling.save(update_fields=["order"])
    return True


def move_driver_node(*, node: DriverNode, direction: str, by: Any) -> bool:
    """Move a node up or down among the nodes beneath the same parent. Returns False if it is already at that end."""
    with transaction.atomic():
        siblings = list(DriverNode.objects.select_for_update().filter(project=node.project, parent=node.parent_id))
        moved = _move(node, siblings, direction)
        if moved:
            touch(node.project)
            record_event(node.project, "driver_moved", by, "driver_node", node.pk, direction=direction)
    return moved


def nodes_beneath(node: DriverNode) -> list[DriverNode]:
    """Every node under ``node`` (children, grandchildren): what deleting it also deletes."""
    found: list[DriverNode] = []
    frontier = [node.pk]
    while frontier:
        children = list(DriverNode.objects.filter(parent_id__in=frontier))
        found += children
        frontier = [child.pk for child in children]
    return found


def delete_driver_node(*, node: DriverNode, by: Any) -> int:
    """Delete a node and everything beneath it; PDSA cycles that tested a deleted change idea keep their record
    but lose the link. Returns how many nodes were deleted."""
    project = node.project
    beneath = nodes_beneath(node)
    with transaction.atomic():
        record_event(project, "driver_removed", by, "driver_node", node.pk, kind=node.kind, beneath=len(beneath))
        node.delete()
        touch(project)
    return 1 + len(beneath)


# --- fishbone ---------------------------------------------------------------------------------------------------


def add_cause(*, project: Project, category: str, text: str, by: Any) -> FishboneCause:
    if category not in FishboneCategory.values:
        raise ProjectError("Choose a category for the cause.")
    text = clean_text(text, what="the cause")
    order = (project.fishbone_causes.filter(category=category).aggregate(m=Max("order"))["m"] or 0) + 1
    with transaction.atomic():
        cause = FishboneCause.objects.create(project=project, category=category, text=text, order=order)
        touch(project)
        record_event(project, "cause_added", by, "fishbone_cause", cause.pk, category=category)
    return cause


def edit_cause(*, cause: FishboneCause, category: str, text: str, by: Any) -> FishboneCause:
    if category not in FishboneCategory.values:
        raise ProjectError("Choose a category for the cause.")
    text = clean_text(text, what="the cause")
    before = {"category": cause.category, "text": cause.text}
    with transaction.atomic():
        if category != cause.category:
            cause.order = (
                cause.project.fishbone_causes.filter(category=category).aggregate(m=Max("order"))["m"] or 0
            ) + 1
        cause.category, cause.text = category, text
        cause.save()
        touch(cause.project)
        record_event(
            cause.project,
            "cause_changed",
            by,
            "fishbone_cause",
            cause.pk,
            fields=log.changed_fields(before, {"category": category, "text": text}),
        )
    return cause


def delete_cause(*, cause: FishboneCause, by: Any) -> None:
    project = cause.project
    with transaction.atomic():
        record_event(project, "cause_removed", by, "fishbone_cause", cause.pk, category=cause.category)
        cause.delete()
        touch(project)


# --- process map ------------------------------------------------------------------------------------------------


def _step_fields(text: str, owner: str, pain_point: str) -> dict[str, str]:
    return {
        "text": clean_text(text, what="what happens at this step"),
        "owner": clean_text(owner, what="who does it", required=False, max_length=100),
        "pain_point": clean_text(pain_point, what="the pain point", required=False),
    }


def add_step(*, project: Project, text: str, by: Any, owner: str = "", pain_point: str = "") -> ProcessStep:
    """Add a step at the end of the process map."""
    fields = _step_fields(text, owner, pain_point)
    order = (project.process_steps.aggregate(m=Max("order"))["m"] or 0) + 1
    with transaction.atomic():
        step = ProcessStep.objects.create(project=project, order=order, **fields)
        touch(project)
        record_event(project, "step_added", by, "process_step", step.pk)
    return step


def edit_step(*, step: ProcessStep, text: str, owner: str, pain_point: str, by: Any) -> ProcessStep:
    fields = _step_fields(text, owner, pain_point)
    before = {name: getattr(step, name) for name in fields}
    with transaction.atomic():
        for name, value in fields.items():
            setattr(step, name, value)
        step.save()
        touch(step.project)
        changed = log.changed_fields(before, fields)
        record_event(step.project, "step_changed", by, "process_step", step.pk, fields=changed)
    return step


def move_step(*, step: ProcessStep, direction: str, by: Any) -> bool:
    with transaction.atomic():
        siblings = list(ProcessStep.objects.select_for_update().filter(project=step.project))
        moved = _move(step, siblings, direction)
        if moved:
            touch(step.project)
            record_event(step.project, "step_moved", by, "process_step", step.pk, direction=direction)
    return moved


def delete_step(*, step: ProcessStep, by: Any) -> None:
    project = step.project
    with transaction.atomic():
        record_event(project, "step_removed", by, "process_step", step.pk)
        step.delete()
        touch(project)
