"""A learning event's stages, what each needs before it can be left, and the rules its answers must keep.

An event moves ``reported → triaged → analysed → actions_agreed → monitoring → closed``, one stage at a
time; at triage it may instead be closed with a reason ("logged for thematic review", "duplicate"). Before
it leaves a stage, what :func:`missing` lists for that stage must be there; otherwise
:func:`check_transition` raises a :class:`TransitionError` with one message that names what is missing and
why it matters. The messages aim at where peer review found real SEA reports weakest (Bowie et al. 2005:
of unsatisfactory reports, 89% fell short on implementing change and 45% on understanding why).

:func:`check_answers` holds the rules on the answers themselves (dates, harm grades); :func:`event_date`
turns a day, month and year (the day may be left out of an approximate date) into a date.

``fields`` is the event's record as a mapping (field name → value): the workbench passes its model's
values; ``factors``, ``involved_agents`` and ``cqc_criteria`` are lists, ``prompt_answers`` a mapping,
``actions`` the number of agreed actions that have an owner and a due date.

>>> check_transition("actions_agreed", "monitoring", {"what_changed": "", "no_change_reason": "", "review_due": None})
Traceback (most recent call last):
...
qiloop.learning.workflow.TransitionError: You can't start monitoring this event yet: say what has changed, who is doing it and by when (at least one action with an owner and a due date), or why nothing needs to change, and set a review date. Implementing change is where most significant event analyses fall short.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from qiloop.learning.responses import RESPONSES
from qiloop.learning.taxonomy import (
    EVENT_TYPES,
    FACTORS,
    PHYSICAL_HARM,
    PSYCHOLOGICAL_HARM,
    is_moderate_or_worse,
)
from qiloop.months import add_months


class Stage(StrEnum):
    """Where an event is. Each stage is the work done in it; what that work must produce is :func:`missing`."""

    REPORTED = "reported"  # reported: the report is completed (the LFPSE answers)
    TRIAGED = "triaged"  # triaged: the learning response and the harm decisions
    ANALYSED = "analysed"  # in analysis: why it happened, the factors, what was learned
    ACTIONS_AGREED = "actions_agreed"  # agreeing changes, each an action with an owner and a due date (or why none)
    MONITORING = "monitoring"  # waiting for the review: did the change stick?
    CLOSED = "closed"


ORDER: tuple[Stage, ...] = tuple(Stage)

STAGE_LABELS: dict[Stage, str] = {
    Stage.REPORTED: "Reported",
    Stage.TRIAGED: "Triage",
    Stage.ANALYSED: "Analysis",
    Stage.ACTIONS_AGREED: "Agreeing changes",
    Stage.MONITORING: "Monitoring",
    Stage.CLOSED: "Closed",
}

# "You can't <verb> yet", by the stage being entered.
_ENTERING: dict[Stage, str] = {
    Stage.TRIAGED: "triage this event",
    Stage.ANALYSED: "start the analysis",
    Stage.ACTIONS_AGREED: "agree actions",
    Stage.MONITORING: "start monitoring this event",
    Stage.CLOSED: "close this event",
}

# Why each stage's needs matter (the end of each refusal message).
_WHY: dict[Stage, str] = {
    Stage.REPORTED: "Triage needs the basic facts to judge how the team should respond.",
    Stage.TRIAGED: "",
    Stage.ANALYSED: "Understanding why it happened is where almost half of significant event analyses fall short.",
    Stage.ACTIONS_AGREED: "Implementing change is where most significant event analyses fall short.",
    Stage.MONITORING: "A change nobody checks on is easily lost.",
}

#: Weeks after which an event still at "reported" is shown as "analysis overdue".
ANALYSIS_OVERDUE_WEEKS = 6
#: A SWARM huddle is held the same day; chosen later than this after the event it is an after action review.
SWARM_HOURS = 24
#: The review date suggested when actions are agreed.
DEFAULT_REVIEW_MONTHS = 3


class TransitionError(ValueError):
    """A stage change that is not allowed; the message says what is missing and why it matters."""


@dataclass(frozen=True)
class Problem:
    """An answer that breaks a rule: the field it is about and what to do."""

    field: str
    message: str


class AnswerError(ValueError):
    """One or more answers break a rule; ``problems`` says which and what to do."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


def filled(value: Any) -> bool:
    """Not None, not blank text and not an empty list or mapping (False counts: it is a decision)."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | tuple | set | dict):
        return any(filled(v) for v in (value.values() if isinstance(value, dict) else value))
    return True


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def harm_needs_decisions(fields: Mapping[str, Any]) -> bool:
    """Moderate or worse harm (physical or psychological), or a CQC-notifiable event."""
    return (
        is_moderate_or_worse(
            physical_harm=fields.get("physical_harm"), psychological_harm=fields.get("psychological_harm")
        )
        or fields.get("cqc_notifiable") is True
    )


def missing(stage: Stage | str, fields: Mapping[str, Any]) -> list[str]:
    """What must be added before an event leaves ``stage``, in words (empty when nothing is missing)."""
    stage = Stage(stage)
    needs: list[str] = []
    if stage is Stage.REPORTED:
        for name, words in (
            ("event_type", "the event type"),
            ("occurred_on", "when it happened"),
            ("description", "what happened"),
            ("location", "where it happened"),
            ("process", "which part of care it was in"),
        ):
            if not filled(fields.get(name)):
                needs.append(words)
        kind = fields.get("event_type")
        if kind == "incident":
            if not filled(fields.get("physical_harm")):
                needs.append("the physical harm")
            if not filled(fields.get("psychological_harm")):
                needs.append("the psychological harm")
        elif kind == "risk" and not filled(fields.get("risk_imminent")):
            needs.append("whether there is an imminent risk of severe harm or death")
        elif kind == "good_care" and not filled(fields.get("how_to_repeat")):
            needs.append("how the good care could happen again")
    elif stage is Stage.TRIAGED:
        if not filled(fields.get("response_type")):
            needs.append("the learning response")
        if harm_needs_decisions(fields):
            if fields.get("duty_of_candour") is None:
                needs.append("whether the duty of candour applies")
            if fields.get("cqc_notifiable") is None:
                needs.append("whether CQC must be notified")
            if fields.get("lfpse_status") not in ("to_submit", "submitted"):
                needs.append("the event marked to record on LFPSE")
    elif stage is Stage.ANALYSED:
        if not filled(fields.get("what_happened")):
            needs.append("what happened")
        if not filled(fields.get("why")):
            needs.append("why it happened")
        if not filled(fields.get("factors")):
            needs.append("at least one contributory factor")
        if not filled(fields.get("what_learned")):
            needs.append("what was learned")
        chosen = RESPONSES.get(fields.get("response_type") or "")
        if chosen is not None:
            answers = fields.get("prompt_answers") or {}
            unanswered = [p.question for p in chosen.prompts if not filled(answers.get(p.key))]
            if unanswered:
                needs.append(f"answers to the {chosen.label.lower()}'s questions ({_join(unanswered)})")
            if chosen.needs_meeting and not filled(fields.get("meeting_on")):
                needs.append("the date the team met")
    elif stage is Stage.ACTIONS_AGREED:
        changed = filled(fields.get("what_changed")) and int(fields.get("actions") or 0) > 0
        if not changed and not filled(fields.get("no_change_reason")):
            needs.append(
                "say what has changed, who is doing it and by when (at least one action with an owner and a "
                "due date), or why nothing needs to change"
            )
        if not filled(fields.get("review_due")):
            needs.append("set a review date")
    elif stage is Stage.MONITORING:
        if not filled(fields.get("reviewed_on")):
            needs.append("the date of the review")
        if not filled(fields.get("review_outcome")):
            needs.append("whether the change stuck")
    return needs


def _as_stage(value: Stage | str, role: str) -> Stage:
    try:
        return Stage(value)
    except ValueError:
        names = ", ".join(s.value for s in ORDER)
        raise TransitionError(f"{value!r} is not a stage of a learning event ({role}); use one of: {names}.") from None


def allowed_targets(current: Stage | str) -> list[Stage]:
    """Where an event at ``current`` may go next (whether or not it is ready)."""
    here = _as_stage(current, "current stage")
    if here is Stage.CLOSED:
        return []
    targets = [ORDER[ORDER.index(here) + 1]]
    if here is Stage.TRIAGED:
        targets.append(Stage.CLOSED)
    return targets


def check_transition(current: Stage | str, target: Stage | str, fields: Mapping[str, Any]) -> None:
    """Raise :class:`TransitionError` unless an event at ``current`` may move to ``target`` now."""
    here = _as_stage(current, "current stage")
    there = _as_stage(target, "target stage")
    if here is Stage.CLOSED:
        raise TransitionError("This event is closed; report a new event if something else has happened.")
    if there not in allowed_targets(here):
        if there is here:
            raise TransitionError(f"This event is already at the {STAGE_LABELS[here].lower()} stage.")
        if ORDER.index(there) < ORDER.index(here):
            raise TransitionError(
                f"An event can't go back from {STAGE_LABELS[here].lower()} to {STAGE_LABELS[there].lower()}."
            )
        raise TransitionError(
            f"An event moves one stage at a time: from {STAGE_LABELS[here].lower()} the next stage is "
            f"{STAGE_LABELS[allowed_targets(here)[0]].lower()}."
        )
    if here is Stage.TRIAGED and there is Stage.CLOSED:
        if not filled(fields.get("closure_reason")):
            raise TransitionError(
                "To close this event at triage, give a reason (for example “logged for thematic review” or "
                "“duplicate”); otherwise choose a learning response and analyse it."
            )
        needs = [n for n in missing(Stage.TRIAGED, fields) if n != "the learning response"]
        if needs:
            raise TransitionError(f"You can't close this event yet: add {_join(needs)}. {_harm_reason()}")
        return
    needs = missing(here, fields)
    if not needs:
        return
    verb = _ENTERING[there]
    if here is Stage.TRIAGED:
        reason = _harm_reason() if harm_needs_decisions(fields) else ""
        raise TransitionError(f"You can't {verb} yet: add {_join(needs)}. {reason}".strip())
    if here is Stage.ACTIONS_AGREED:
        raise TransitionError(f"You can't {verb} yet: {', and '.join(needs)}. {_WHY[here]}")
    raise TransitionError(f"You can't {verb} yet: add {_join(needs)}. {_WHY[here]}")


def _harm_reason() -> str:
    return (
        "Moderate or worse harm (or a CQC-notifiable event) needs these decisions recorded: the duty of candour "
        "is a legal duty."
    )


# --- the answers themselves -------------------------------------------------------------------------------------


def event_date(
    *, day: int | None, month: int | None, year: int | None, approximate: bool, today: date
) -> tuple[date, bool]:
    """The date an event happened, and whether it is approximate (then the day may be left out).

    >>> event_date(day=None, month=3, year=2026, approximate=True, today=date(2026, 6, 1))
    (datetime.date(2026, 3, 1), True)
    """
    if year is None:
        raise AnswerError([Problem("occurred_on", "Enter the year the event happened.")])
    if month is None:
        what = "An approximate date needs at least the month and year" if approximate else "Enter the month"
        raise AnswerError(
            [Problem("occurred_on", f"{what}: if you can't say which month, give your best guess and say so.")]
        )
    if day is None and not approximate:
        raise AnswerError(
            [Problem("occurred_on", "Enter the day, or tick “I'm not sure of the exact day” to give the month only.")]
        )
    try:
        when = date(year, month, day or 1)
    except ValueError:
        raise AnswerError([Problem("occurred_on", "Enter a real date, for example 14 3 2026.")]) from None
    if when > today:
        raise AnswerError(
            [
                Problem(
                    "occurred_on", "The event date is in the future: enter the date it happened (today at the latest)."
                )
            ]
        )
    return when, approximate


def check_answers(fields: Mapping[str, Any], *, today: date) -> list[Problem]:
    """Every rule an event's answers break (an empty list when none): what is wrong and what to do."""
    problems: list[Problem] = []
    kind = fields.get("event_type")
    if filled(kind) and kind not in EVENT_TYPES:
        problems.append(Problem("event_type", "Choose the event type from the list."))
    occurred = fields.get("occurred_on")
    if isinstance(occurred, date) and occurred > today:
        problems.append(
            Problem("occurred_on", "The event date is in the future: enter the date it happened (today at the latest).")
        )
    if kind == "good_care":
        for name, vs in (("physical_harm", PHYSICAL_HARM), ("psychological_harm", PSYCHOLOGICAL_HARM)):
            if filled(fields.get(name)):
                problems.append(
                    Problem(
                        name,
                        f"A good care event has no harm grade: clear the {vs.question.lower()}, or change the "
                        "event type if someone was harmed.",
                    )
                )
    for name, words in (("review_due", "review date"), ("reviewed_on", "date of the review")):
        value = fields.get(name)
        if isinstance(value, date) and isinstance(occurred, date) and value < occurred:
            problems.append(
                Problem(
                    name, f"The {words} is before the event happened: choose a date on or after {occurred:%-d %B %Y}."
                )
            )
    reviewed = fields.get("reviewed_on")
    if isinstance(reviewed, date) and reviewed > today:
        problems.append(Problem("reviewed_on", "The review has not happened yet: enter its date once it has."))
    meeting = fields.get("meeting_on")
    if isinstance(meeting, date) and isinstance(occurred, date) and meeting < occurred:
        problems.append(
            Problem(
                "meeting_on",
                f"The team can't have met before the event: choose a date on or after {occurred:%-d %B %Y}.",
            )
        )
    unknown = [f for f in fields.get("factors") or [] if f not in FACTORS]
    if unknown:
        problems.append(Problem("factors", "Choose contributory factors from the list."))
    if filled(fields.get("response_type")) and fields.get("response_type") not in RESPONSES:
        problems.append(Problem("response_type", "Choose a learning response from the list."))
    return problems


def validate(fields: Mapping[str, Any], *, today: date) -> None:
    """Raise :class:`AnswerError` if :func:`check_answers` finds anything."""
    problems = check_answers(fields, today=today)
    if problems:
        raise AnswerError(problems)


# --- hints --------------------------------------------------------------------------------------------------------


def analysis_overdue(stage: Stage | str, reported_on: date, today: date) -> bool:
    """Still waiting at "reported" more than :data:`ANALYSIS_OVERDUE_WEEKS` weeks after it was reported."""
    return Stage(stage) is Stage.REPORTED and today - reported_on > timedelta(weeks=ANALYSIS_OVERDUE_WEEKS)


def response_hint(response_type: str, occurred_on: date | None, today: date) -> str:
    """A hint about the chosen response (empty when none): a SWARM huddle after a day is an after action review."""
    if response_type == "swarm_huddle" and occurred_on is not None and (today - occurred_on).days * 24 > SWARM_HOURS:
        return "A SWARM huddle is held the same day: more than 24 hours after the event, this is now an after action review."
    return ""


def default_review_due(agreed_on: date) -> date:
    """:data:`DEFAULT_REVIEW_MONTHS` months after ``agreed_on`` (the last day of a shorter month)."""
    return add_months(agreed_on, DEFAULT_REVIEW_MONTHS)
