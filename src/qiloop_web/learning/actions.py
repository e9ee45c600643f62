"""Every change to a practice's learning events, each in a transaction with one audit event.

Functions take keyword arguments only and are told who is acting (``by``). A rule a person can break
raises :class:`LearningError` (or :class:`NotAllowed`) with a message for them, and nothing changes.
Views check the page's permission first; the actions check again, and check the event is one the
person may see (restricted events: the practice manager, GPs and the reporter only).

Audit events name the event by id and list the fields that changed: never their text (free text could
hold anything), and never a coded answer beyond the event type and stage.

As a last gate behind the forms' text-safety check, an action refuses any free text that would be
blocked (an NHS number, an e-mail address, a phone number), naming the field, never the text.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from qiloop.learning import taxonomy
from qiloop.learning.responses import RESPONSES
from qiloop.learning.taxonomy import FACTORS, STAFF_TYPE_BY_ROLE
from qiloop.learning.workflow import AnswerError, Stage, TransitionError, check_answers, check_transition
from qiloop.text_safety import KINDS, blocking, check_text
from qiloop_web.accounts.models import User
from qiloop_web.audit import log
from qiloop_web.learning.models import EventStage, LearningAction, LearningEvent, LfpseStatus
from qiloop_web.organisations.models import Membership, Organisation
from qiloop_web.organisations.permissions import has_permission, may_see_learning_event, permissions_in
from qiloop_web.organisations.roles import Permission
from qiloop_web.teamwork import actions as teamwork

REPORT_FIELDS = (
    "title",
    "event_type",
    "occurred_on",
    "date_approximate",
    "location",
    "process",
    "description",
    "physical_harm",
    "psychological_harm",
    "restricted",
)
DETAIL_FIELDS = (
    *REPORT_FIELDS,
    "immediate_actions",
    "involved_agents",
    "medicines_involved",
    "clinical_outcome",
    "strength_of_association",
    "patients_affected",
    "age_bracket",
    "risk_theme",
    "risk_imminent",
    "risk_timeframe",
    "strengths_of_care",
    "how_to_repeat",
    "reporter_involvement",
    "level_of_concern",
)
SECTIONS: dict[str, tuple[str, ...]] = {
    "details": DETAIL_FIELDS,
    "triage": (
        "response_type",
        "duty_of_candour",
        "cqc_notifiable",
        "cqc_criteria",
        "lfpse_status",
        "lfpse_reference",
        "closure_reason",
    ),
    "analysis": ("prompt_answers", "what_happened", "why", "factors", "what_learned", "meeting_on"),
    "change": ("what_changed", "no_change_reason", "review_due"),
    "review": ("reviewed_on", "review_outcome", "review_measure_id"),
    "sharing": ("share_learning", "learning_summary"),
}
EDITABLE = frozenset(name for names in SECTIONS.values() for name in names)

#: The free-text fields (checked for identifiers; never written to the audit log).
TEXT_FIELDS = (
    "title",
    "description",
    "immediate_actions",
    "medicines_involved",
    "clinical_outcome",
    "strengths_of_care",
    "how_to_repeat",
    "lfpse_reference",
    "closure_reason",
    "what_happened",
    "why",
    "what_learned",
    "what_changed",
    "no_change_reason",
    "review_outcome",
    "learning_summary",
)
MAX_LENGTHS = {
    "title": 120,
    "medicines_involved": 300,
    "lfpse_reference": 40,
    "closure_reason": 200,
    "learning_summary": 500,
}

CODED: dict[str, taxonomy.ValueSet] = {
    "event_type": taxonomy.EVENT_TYPES,
    "location": taxonomy.LOCATION,
    "process": taxonomy.HEALTHCARE_PROCESS,
    "physical_harm": taxonomy.PHYSICAL_HARM,
    "psychological_harm": taxonomy.PSYCHOLOGICAL_HARM,
    "strength_of_association": taxonomy.STRENGTH_OF_ASSOCIATION,
    "age_bracket": taxonomy.AGE_BRACKETS,
    "risk_theme": taxonomy.RISK_THEMES,
    "risk_imminent": taxonomy.YES_NO_UNKNOWN,
    "risk_timeframe": taxonomy.RISK_TIMEFRAMES,
    "reporter_involvement": taxonomy.REPORTER_INVOLVEMENT,
    "level_of_concern": taxonomy.LEVEL_OF_CONCERN,
}
CODED_LISTS: dict[str, taxonomy.ValueSet] = {
    "involved_agents": taxonomy.INVOLVED_AGENTS,
    "cqc_criteria": taxonomy.CQC_CRITERIA,
}
LABELS = {
    "title": "the title",
    "description": "what happened",
    "immediate_actions": "what was done straight away",
    "medicines_involved": "the medicines involved",
    "clinical_outcome": "the clinical outcome",
    "strengths_of_care": "what went well",
    "how_to_repeat": "how it could happen again",
    "lfpse_reference": "the LFPSE reference",
    "closure_reason": "the reason for closing",
    "what_happened": "what happened",
    "why": "why it happened",
    "what_learned": "what was learned",
    "what_changed": "what has changed",
    "no_change_reason": "why nothing needs to change",
    "review_outcome": "whether the change stuck",
    "learning_summary": "the learning summary",
    "prompt_answers": "the response's questions",
}


class LearningError(Exception):
    """A rule about learning events was broken; the message is for the person (``field`` names where)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotAllowed(LearningError):
    """The person may not do this to this event."""


# --- checks -------------------------------------------------------------------------------------------------------


def _check_practice(practice: Organisation) -> None:
    if not practice.is_practice:
        raise LearningError("Learning events belong to a GP practice, not to a network.")


def _check_may_manage(by: Any, event: LearningEvent) -> None:
    granted = permissions_in(by, event.practice)
    if Permission.MANAGE_LEARNING_EVENTS not in granted or not may_see_learning_event(by, event, granted):
        raise NotAllowed(f"You cannot change learning events at {event.practice.name}.")


def _clean_text(name: str, value: Any) -> str:
    text = str(value or "").strip()
    limit = MAX_LENGTHS.get(name)
    if limit and len(text) > limit:
        raise LearningError(f"Keep {LABELS[name]} to {limit} characters or fewer (it has {len(text)}).", name)
    _refuse_identifiers(name, text)
    return text


def _refuse_identifiers(name: str, text: str) -> None:
    blocked = blocking(check_text(text, today=timezone.localdate()))
    if blocked:
        what = KINDS[blocked[0].kind][1]
        raise LearningError(
            f"Remove {what} from {LABELS.get(name, name.replace('_', ' '))}: nothing that identifies a patient may be "
            "saved.",
            name,
        )


def _clean(changes: dict[str, Any]) -> dict[str, Any]:
    """Tidy and check each given field's value (codes in their value set, text free of identifiers)."""
    cleaned: dict[str, Any] = {}
    for name, value in changes.items():
        if name in TEXT_FIELDS:
            cleaned[name] = _clean_text(name, value)
        elif name in CODED:
            code = "" if value is None else str(value)
            if code and code not in CODED[name]:
                raise LearningError(f"Choose {CODED[name].question.lower()} from the list.", name)
            cleaned[name] = code
        elif name in CODED_LISTS:
            codes = [str(v) for v in value or []]
            if any(code not in CODED_LISTS[name] for code in codes):
                raise LearningError(f"Choose {CODED_LISTS[name].question.lower()} from the list.", name)
            cleaned[name] = codes
        elif name == "factors":
            keys = [str(v) for v in value or []]
            if any(key not in FACTORS for key in keys):
                raise LearningError("Choose contributory factors from the list.", name)
            cleaned[name] = keys
        elif name == "prompt_answers":
            answers = {str(k): str(v or "").strip() for k, v in dict(value or {}).items()}
            for text in answers.values():
                _refuse_identifiers(name, text)
            cleaned[name] = {k: v for k, v in answers.items() if v}
        elif name == "response_type":
            if value and value not in RESPONSES:
                raise LearningError("Choose a learning response from the list.", name)
            cleaned[name] = value or ""
        elif name == "lfpse_status":
            if value not in LfpseStatus.values:
                raise LearningError("Choose whether the event is to be recorded on LFPSE.", name)
            cleaned[name] = value
        elif name == "review_measure_id":
            cleaned[name] = _check_measure(value)
        else:
            cleaned[name] = value
    return cleaned


def _check_measure(value: Any) -> str:
    measure_id = str(value or "").strip()
    if not measure_id:
        return ""
    from qiloop.measures import all_measures

    if measure_id not in all_measures():
        raise LearningError("Choose a measure from the library list (or none).", "review_measure_id")
    return measure_id


def _check_answers(fields: dict[str, Any]) -> None:
    problems = check_answers(fields, today=timezone.localdate())
    if problems:
        raise LearningError(problems[0].message, problems[0].field)
    if fields.get("share_learning") and not (fields.get("learning_summary") or "").strip():
        raise LearningError(
            "Write a short learning summary (500 characters at most) to share it with the network.", "learning_summary"
        )


def _record(event: LearningEvent, action: str, by: Any, **detail: Any) -> None:
    log.record(
        by=by,
        action=f"learning_event.{action}",
        target_type="learning_event",
        target_id=event.pk,
        organisation=event.practice,
        detail={"number": event.number, **detail},
    )


# --- reporting ----------------------------------------------------------------------------------------------------


def report_event(*, practice: Organisation, by: User, **answers: Any) -> LearningEvent:
    """A new event at ``reported``: any practice member but a patient representative may report one."""
    _check_practice(practice)
    if not has_permission(by, Permission.REPORT_LEARNING_EVENT, practice):
        raise NotAllowed(f"You cannot report learning events at {practice.name}.")
    unknown = set(answers) - set(DETAIL_FIELDS)
    if unknown:
        raise TypeError(f"report_event() does not take {', '.join(sorted(unknown))}")
    values = _clean(answers)
    for name, words in (("title", "a short title"), ("description", "what happened")):
        if not values.get(name):
            raise LearningError(f"Enter {words}.", name)
    for name in ("event_type", "location", "process"):
        if not values.get(name):
            raise LearningError(f"Choose {CODED[name].question.lower()}.", name)
    if not isinstance(values.get("occurred_on"), date):
        raise LearningError("Enter when it happened.", "occurred_on")
    _check_answers(values)
    membership = Membership.objects.filter(user=by, organisation=practice).first()  # the role, kept as reported
    with transaction.atomic():
        number = (LearningEvent.objects.filter(practice=practice).aggregate(m=Max("number"))["m"] or 0) + 1
        event = LearningEvent.objects.create(
            practice=practice,
            number=number,
            reporter=by,
            reporter_role=membership.role if membership else "",
            **values,
        )
        _record(event, "reported", by, event_type=event.event_type, fields=sorted(n for n, v in values.items() if v))
    return event


def reporter_staff_type(event: LearningEvent) -> str:
    """The LFPSE staff type of the person who reported it (from their role then)."""
    return STAFF_TYPE_BY_ROLE.get(event.reporter_role, "")


# --- changing ----------------------------------------------------------------------------------------------------


def update_event(*, event: LearningEvent, by: User, **changes: Any) -> LearningEvent:
    """Change any editable fields; only those given change. Nothing changed -> no event."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise TypeError(f"update_event() cannot change {', '.join(sorted(unknown))}")
    _check_may_manage(by, event)
    if event.stage == EventStage.CLOSED and set(changes) - set(SECTIONS["sharing"]):
        raise LearningError("This event is closed: only its shared learning summary can change.")
    values = _clean(changes)
    merged = {**event.fields(), **values}
    _check_answers(merged)
    changed = sorted(name for name, value in values.items() if getattr(event, name) != value)
    if not changed:
        return event
    with transaction.atomic():
        for name in changed:
            setattr(event, name, values[name])
        event.updated_at = timezone.now()
        event.save()
        _record(event, "changed", by, changed=changed)
    return event


def move_event(*, event: LearningEvent, to: str, by: User) -> LearningEvent:
    """Move the event to its next stage (or close it at triage with a reason): the library decides if it may."""
    _check_may_manage(by, event)
    before = event.stage
    try:
        check_transition(event.stage, to, event.fields())
    except TransitionError as refused:
        raise LearningError(str(refused)) from None
    with transaction.atomic():
        event.stage = Stage(to).value
        event.updated_at = timezone.now()
        if event.stage == EventStage.CLOSED:
            event.closed_at = event.updated_at
        event.save()
        _record(event, "moved", by, **{"from": before, "to": event.stage})
    return event


def add_action(
    *, event: LearningEvent, by: User, title: str, owner: User, due_on: date, notes: str = ""
) -> LearningAction:
    """A change agreed for the event, as a teamwork task (owner and due date), linked to the event."""
    _check_may_manage(by, event)
    if event.stage == EventStage.CLOSED:
        raise LearningError("This event is closed: add further changes to a new event or a QI project.")
    _refuse_identifiers("title", title)
    _refuse_identifiers("notes", notes)
    if due_on < event.occurred_on:
        raise LearningError(
            f"The due date is before the event happened: choose a date on or after {event.occurred_on:%-d %B %Y}.",
            "due_on",
        )
    with transaction.atomic():
        try:
            task = teamwork.create_task(
                practice=event.practice, title=title, owner=owner, due_on=due_on, notes=notes, by=by
            )
        except teamwork.TeamworkError as problem:
            raise LearningError(str(problem)) from None
        link = LearningAction.objects.create(event=event, task=task)
        event.updated_at = timezone.now()
        event.save(update_fields=["updated_at"])
        _record(event, "action_added", by, task=task.pk)
    return link


def set_sharing(*, event: LearningEvent, by: User, share: bool, summary: str) -> LearningEvent:
    """Share (or stop sharing) a short learning summary with the practice's network."""
    return update_event(event=event, by=by, share_learning=share, learning_summary=summary)


# Re-exported so views catch one family of errors.
__all__ = [
    "AnswerError",
    "LearningError",
    "NotAllowed",
    "add_action",
    "move_event",
    "report_event",
    "set_sharing",
    "update_event",
]


# --- thematic review ------------------------------------------------------------------------------------------


def start_project_from_theme(
    *, practice: Organisation, by: User, title: str, factors: list[str], counts: dict[str, int], period: str
) -> Any:
    """A new QI project whose fishbone holds one cause per chosen contributory factor (through the projects actions).

    ``counts`` is how many events in ``period`` named each factor; the cause says so, in numbers and words only.
    """
    from qiloop_web.projects import actions as projects
    from qiloop_web.projects import diagram_actions

    _check_practice(practice)
    if not has_permission(by, Permission.VIEW_LEARNING_EVENTS, practice) or not has_permission(
        by, Permission.EDIT_PROJECTS, practice
    ):
        raise NotAllowed(f"You cannot start a project from learning events at {practice.name}.")
    chosen = [key for key in factors if key in FACTORS]
    if not chosen:
        raise LearningError("Choose at least one contributory factor to build the project's fishbone from.", "factors")
    _refuse_identifiers("title", title)
    with transaction.atomic():
        try:
            project = projects.create_project(practice=practice, title=title, by=by)
            for key in chosen:
                n = counts.get(key, 0)
                diagram_actions.add_cause(
                    project=project,
                    category=FACTORS[key].fishbone,
                    text=f"{FACTORS[key].label}: named in {n} event{'s' if n != 1 else ''} ({period})",
                    by=by,
                )
        except projects.ProjectError as problem:
            raise LearningError(str(problem)) from None
        log.record(
            by=by,
            action="learning_theme.project_started",
            target_type="project",
            target_id=project.pk,
            organisation=practice,
            detail={"factors": chosen},
        )
    return project
