"""Clinical audit pages: the practice's list, a new audit, the audit page, its forms, the results and the report.

Every page needs VIEW_CLINICAL_AUDITS in the practice (every practice role; never a network role, which sees a
practice only as suppressed network aggregates); every write needs MANAGE_CLINICAL_AUDITS (the clinicians and the
practice manager) and goes through ``audits.actions``. The pages show counts only; the patients who do not meet a
criterion are on the measure's action list (dashboard), which only the practice's clinical members can open.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from qiloop.audit.reading import CriterionReading, percent, read_criterion
from qiloop.audit.stages import STAGE_LABELS, Stage, TransitionError, add_months, check_transition, completed_cycles
from qiloop.audit.templates import TEMPLATES
from qiloop.charts.audit_chart import audit_rounds_spec
from qiloop_web.audits import actions, forms
from qiloop_web.audits.actions import AuditError, as_library
from qiloop_web.audits.models import AuditCriterion, AuditStage, ClinicalAudit
from qiloop_web.organisations.models import Kind, Organisation
from qiloop_web.organisations.permissions import has_permission, organisation_permission_required
from qiloop_web.organisations.roles import Permission

VIEW = organisation_permission_required(Permission.VIEW_CLINICAL_AUDITS)
MANAGE = organisation_permission_required(Permission.MANAGE_CLINICAL_AUDITS)
GET_POST = require_http_methods(["GET", "POST"])
CYCLES_A_YEAR = 2  # the CQC asks for two completed audit cycles in 12 months


def _practice_only(organisation: Organisation) -> None:
    if organisation.kind != Kind.PRACTICE:
        raise Http404("Clinical audits belong to practices.")


def _audit(organisation: Organisation, audit_id: int) -> ClinicalAudit:
    _practice_only(organisation)
    return get_object_or_404(ClinicalAudit.objects.select_related("practice"), pk=audit_id, practice=organisation)


def _context(request: HttpRequest, organisation: Organisation, audit: ClinicalAudit | None = None, **more: Any) -> dict:
    can_manage = has_permission(request.user, Permission.MANAGE_CLINICAL_AUDITS, organisation)
    return {"organisation": organisation, "audit": audit, "can_manage": can_manage, **more}


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


def _attempt(form: Any, write: Callable[[], Any]) -> bool:
    try:
        write()
    except AuditError as problem:
        form.add_error(None, str(problem))
        return False
    return True


def _to_audit(audit: ClinicalAudit, page: str = "audits:detail") -> HttpResponse:
    return redirect(reverse(page, args=[audit.practice.code, audit.pk]))


# --- list and new -----------------------------------------------------------------------------------------------


@VIEW
def audit_list(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    _practice_only(organisation)
    audits = list(ClinicalAudit.objects.filter(practice=organisation).prefetch_related("collections", "changes"))
    today = timezone.localdate()
    done = completed_cycles([as_library(a) for a in audits], today=today)
    groups = [(label, [a for a in audits if a.stage == value]) for value, label in AuditStage.choices]
    return render(request, "audits/list.html", _context(request, organisation, groups=groups, audits=audits,
                  completed=done, wanted=CYCLES_A_YEAR))  # fmt: skip


@GET_POST
@MANAGE
def new_audit(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    _practice_only(organisation)
    form = forms.NewAuditForm(_data(request))
    if request.method == "POST" and form.is_valid():
        made: list[ClinicalAudit] = []
        d = form.cleaned_data
        if _attempt(form, lambda: made.append(actions.create_audit(
            practice=organisation, title=d["title"], reason=d["reason"], template_key=d["template"], by=request.user,
        ))):  # fmt: skip
            messages.success(request, f"Audit '{made[0].title}' created.")
            return _to_audit(made[0])
    hints = [(t.key, f"{len(t.criteria)} criterion{'s' if len(t.criteria) > 1 else ''}: {t.criteria[0].statement}")
             for t in TEMPLATES.values()]  # fmt: skip
    return render(request, "audits/new.html", _context(request, organisation, form=form, template_hints=hints))


# --- the audit page -----------------------------------------------------------------------------------------------


def _next_step(audit: ClinicalAudit) -> dict[str, Any] | None:
    """The next stage, and what is missing before it (the library's message), for the audit page."""
    stage = Stage(audit.stage)
    target = Stage.CHANGE if stage is Stage.COMPLETE else None
    if target is None:
        from qiloop.audit.stages import ORDER

        target = ORDER[ORDER.index(stage) + 1]
    try:
        warnings = check_transition(as_library(audit), target)
        missing = ""
    except TransitionError as problem:
        warnings, missing = [], str(problem)
    label = "Start another cycle" if stage is Stage.COMPLETE else f"Move on to {STAGE_LABELS[target].lower()}"
    return {"target": target.value, "label": label, "missing": missing, "warnings": warnings}


@VIEW
def audit_detail(request: HttpRequest, organisation: Organisation, audit_id: int) -> HttpResponse:
    audit = _audit(organisation, audit_id)
    context = _context(
        request, organisation, audit,
        criteria=list(audit.criteria.all()),
        collections=list(audit.collections.prefetch_related("counts__criterion")),
        changes=list(audit.changes.select_related("task")),
        next_step=_next_step(audit),
        stages=[(value, label, value == audit.stage) for value, label in AuditStage.choices],
    )  # fmt: skip
    return render(request, "audits/detail.html", context)


@require_POST
@MANAGE
def change_stage(request: HttpRequest, organisation: Organisation, audit_id: int) -> HttpResponse:
    audit = _audit(organisation, audit_id)
    try:
        warnings = actions.move_to(audit=audit, stage=request.POST.get("to", ""), by=request.user)
    except AuditError as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, f"The audit is at {AuditStage(audit.stage).label.lower()}.")
        for warning in warnings:
            messages.warning(request, warning)
    return _to_audit(audit)


def _form_page(request: HttpRequest, organisation: Organisation, audit: ClinicalAudit, form: Any, *, heading: str,
               button: str, write: Callable[[], Any], done: str, lead: str = "") -> HttpResponse:  # fmt: skip
    if request.method == "POST" and form.is_valid() and _attempt(form, write):
        messages.success(request, done)
        return _to_audit(audit)
    return render(request, "audits/form.html", _context(request, organisation, audit, form=form, heading=heading,
                  button=button, lead=lead))  # fmt: skip


@GET_POST
@MANAGE
def edit_plan(request: HttpRequest, organisation: Organisation, audit_id: int) -> HttpResponse:
    audit = _audit(organisation, audit_id)
    initial = {"title": audit.title, "reason": audit.reason, "reason_detail": audit.reason_detail,
               "preparation": audit.preparation}  # fmt: skip
    form = forms.PlanForm(_data(request), initial=initial)

    def write() -> None:
        actions.update_plan(audit=audit, by=request.user, **form.cleaned_data)

    return _form_page(request, organisation, audit, form, heading="Reason and preparation", button="Save",
                      write=write, done="Saved.")  # fmt: skip


@GET_POST
@MANAGE
def add_criterion(request: HttpRequest, organisation: Organisation, audit_id: int) -> HttpResponse:
    audit = _audit(organisation, audit_id)
    form = forms.CriterionForm(_data(request))

    def write() -> None:
        actions.add_criterion(audit=audit, by=request.user, **form.cleaned_data)

    return _form_page(request, organisation, audit, form, heading="Add a criterion", button="Add the criterion",
                      write=write, done="Criterion added.",
                      lead="A criterion says what good care is; its standard says how many patients should get it.")  # fmt: skip


@GET_POST
@MANAGE
def remove_criterion(
    request: HttpRequest, organisation: Organisation, audit_id: int, criterion_id: int
) -> HttpResponse:
    audit = _audit(organisation, audit_id)
    criterion = get_object_or_404(AuditCriterion, pk=criterion_id, audit=audit)
    error = ""
    if request.method == "POST":
        try:
            actions.remove_criterion(criterion=criterion, by=request.user)
        except AuditError as problem:
            error = str(problem)
        else:
            messages.success(request, f"Criterion {criterion.number} removed.")
            return _to_audit(audit)
    return render(request, "audits/confirm.html", _context(request, organisation, audit, criterion=criterion,
                  error=error))  # fmt: skip


@GET_POST
@MANAGE
def new_collection(request: HttpRequest, organisation: Organisation, audit_id: int) -> HttpResponse:
    audit = _audit(organisation, audit_id)
    criteria = list(audit.criteria.all())
    form = forms.CollectionForm(_data(request), criteria=criteria)
    warnings: list[str] = []

    def write() -> None:
        _collection, found = actions.record_collection(audit=audit, reference_date=form.cleaned_data["reference_date"],
                                                       manual_counts=form.manual_counts(), by=request.user)  # fmt: skip
        warnings.extend(found)

    if request.method == "POST" and form.is_valid() and _attempt(form, write):
        messages.success(request, "Collection recorded.")
        for warning in warnings:
            messages.warning(request, warning)
        return _to_audit(audit)
    computed = [c for c in criteria if c.measure_id]
    return render(request, "audits/collection.html", _context(request, organisation, audit, form=form,
                  computed=computed))  # fmt: skip


@GET_POST
@MANAGE
def new_change(request: HttpRequest, organisation: Organisation, audit_id: int) -> HttpResponse:
    audit = _audit(organisation, audit_id)
    form = forms.ChangeForm(_data(request), practice=organisation)

    def write() -> None:
        d = form.cleaned_data
        actions.record_change(audit=audit, description=d["description"], implemented_on=d["implemented_on"],
                              task_owner=d.get("task_owner"), by=request.user)  # fmt: skip

    return _form_page(request, organisation, audit, form, heading="Record a change", button="Record the change",
                      write=write, done="Change recorded.",
                      lead="What the team changed after the collection, and the date it started.")  # fmt: skip


@GET_POST
@MANAGE
def plan_reaudit(request: HttpRequest, organisation: Organisation, audit_id: int) -> HttpResponse:
    audit = _audit(organisation, audit_id)
    form = forms.ReauditForm(_data(request), initial={"on": audit.reaudit_planned_on})
    warnings: list[str] = []

    def write() -> None:
        warnings.extend(actions.plan_reaudit(audit=audit, on=form.cleaned_data["on"], by=request.user))

    if request.method == "POST" and form.is_valid() and _attempt(form, write):
        messages.success(request, "Re-audit date planned.")
        for warning in warnings:
            messages.warning(request, warning)
        return _to_audit(audit)
    return render(request, "audits/form.html", _context(request, organisation, audit, form=form,
                  heading="Plan the re-audit", button="Save the date"))  # fmt: skip


@GET_POST
@MANAGE
def conclusion(request: HttpRequest, organisation: Organisation, audit_id: int) -> HttpResponse:
    audit = _audit(organisation, audit_id)
    form = forms.ConclusionForm(_data(request), initial={"conclusion": audit.conclusion,
                                                          "next_steps": audit.next_steps})  # fmt: skip

    def write() -> None:
        actions.write_conclusion(audit=audit, by=request.user, **form.cleaned_data)

    return _form_page(request, organisation, audit, form, heading="Conclusion", button="Save the conclusion",
                      write=write, done="Conclusion saved.")  # fmt: skip


# --- results and report -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionChart:
    element_id: str
    spec_json: str
    text: str


def _spec_json(spec: dict[str, Any]) -> str:
    return json.dumps(spec).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _series(audit: ClinicalAudit, criterion: AuditCriterion, rounds: list[Any]) -> Any:
    """The practice's monthly met/eligible for a library criterion from the workbench's results, from a year before
    round 1 to the latest round (None when the results do not hold the measure)."""
    if not criterion.measure_id or len(rounds) < 2:
        return None
    from qiloop_web.dashboard import pages

    loaded = pages.results()
    if loaded is None:
        return None
    table = loaded.results
    rows = table[(table["measure"] == criterion.measure_id) & (table["practice_id"].astype(str) == audit.practice.code)]
    start, end = add_months(rounds[0].reference_date, -12), rounds[-1].reference_date
    ends = rows["interval_end"].astype(str).str[:10]
    rows = rows[(ends >= start.isoformat()) & (ends <= end.isoformat())].sort_values("interval_end")
    if rows.empty:
        return None
    x = [str(v)[:10] for v in rows["interval_end"]]
    return x, [float(v) for v in rows["numerator"].fillna(0)], [float(v) for v in rows["denominator"].fillna(0)]


def readings(audit: ClinicalAudit) -> list[tuple[AuditCriterion, CriterionReading, CriterionChart | None]]:
    snapshot = as_library(audit)
    out = []
    by_number = {c.number: c for c in snapshot.criteria}
    for criterion in audit.criteria.all():
        plain = read_criterion(snapshot, by_number[criterion.number])
        series = _series(audit, criterion, list(plain.rounds))
        reading = read_criterion(snapshot, by_number[criterion.number], series=series) if series else plain
        chart = None
        if reading.rounds:
            spec = audit_rounds_spec(reading.rounds, standard_percent=criterion.standard_percent,
                                     description=f"Criterion {criterion.number}: each round against the standard")  # fmt: skip
            chart = CriterionChart(f"chart-criterion-{criterion.number}", _spec_json(spec), reading.sentence)
        out.append((criterion, reading, chart))
    return out


@VIEW
def results(request: HttpRequest, organisation: Organisation, audit_id: int) -> HttpResponse:
    audit = _audit(organisation, audit_id)
    can_list = has_permission(request.user, Permission.VIEW_PATIENT_LEVEL, organisation)
    return render(request, "audits/results.html", _context(request, organisation, audit, readings=readings(audit),
                  can_list=can_list, percent=percent))  # fmt: skip


@VIEW
def report(request: HttpRequest, organisation: Organisation, audit_id: int) -> HttpResponse:
    """The printable report under the RCGP headings, for appraisal and the CQC."""
    audit = _audit(organisation, audit_id)
    collections = list(audit.collections.prefetch_related("counts__criterion"))
    context = _context(request, organisation, audit, readings=readings(audit), collections=collections,
                       criteria=list(audit.criteria.all()), changes=list(audit.changes.all()),
                       first=collections[0] if collections else None, later=collections[1:],
                       printed=timezone.localdate())  # fmt: skip
    return render(request, "audits/report.html", context)
