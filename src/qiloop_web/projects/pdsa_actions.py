"""Every change to a PDSA cycle: start one (on its own or as the next in a ramp), record a stage, move it on, decide.

The stages and the rules for leaving each one are the library's
(``qiloop.improvement.pdsa``): a cycle moves forward one step at a time,
plan → do → study → act → done, and only when the stage it leaves is
filled in — so there is no study without a do. These functions take keyword
arguments only, are told who is acting (``by``), run in one transaction and
write one audit event in it. A broken rule raises :class:`PdsaError` (or the
library's ``TransitionError``) with a message for the person, and changes
nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from qiloop.improvement.pdsa import (
    Decision,
    Stage,
    TransitionError,
    check_follow_on,
    check_transition,
)
from qiloop_web.audit import log
from qiloop_web.projects.models import DriverNode, PdsaCycle, Project, Status

# What each stage records (the library's REQUIRED fields are among them; the others are optional).
STAGE_FIELDS: dict[Stage, tuple[str, ...]] = {
    Stage.PLAN: ("question", "prediction", "who", "when", "where", "data_to_collect", "starts_on"),
    Stage.DO: ("what_happened", "observations"),
    Stage.STUDY: ("results",),
    Stage.ACT: ("decision", "next_step", "new_phase"),
}

__all__ = ["STAGE_FIELDS", "PdsaError", "TransitionError", "create_cycle", "decide", "update_cycle"]


class PdsaError(ValueError):
    """A rule about PDSA cycles was broken; the message says what and what to do."""


def create_cycle(
    *,
    project: Project,
    title: str,
    change_idea: DriverNode | None = None,
    previous: PdsaCycle | None = None,
    by: Any,
) -> PdsaCycle:
    """A new cycle in the plan stage, testing ``change_idea``; ``previous`` makes it the next cycle of a ramp.

    A cycle chained from another tests the same change idea unless told otherwise.
    """
    _check_open(project)
    title = (title or "").strip()
    if not title:
        raise PdsaError("Enter a title for the cycle, for example 'Text reminders two days before'.")
    if previous is not None:
        if previous.project_id != project.pk:
            raise PdsaError("The previous cycle belongs to another project; choose one of this project's cycles.")
        check_follow_on(previous.stage)
        if previous.decision == Decision.ABANDON:
            raise PdsaError(
                f"'{previous.title}' was abandoned, so its ramp ends there; start a cycle without a previous one."
            )
        change_idea = change_idea or previous.change_idea
    if change_idea is not None and (change_idea.project_id != project.pk or change_idea.kind != "change_idea"):
        raise PdsaError("Choose a change idea from this project's driver diagram.")
    with transaction.atomic():
        cycle = PdsaCycle.objects.create(
            project=project, title=title[:200], change_idea=change_idea, previous=previous, stage=Stage.PLAN
        )
        _record(cycle, by, "pdsa.created", {"previous": previous.pk if previous else None})
    return cycle


def update_cycle(*, cycle: PdsaCycle, fields: Mapping[str, Any], to: Stage | str | None = None, by: Any) -> PdsaCycle:
    """Save what the cycle's current stage records and, with ``to``, move it to the next stage.

    Only the current stage's fields can change: earlier stages are the record of what was planned and
    done. Moving on is checked by the library (``check_transition``); if it is refused nothing is saved.
    Moving from act to done is :func:`decide`.
    """
    _check_open(cycle.project)
    current = Stage(cycle.stage)
    if current == Stage.DONE:
        raise PdsaError("This cycle is finished; its record can no longer change. Start the next cycle instead.")
    allowed = STAGE_FIELDS[current]
    other = sorted(set(fields) - set(allowed))
    if other:
        raise PdsaError(f"In the {current.value} stage only its own fields can change, not: {', '.join(other)}.")
    target = _stage(to) if to else None
    if target == Stage.DONE:
        raise PdsaError("Record the decision (adopt, adapt or abandon) to finish the cycle.")
    with transaction.atomic():
        changed = _apply(cycle, fields)
        if target is not None:
            check_transition(current, target, _values(cycle))
            cycle.stage = target
            if target == Stage.DO and cycle.starts_on is None:
                cycle.starts_on = timezone.localdate()
        cycle.updated_at = timezone.now()
        cycle.save()
        detail: dict[str, Any] = {"stage": current.value, "fields": changed}
        if target is not None:
            detail |= {"from": current.value, "to": target.value}
        _record(cycle, by, "pdsa.moved_on" if target else "pdsa.saved", detail)
    return cycle


def decide(
    *,
    cycle: PdsaCycle,
    decision: Decision | str,
    next_step: str,
    new_phase: bool = False,
    start_next: bool = False,
    next_title: str = "",
    by: Any,
) -> tuple[PdsaCycle, PdsaCycle | None]:
    """Act: adopt, adapt or abandon the change, and say the next step; the cycle is then done.

    ``new_phase`` (adopt only) marks the adopted change as the start of a new phase on the project's
    charts, from the date the cycle started. ``start_next`` (adopt or adapt) starts the next cycle of the
    ramp, testing the same change idea; returns ``(cycle, next_cycle or None)``.
    """
    _check_open(cycle.project)
    if Stage(cycle.stage) != Stage.ACT:
        raise PdsaError(
            f"This cycle is in the {Stage(cycle.stage).value} stage; a decision is made in the act stage, "
            "after studying the results."
        )
    try:
        decision = Decision(decision)
    except ValueError:
        raise PdsaError("Choose adopt, adapt or abandon.") from None
    if new_phase and decision != Decision.ADOPT:
        raise PdsaError("Only an adopted change starts a new phase on the charts; untick 'new phase' or adopt it.")
    if start_next and decision == Decision.ABANDON:
        raise PdsaError(
            "An abandoned change ends its ramp; untick 'start the next cycle' and start a cycle for another idea."
        )
    if new_phase and cycle.starts_on is None:
        raise PdsaError("The cycle has no start date, so the charts cannot tell where the new phase begins.")
    with transaction.atomic():
        cycle.decision = decision.value
        cycle.next_step = (next_step or "").strip()
        cycle.new_phase = bool(new_phase)
        check_transition(Stage.ACT, Stage.DONE, _values(cycle))
        cycle.stage = Stage.DONE
        cycle.ended_on = cycle.ended_on or _today_not_before(cycle.starts_on)
        cycle.updated_at = timezone.now()
        cycle.save()
        _record(
            cycle,
            by,
            "pdsa.decided",
            {"decision": decision.value, "new_phase": cycle.new_phase, "start_next": bool(start_next)},
        )
        following = None
        if start_next:
            title = next_title.strip() or f"{cycle.title} (next cycle)"
            following = create_cycle(project=cycle.project, title=title, previous=cycle, by=by)
    return cycle, following


def _stage(value: Stage | str) -> Stage:
    try:
        return Stage(value)
    except ValueError:
        names = ", ".join(stage.value for stage in Stage)
        raise PdsaError(f"{value!r} is not a PDSA stage; a cycle moves to one of: {names}.") from None


def _check_open(project: Project) -> None:
    if project.status == Status.CLOSED:
        raise PdsaError("This project is closed, so its cycles no longer change; reopen it to test more changes.")


def _today_not_before(start: dt.date | None) -> dt.date:
    today = timezone.localdate()
    return max(today, start) if start else today


def _apply(cycle: PdsaCycle, fields: Mapping[str, Any]) -> list[str]:
    changed = []
    for name, value in fields.items():
        value = value.strip() if isinstance(value, str) else value
        if getattr(cycle, name) != value:
            setattr(cycle, name, value)
            changed.append(name)
    return sorted(changed)


def _values(cycle: PdsaCycle) -> dict[str, Any]:
    """Every stage's fields as the library's transition check reads them."""
    return {name: getattr(cycle, name) for names in STAGE_FIELDS.values() for name in names}


def _record(cycle: PdsaCycle, by: Any, action: str, detail: dict[str, Any]) -> None:
    Project.objects.filter(pk=cycle.project_id).update(updated_at=timezone.now())
    # Field names only, never their text: the team writes free text, which must not reach the audit log.
    log.record(
        by=by,
        action=action,
        target_type="pdsa_cycle",
        target_id=cycle.pk,
        organisation=cycle.project.practice,
        detail={"project": cycle.project_id, **detail},
    )
