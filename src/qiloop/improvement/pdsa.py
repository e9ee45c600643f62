"""The Plan-Do-Study-Act stage machine: which stage follows which, and what must be written first.

A cycle moves forward one stage at a time (plan → do → study → act → done). Before it leaves
a stage the fields in :data:`REQUIRED` for that stage must be filled; otherwise
:func:`check_transition` raises a :class:`TransitionError` that says what is missing and what
to do. A cycle never goes back: to test the change again, start the next cycle in the ramp.

>>> check_transition(Stage.DO, Stage.STUDY, {"what_happened": "", "observations": "Quiet week"})
Traceback (most recent call last):
...
qiloop.improvement.pdsa.TransitionError: You can't study this cycle yet: record what happened in the Do stage first (what happened is empty).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from enum import StrEnum
from typing import Any


class Stage(StrEnum):
    """Where a cycle is. Values are stored by the workbench."""

    PLAN = "plan"  # the question, the prediction, who does what, when and where, the data to collect
    DO = "do"  # carrying out the test: what happened, what was observed
    STUDY = "study"  # the results compared with the prediction, beside the chart
    ACT = "act"  # adopt, adapt or abandon, and the next step
    DONE = "done"  # finished; the decision stands


class Decision(StrEnum):
    """What the team decides in the Act stage."""

    ADOPT = "adopt"  # the change works: make it the way we do things
    ADAPT = "adapt"  # promising: change it and test again in another cycle
    ABANDON = "abandon"  # it did not work: stop and try another idea


ORDER: tuple[Stage, ...] = (Stage.PLAN, Stage.DO, Stage.STUDY, Stage.ACT, Stage.DONE)

#: Fields that must be filled before a cycle leaves each stage.
REQUIRED: dict[Stage, tuple[str, ...]] = {
    Stage.PLAN: ("question", "prediction", "who", "when", "where", "data_to_collect"),
    Stage.DO: ("what_happened", "observations"),
    Stage.STUDY: ("results",),
    Stage.ACT: ("decision", "next_step"),
    Stage.DONE: (),
}

#: How each field is named in messages.
FIELD_LABELS: dict[str, str] = {
    "question": "the question",
    "prediction": "the prediction",
    "who": "who",
    "when": "when",
    "where": "where",
    "data_to_collect": "the data to collect",
    "what_happened": "what happened",
    "observations": "observations",
    "results": "results",
    "decision": "the decision",
    "next_step": "the next step",
}

STAGE_LABELS: dict[Stage, str] = {
    Stage.PLAN: "Plan",
    Stage.DO: "Do",
    Stage.STUDY: "Study",
    Stage.ACT: "Act",
    Stage.DONE: "Done",
}

# "You can't <verb> this cycle yet"
_VERBS: dict[Stage, str] = {
    Stage.PLAN: "plan",
    Stage.DO: "carry out",
    Stage.STUDY: "study",
    Stage.ACT: "act on",
    Stage.DONE: "finish",
}

# what to do in the stage being left
_TO_DO: dict[Stage, str] = {
    Stage.PLAN: "finish the plan (the question, your prediction, who, when, where and the data to collect)",
    Stage.DO: "record what happened in the Do stage",
    Stage.STUDY: "write the results against your prediction in the Study stage",
    Stage.ACT: "choose adopt, adapt or abandon and write the next step in the Act stage",
    Stage.DONE: "",
}


class TransitionError(ValueError):
    """A stage change that is not allowed; the message says what is missing and what to do."""


def next_stage(stage: Stage | str) -> Stage | None:
    """The stage after ``stage`` (None after done).

    >>> next_stage(Stage.STUDY)
    <Stage.ACT: 'act'>
    """
    position = ORDER.index(Stage(stage))
    return ORDER[position + 1] if position + 1 < len(ORDER) else None


def is_filled(value: Any) -> bool:
    """A field counts as filled when it is not None and not blank text."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    return True


def missing_fields(stage: Stage | str, fields: Mapping[str, Any]) -> list[str]:
    """The fields :data:`REQUIRED` before leaving ``stage`` that are empty, in order."""
    return [name for name in REQUIRED[Stage(stage)] if not is_filled(fields.get(name))]


def _label_list(names: list[str]) -> str:
    labels = [FIELD_LABELS.get(name, name.replace("_", " ")) for name in names]
    if len(labels) == 1:
        return labels[0]
    return ", ".join(labels[:-1]) + " and " + labels[-1]


def _as_stage(value: Stage | str, role: str) -> Stage:
    try:
        return Stage(value)
    except ValueError:
        names = ", ".join(s.value for s in ORDER)
        raise TransitionError(f"{value!r} is not a PDSA stage ({role}); use one of: {names}.") from None


def check_transition(current: Stage | str, target: Stage | str, fields: Mapping[str, Any]) -> None:
    """Raise :class:`TransitionError` unless a cycle at ``current`` may move to ``target``.

    ``fields`` holds the cycle's record (field name → value, e.g. a model's ``__dict__``).
    Allowed: one step forward, once every field :data:`REQUIRED` for ``current`` is filled
    (and, leaving Act, the decision is adopt, adapt or abandon).
    """
    here = _as_stage(current, "current stage")
    there = _as_stage(target, "target stage")
    here_at, there_at = ORDER.index(here), ORDER.index(there)
    if there_at == here_at:
        raise TransitionError(f"This cycle is already at the {STAGE_LABELS[here]} stage.")
    if there_at < here_at:
        raise TransitionError(
            f"A cycle can't go back from {STAGE_LABELS[here]} to {STAGE_LABELS[there]}: "
            "to test the change again, start the next cycle in the ramp."
        )
    verb = _VERBS[there]
    if there_at > here_at + 1:
        skipped = ORDER[here_at + 1]
        raise TransitionError(
            f"You can't {verb} this cycle yet: it is at the {STAGE_LABELS[here]} stage, "
            f"so {_TO_DO[here]} and move it to {STAGE_LABELS[skipped]} first; "
            "a cycle moves one stage at a time."
        )
    empty = missing_fields(here, fields)
    if empty:
        verb_be = "is" if len(empty) == 1 else "are"
        raise TransitionError(
            f"You can't {verb} this cycle yet: {_TO_DO[here]} first ({_label_list(empty)} {verb_be} empty)."
        )
    if here is Stage.ACT:
        decision = str(fields.get("decision")).strip().lower()
        if decision not in {d.value for d in Decision}:
            raise TransitionError(
                f"You can't finish this cycle yet: the decision must be adopt, adapt or abandon, "
                f"not {fields.get('decision')!r}."
            )


def can_transition(current: Stage | str, target: Stage | str, fields: Mapping[str, Any]) -> bool:
    """True when :func:`check_transition` would allow the move."""
    try:
        check_transition(current, target, fields)
    except TransitionError:
        return False
    return True


def check_follow_on(previous_stage: Stage | str) -> None:
    """A cycle can follow another in a ramp once the earlier one has reached Act (or is done).

    Raises :class:`TransitionError` otherwise: a ramp builds on what the last cycle learned.
    """
    stage = _as_stage(previous_stage, "previous cycle")
    if ORDER.index(stage) < ORDER.index(Stage.ACT):
        raise TransitionError(
            f"The previous cycle is still at the {STAGE_LABELS[stage]} stage: study it and decide what to do "
            "(Act) before planning the next cycle in its ramp."
        )


def ramp(cycle: Hashable, previous: Mapping[Any, Any]) -> list[Any]:
    """The chain of cycles ending at ``cycle``, earliest first, from a map of cycle → previous cycle (or None).

    Raises ValueError when the chain loops back on itself.

    >>> ramp(3, {1: None, 2: 1, 3: 2})
    [1, 2, 3]
    """
    chain: list[Any] = []
    seen: set[Any] = set()
    current: Any = cycle
    while current is not None:
        if current in seen:
            raise ValueError(f"the ramp of cycle {cycle!r} loops back to cycle {current!r}")
        seen.add(current)
        chain.append(current)
        current = previous.get(current)
    return chain[::-1]
