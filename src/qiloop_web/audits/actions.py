"""Every change to a clinical audit: create, criteria, collections, changes, the re-audit date, the conclusion and the
stage.

Each function takes keyword arguments only, is told who is acting (``by``), runs in one transaction and writes one
audit-log event in it whose detail names fields and ids, never the team's text. Rules a person can break raise
``AuditError`` with a message that says what is wrong and what to do; nothing is changed when one is raised. The
rules themselves are the library's (:mod:`qiloop.audit`); views check MANAGE_CLINICAL_AUDITS before calling.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from qiloop.audit import model as lib
from qiloop.audit.collect import collect, criterion_measure
from qiloop.audit.model import AuditInputError
from qiloop.audit.stages import Stage, TransitionError, check_collection_date, check_reaudit_date, check_transition
from qiloop.audit.templates import TEMPLATES
from qiloop.errors import QiloopError
from qiloop_web.audit import log
from qiloop_web.audits.models import (
    AuditChange,
    AuditCriterion,
    AuditReason,
    AuditStage,
    ClinicalAudit,
    Collection,
    CollectionCount,
    CollectionKindChoice,
    StandardKindChoice,
)
from qiloop_web.organisations.models import Kind, Organisation


class AuditError(Exception):
    """A rule about a clinical audit was broken; the message is for the person."""


def _text(value: str | None, *, what: str, required: bool = True, max_length: int = 400) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise AuditError(f"Enter {what}.")
    if len(cleaned) > max_length:
        raise AuditError(f"{what[0].upper()}{what[1:]} must be {max_length} characters or fewer.")
    return cleaned


def record_event(
    audit: ClinicalAudit, action: str, by: Any, target_type: str, target_id: object, **detail: Any
) -> None:
    log.record(
        by=by,
        action=f"clinical_audit.{action}",
        target_type=target_type,
        target_id=target_id,
        organisation=audit.practice,
        detail={"audit": audit.pk, **detail},
    )


def _touch(audit: ClinicalAudit, *fields: str) -> None:
    audit.updated_at = timezone.now()
    audit.save(update_fields=[*fields, "updated_at"])


def _stage_is(audit: ClinicalAudit, *stages: str, doing: str) -> None:
    if audit.stage not in stages:
        where = " or ".join(AuditStage(s).label.lower() for s in stages)
        raise AuditError(f"You can {doing} only at {where}; this audit is at {AuditStage(audit.stage).label.lower()}.")


# --- the library's view of an audit ---------------------------------------------------------------------------


def as_library(audit: ClinicalAudit) -> lib.Audit:
    """The plain facts of ``audit`` for :mod:`qiloop.audit` (stage machine and reading)."""
    criteria = [
        lib.Criterion(c.number, c.statement, c.reference, c.standard_percent, lib.StandardKind(c.standard_kind),
                      c.measure_id or None)
        for c in audit.criteria.all()
    ]  # fmt: skip
    collections = []
    for collection in audit.collections.prefetch_related("counts__criterion"):
        counts = {n.criterion.number: lib.Count(n.met, n.eligible, n.excluded) for n in collection.counts.all()}
        collections.append(lib.Collection(collection.round, collection.reference_date, counts))
    changes = [lib.Change(c.description, c.implemented_on) for c in audit.changes.all()]
    return lib.Audit(
        title=audit.title,
        reason=lib.Reason(audit.reason),
        criteria=tuple(criteria),
        collections=tuple(collections),
        changes=tuple(changes),
        reaudit_planned_on=audit.reaudit_planned_on,
        conclusion=audit.conclusion,
        stage=audit.stage,
    )


# --- audits -----------------------------------------------------------------------------------------------------


def create_audit(
    *, practice: Organisation, by: Any, title: str = "", reason: str = "", reason_detail: str = "",
    template_key: str = "",
) -> ClinicalAudit:  # fmt: skip
    """A new audit in ``practice``: blank, or from a template (title, reason and criteria filled in to edit)."""
    if practice.kind != Kind.PRACTICE:
        raise AuditError("Clinical audits belong to a GP practice; choose a practice.")
    template = None
    if template_key:
        template = TEMPLATES.get(template_key)
        if template is None:
            raise AuditError(f"There is no audit template called {template_key!r}; choose one from the list.")
    title = _text(title or (template.title if template else ""), what="a title for the audit", max_length=200)
    reason = reason or (template.reason.value if template else "")
    if reason not in AuditReason.values:
        raise AuditError("Choose why the audit was chosen (a guideline, a complaint, a learning event…).")
    detail = _text(reason_detail or (template.reason_detail if template else ""), what="the reason in detail",
                   required=False, max_length=2000)  # fmt: skip
    with transaction.atomic():
        audit = ClinicalAudit.objects.create(
            practice=practice, title=title, reason=reason, reason_detail=detail, template_key=template_key,
            created_by=by if getattr(by, "is_authenticated", False) else None,
        )  # fmt: skip
        if template is not None:
            for c in template.criteria:
                AuditCriterion.objects.create(
                    audit=audit, number=c.number, statement=c.statement, reference=c.reference,
                    standard_percent=c.standard_percent or 0, standard_kind=c.standard_kind.value,
                    measure_id=c.measure_id or "",
                )  # fmt: skip
        record_event(audit, "created", by, "clinical_audit", audit.pk, template=template_key, reason=reason)
    return audit


def update_plan(*, audit: ClinicalAudit, title: str, reason: str, reason_detail: str, preparation: str,
                by: Any) -> ClinicalAudit:  # fmt: skip
    """The title, the reason and the preparation (who, the sample, the time frame)."""
    title = _text(title, what="a title for the audit", max_length=200)
    if reason not in AuditReason.values:
        raise AuditError("Choose why the audit was chosen (a guideline, a complaint, a learning event…).")
    detail = _text(reason_detail, what="the reason in detail", required=False, max_length=2000)
    preparation = _text(preparation, what="the preparation", required=False, max_length=2000)
    before = {"title": audit.title, "reason": audit.reason, "reason_detail": audit.reason_detail,
              "preparation": audit.preparation}  # fmt: skip
    after = {"title": title, "reason": reason, "reason_detail": detail, "preparation": preparation}
    with transaction.atomic():
        audit.title, audit.reason, audit.reason_detail, audit.preparation = title, reason, detail, preparation
        _touch(audit, "title", "reason", "reason_detail", "preparation")
        record_event(audit, "plan_changed", by, "clinical_audit", audit.pk, fields=log.changed_fields(before, after))
    return audit


# --- criteria -----------------------------------------------------------------------------------------------------


def add_criterion(
    *, audit: ClinicalAudit, statement: str, reference: str, standard_percent: float | None,
    standard_kind: str = "minimum", measure_id: str = "", by: Any,
) -> AuditCriterion:  # fmt: skip
    """A criterion (statement, evidence reference, standard, source). Only while planning."""
    _stage_is(audit, AuditStage.PLANNING, doing="add criteria")
    statement = _text(statement, what="the criterion (what good care is)")
    reference = _text(reference, what="the evidence reference (guideline and section)")
    try:
        standard = lib.check_standard(standard_percent)
    except AuditInputError as problem:
        raise AuditError(_sentence(problem)) from None
    if standard_kind not in StandardKindChoice.values:
        raise AuditError("Choose whether the standard is a minimum, an optimum or an ideal.")
    measure_id = (measure_id or "").strip()
    if measure_id:
        try:
            criterion_measure(measure_id)
        except QiloopError as problem:
            raise AuditError(_sentence(problem)) from None
    with transaction.atomic():
        number = (audit.criteria.aggregate(n=Max("number"))["n"] or 0) + 1
        criterion = AuditCriterion.objects.create(
            audit=audit, number=number, statement=statement, reference=reference, standard_percent=standard,
            standard_kind=standard_kind, measure_id=measure_id,
        )  # fmt: skip
        _touch(audit)
        record_event(audit, "criterion_added", by, "audit_criterion", criterion.pk, number=number, measure=measure_id)
    return criterion


def remove_criterion(*, criterion: AuditCriterion, by: Any) -> None:
    audit = criterion.audit
    _stage_is(audit, AuditStage.PLANNING, doing="remove criteria")
    with transaction.atomic():
        record_event(audit, "criterion_removed", by, "audit_criterion", criterion.pk, number=criterion.number)
        criterion.delete()
        for number, later in enumerate(audit.criteria.order_by("number"), 1):
            if later.number != number:
                later.number = number
                later.save(update_fields=["number"])
        _touch(audit)


def _sentence(problem: QiloopError) -> str:
    text = problem.message[0].upper() + problem.message[1:]
    text = text if text.endswith(".") else text + "."
    if problem.hint:
        text += f" {problem.hint[0].upper()}{problem.hint[1:]}."
    return text


# --- collections --------------------------------------------------------------------------------------------------


def record_collection(
    *, audit: ClinicalAudit, reference_date: dt.date, by: Any,
    manual_counts: dict[int, tuple[int, int, int]] | None = None, store: Any = None,
) -> tuple[Collection, list[str]]:  # fmt: skip
    """Round 1 (at first collection) or the next round (at re-audit): every criterion counted at ``reference_date``.

    Criteria from a library measure are computed from the records (``store``, by default the workbench's) for the
    practice at that date; the others take ``manual_counts`` by criterion id: (met, eligible, excluded). Returns the
    collection and any warnings (a re-audit under three months after the change).
    """
    _stage_is(audit, AuditStage.FIRST_COLLECTION, AuditStage.RE_AUDIT, doing="record a collection")
    snapshot = as_library(audit)
    latest = snapshot.latest_collection()
    if audit.stage == AuditStage.FIRST_COLLECTION and latest is not None:
        raise AuditError("The first collection is recorded; move on to the change.")
    change = snapshot.latest_change()
    if audit.stage == AuditStage.RE_AUDIT and latest is not None and change is not None and change.implemented_on \
            and latest.reference_date > change.implemented_on:  # fmt: skip
        raise AuditError(f"The re-audit is recorded (collection {latest.round}); write the conclusion and complete.")
    if reference_date > timezone.localdate():
        raise AuditError("The collection date is in the future; choose today or an earlier date.")
    try:
        warnings = check_collection_date(snapshot, reference_date)
    except TransitionError as problem:
        raise AuditError(str(problem)) from None
    criteria = list(audit.criteria.all())
    manual_counts = manual_counts or {}
    counted: list[dict[str, Any]] = []
    store = store if store is not None else str(settings.QILOOP_STORE)
    for criterion in criteria:
        if criterion.measure_id:
            try:
                result = collect(store, criterion.measure_id, audit.practice.code, reference_date)
            except QiloopError as problem:
                raise AuditError(f"Criterion {criterion.number}: {_sentence(problem)}") from None
            counted.append({"criterion": criterion, "kind": CollectionKindChoice.COMPUTED, "met": result.met,
                            "eligible": result.eligible, "excluded": result.excluded,
                            "measure_id": result.measure_id, "measure_version": result.measure_version,
                            "codelist_versions": dict(result.codelist_versions),
                            "fingerprint": result.store_fingerprint, "version": result.qiloop_version})  # fmt: skip
        else:
            if criterion.pk not in manual_counts:
                raise AuditError(f"Criterion {criterion.number}: enter how many patients met it and how many were "
                                 "eligible.")  # fmt: skip
            met, eligible, excluded = manual_counts[criterion.pk]
            try:
                lib.check_count(met, eligible, excluded, criterion=criterion.number)
            except AuditInputError as problem:
                raise AuditError(_sentence(problem)) from None
            counted.append({"criterion": criterion, "kind": CollectionKindChoice.MANUAL, "met": met,
                            "eligible": eligible, "excluded": excluded})  # fmt: skip
    if not criteria:
        raise AuditError("The audit has no criteria to collect.")
    computed = [c for c in counted if c["kind"] == CollectionKindChoice.COMPUTED]
    from qiloop import __version__

    with transaction.atomic():
        collection = Collection.objects.create(
            audit=audit, round=(latest.round + 1) if latest else 1, reference_date=reference_date,
            store_fingerprint=computed[0]["fingerprint"] if computed else "", qiloop_version=__version__,
            recorded_by=by if getattr(by, "is_authenticated", False) else None,
        )  # fmt: skip
        for c in counted:
            CollectionCount.objects.create(
                collection=collection, criterion=c["criterion"], kind=c["kind"], met=c["met"],
                eligible=c["eligible"], excluded=c["excluded"], measure_id=c.get("measure_id", ""),
                measure_version=c.get("measure_version", ""), codelist_versions=c.get("codelist_versions", {}),
            )  # fmt: skip
        _touch(audit)
        record_event(audit, "collection_recorded", by, "audit_collection", collection.pk, round=collection.round,
               computed=len(computed), manual=len(counted) - len(computed))  # fmt: skip
    return collection, warnings


# --- changes, re-audit date, conclusion -----------------------------------------------------------------------------


def record_change(
    *, audit: ClinicalAudit, description: str, implemented_on: dt.date | None, by: Any,
    task_owner: Any = None, task_due_on: dt.date | None = None,
) -> AuditChange:  # fmt: skip
    """A change made after the latest collection, from ``implemented_on``; with ``task_owner``, a teamwork task to
    follow it up (titled with the audit's title, never the change's text)."""
    _stage_is(audit, AuditStage.CHANGE, doing="record a change")
    description = _text(description, what="what was changed", max_length=2000)
    if implemented_on is None:
        raise AuditError("Enter the date the change started.")
    latest = audit.collections.order_by("-round").first()
    if latest is not None and implemented_on < latest.reference_date:
        raise AuditError(
            f"The change must start on or after collection {latest.round} ({latest.reference_date:%-d %B %Y}): "
            "a change before it is part of what that collection measured."
        )
    with transaction.atomic():
        task = None
        if task_owner is not None:
            from qiloop_web.teamwork.actions import TeamworkError, create_task

            try:
                task = create_task(practice=audit.practice, title=f"Audit change: {audit.title}"[:200],
                                   owner=task_owner, due_on=task_due_on or implemented_on, by=by)  # fmt: skip
            except TeamworkError as problem:
                raise AuditError(str(problem)) from None
        change = AuditChange.objects.create(
            audit=audit, after_round=latest.round if latest else 0, description=description,
            implemented_on=implemented_on, task=task,
        )  # fmt: skip
        _touch(audit)
        record_event(audit, "change_recorded", by, "audit_change", change.pk, after_round=change.after_round,
               task=task.pk if task else None)  # fmt: skip
    return change


def plan_reaudit(*, audit: ClinicalAudit, on: dt.date | None, by: Any) -> list[str]:
    """The planned re-audit date: after the latest change (refused before), warned under three months after it."""
    _stage_is(audit, AuditStage.CHANGE, doing="plan the re-audit")
    if on is None:
        raise AuditError("Enter the re-audit date.")
    change = audit.changes.order_by("-implemented_on").first()
    if change is None:
        raise AuditError("Record the change first: the re-audit date is planned from the date it started.")
    try:
        warnings = check_reaudit_date(change.implemented_on, on)
    except TransitionError as problem:
        raise AuditError(str(problem)) from None
    with transaction.atomic():
        audit.reaudit_planned_on = on
        _touch(audit, "reaudit_planned_on")
        record_event(audit, "reaudit_planned", by, "clinical_audit", audit.pk, fields=["reaudit_planned_on"])
    return warnings


def write_conclusion(*, audit: ClinicalAudit, conclusion: str, next_steps: str, by: Any) -> ClinicalAudit:
    _stage_is(audit, AuditStage.RE_AUDIT, AuditStage.COMPLETE, doing="write the conclusion")
    conclusion = _text(conclusion, what="the conclusion (what you learned)", max_length=4000)
    next_steps = _text(next_steps, what="the next steps", required=False, max_length=4000)
    before = {"conclusion": audit.conclusion, "next_steps": audit.next_steps}
    with transaction.atomic():
        audit.conclusion, audit.next_steps = conclusion, next_steps
        _touch(audit, "conclusion", "next_steps")
        record_event(audit, "conclusion_written", by, "clinical_audit", audit.pk,
               fields=log.changed_fields(before, {"conclusion": conclusion, "next_steps": next_steps}))  # fmt: skip
    return audit


def move_to(*, audit: ClinicalAudit, stage: str, by: Any) -> list[str]:
    """Move the audit on (the library's stage machine says what is missing); returns warnings to show."""
    try:
        target = Stage(stage)
    except ValueError:
        raise AuditError(f"{stage!r} is not an audit stage.") from None
    try:
        warnings = check_transition(as_library(audit), target)
    except TransitionError as problem:
        raise AuditError(str(problem)) from None
    old = audit.stage
    with transaction.atomic():
        audit.stage = target.value
        fields = ["stage"]
        if target is Stage.COMPLETE:
            audit.completed_at = timezone.now()
            fields.append("completed_at")
        if target is Stage.CHANGE and old == AuditStage.COMPLETE:
            audit.reaudit_planned_on = None  # another cycle plans its own re-audit
            fields.append("reaudit_planned_on")
        _touch(audit, *fields)
        record_event(audit, "stage_changed", by, "clinical_audit", audit.pk, **{"from": old, "to": target.value})
    return warnings
