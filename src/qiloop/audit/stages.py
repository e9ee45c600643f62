"""The audit stage machine: ``planning → first_collection → change → re_audit → complete``, and another cycle.

An audit moves forward one stage at a time. Before each step :func:`check_transition` says what is missing
(raising :class:`TransitionError`) and returns any warnings the team should read. After ``complete`` the team can
start another cycle: back to ``change``, then a further re-audit (round 3, …).

Rules (HQIP stages 1–4; RCGP's marking headings):

* leave **planning** only with at least one criterion, and every criterion with a statement, an evidence reference
  and a standard from 0 to 100;
* leave **first_collection** only with a collection that counts every criterion (eligible above 0);
* leave **change** only with a change recorded (with its date) after the latest collection, and a planned
  re-audit date after the change — at least a month after it; under three months is allowed with the warning
  "too soon for the change to show";
* **complete** needs a re-audit collection dated after the change that counts every criterion, and a conclusion.

>>> check_transition(Audit("NSAIDs", Reason.GUIDELINE), Stage.FIRST_COLLECTION)
Traceback (most recent call last):
...
qiloop.audit.stages.TransitionError: You can't start the first collection yet: add at least one criterion with its standard and evidence reference.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from qiloop.audit.model import Audit, Collection, Reason  # noqa: F401 - Reason is used by the doctest
from qiloop.months import add_months


class Stage(StrEnum):
    PLANNING = "planning"
    FIRST_COLLECTION = "first_collection"
    CHANGE = "change"
    RE_AUDIT = "re_audit"
    COMPLETE = "complete"


ORDER: tuple[Stage, ...] = (Stage.PLANNING, Stage.FIRST_COLLECTION, Stage.CHANGE, Stage.RE_AUDIT, Stage.COMPLETE)

STAGE_LABELS: dict[Stage, str] = {
    Stage.PLANNING: "Planning",
    Stage.FIRST_COLLECTION: "First collection",
    Stage.CHANGE: "Change",
    Stage.RE_AUDIT: "Re-audit",
    Stage.COMPLETE: "Complete",
}

_VERBS: dict[Stage, str] = {
    Stage.FIRST_COLLECTION: "start the first collection",
    Stage.CHANGE: "move on to the change",
    Stage.RE_AUDIT: "move on to the re-audit",
    Stage.COMPLETE: "complete this audit",
}

TOO_SOON = "too soon for the change to show"
MIN_GAP_MONTHS = 1
WARN_GAP_MONTHS = 3


class TransitionError(ValueError):
    """A stage change that is not allowed; the message says what is missing and what to do."""


def next_stages(stage: Stage | str) -> tuple[Stage, ...]:
    """Where an audit can go from ``stage``: the next stage, or (from complete) another cycle's change.

    >>> next_stages(Stage.COMPLETE)
    (<Stage.CHANGE: 'change'>,)
    """
    stage = Stage(stage)
    if stage is Stage.COMPLETE:
        return (Stage.CHANGE,)
    return (ORDER[ORDER.index(stage) + 1],)


def check_reaudit_date(change_on: dt.date, reaudit_on: dt.date) -> list[str]:
    """Refuse a re-audit not at least a month after the change; warn when under three months after it."""
    if reaudit_on <= change_on:
        raise TransitionError(
            f"The re-audit date ({reaudit_on:%-d %B %Y}) must be after the change ({change_on:%-d %B %Y}): choose a "
            "later date, at least three months after the change."
        )
    if reaudit_on < add_months(change_on, MIN_GAP_MONTHS):
        raise TransitionError(
            f"The re-audit date ({reaudit_on:%-d %B %Y}) is less than a month after the change "
            f"({change_on:%-d %B %Y}): choose a date at least three months after it."
        )
    if reaudit_on < add_months(change_on, WARN_GAP_MONTHS):
        return [
            f"The re-audit on {reaudit_on:%-d %B %Y} is under three months after the change on "
            f"{change_on:%-d %B %Y}: {TOO_SOON}."
        ]
    return []


def criterion_problems(audit: Audit) -> list[str]:
    """What each criterion lacks before the first collection, in criterion order."""
    problems = []
    for criterion in audit.criteria:
        missing = []
        if not criterion.statement.strip():
            missing.append("a statement")
        if not criterion.reference.strip():
            missing.append("an evidence reference (guideline and section)")
        if criterion.standard_percent is None:
            missing.append("a standard")
        elif not 0 <= criterion.standard_percent <= 100:
            missing.append("a standard from 0 to 100")
        if missing:
            problems.append(f"criterion {criterion.number} needs {_and(missing)}")
    return problems


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _uncounted(audit: Audit, collection: Collection) -> list[int]:
    return [
        c.number
        for c in audit.criteria
        if c.number not in collection.counts or collection.counts[c.number].eligible <= 0
    ]


def check_transition(audit: Audit, target: Stage | str) -> list[str]:
    """Check ``audit`` may move to ``target``; return warnings to show, or raise :class:`TransitionError`."""
    stage, target = Stage(audit.stage), Stage(target)
    if target not in next_stages(stage):
        allowed = " or ".join(STAGE_LABELS[s].lower() for s in next_stages(stage))
        raise TransitionError(
            f"An audit at {STAGE_LABELS[stage].lower()} can move only to {allowed}, not to "
            f"{STAGE_LABELS[target].lower()}."
        )
    verb = _VERBS[target]
    if target is Stage.FIRST_COLLECTION:
        if not audit.criteria:
            raise TransitionError(
                f"You can't {verb} yet: add at least one criterion with its standard and evidence reference."
            )
        problems = criterion_problems(audit)
        if problems:
            raise TransitionError(f"You can't {verb} yet: {'; '.join(problems)}.")
        return []
    latest = audit.latest_collection()
    if target is Stage.CHANGE:
        if latest is None:
            raise TransitionError(f"You can't {verb} yet: record the first collection for every criterion.")
        missing = _uncounted(audit, latest)
        if missing:
            raise TransitionError(
                f"You can't {verb} yet: collection {latest.round} has no count for criterion "
                f"{_and([str(n) for n in missing])}."
            )
        return []
    change = audit.latest_change()
    if target is Stage.RE_AUDIT:
        if (
            change is None
            or change.implemented_on is None
            or (latest is not None and change.implemented_on < latest.reference_date)
        ):
            raise TransitionError(
                f"You can't {verb} yet: record the change you made after collection "
                f"{latest.round if latest else 1}, with the date it started."
            )
        if audit.reaudit_planned_on is None:
            raise TransitionError(
                f"You can't {verb} yet: plan the re-audit date (at least three months after the change)."
            )
        return check_reaudit_date(change.implemented_on, audit.reaudit_planned_on)
    # COMPLETE
    assert change is not None and change.implemented_on is not None
    after = [c for c in audit.collections if c.reference_date > change.implemented_on]
    if not after:
        raise TransitionError(
            f"You can't {verb} yet: record the re-audit collection, dated after the change on "
            f"{change.implemented_on:%-d %B %Y}."
        )
    reaudit = max(after, key=lambda c: c.round)
    missing = _uncounted(audit, reaudit)
    if missing:
        raise TransitionError(
            f"You can't {verb} yet: collection {reaudit.round} has no count for criterion "
            f"{_and([str(n) for n in missing])}."
        )
    if not audit.conclusion.strip():
        raise TransitionError(f"You can't {verb} yet: write the conclusion (what you learned and the next steps).")
    return check_reaudit_date(change.implemented_on, reaudit.reference_date)


def check_collection_date(audit: Audit, reference_date: dt.date) -> list[str]:
    """A re-audit collection must come after the change (refused), ideally three months after (warning)."""
    if Stage(audit.stage) is not Stage.RE_AUDIT:
        return []
    change = audit.latest_change()
    if change is None or change.implemented_on is None:
        return []
    return check_reaudit_date(change.implemented_on, reference_date)


def completed_cycles(audits: list[Audit], *, today: dt.date, months: int = 12) -> int:
    """Audits with two collections and a change between them, the latest collection in the last ``months`` months.

    The CQC asks for two completed cycles a year.
    """
    since = add_months(today, -months)
    count = 0
    for audit in audits:
        dates = sorted(c.reference_date for c in audit.collections)
        changes = [c.implemented_on for c in audit.changes if c.implemented_on is not None]
        if len(dates) < 2 or not since < dates[-1] <= today:
            continue
        if any(dates[0] <= on < dates[-1] for on in changes):
            count += 1
    return count


__all__ = [
    "ORDER",
    "STAGE_LABELS",
    "TOO_SOON",
    "Stage",
    "TransitionError",
    "add_months",
    "check_collection_date",
    "check_reaudit_date",
    "check_transition",
    "completed_cycles",
    "criterion_problems",
    "next_stages",
]
