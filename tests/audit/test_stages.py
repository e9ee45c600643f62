"""The audit stage machine: every step, every refusal and its message, and the re-audit date rules."""

from __future__ import annotations

import datetime as dt

import pytest

from qiloop.audit.model import Audit, Change, Collection, Count, Criterion, Reason
from qiloop.audit.stages import (
    TOO_SOON,
    Stage,
    TransitionError,
    add_months,
    check_collection_date,
    check_reaudit_date,
    check_transition,
    completed_cycles,
    next_stages,
)

D = dt.date
GOOD = Criterion(1, "Over-65s on an NSAID are gastro-protected", "NICE CKS NSAIDs, GI adverse effects", 90)
SECOND = Criterion(2, "Methotrexate: FBC in 3 months", "BSR 2017, monitoring", 95)
ROUND1 = Collection(1, D(2026, 3, 31), {1: Count(62, 100), 2: Count(10, 12)})
ROUND2 = Collection(2, D(2026, 7, 31), {1: Count(88, 100), 2: Count(12, 12)})
CHANGE = Change("Searches and a PPI reminder", D(2026, 4, 1))


def audit(stage: str, **kw) -> Audit:
    base = {"title": "NSAID safety", "reason": Reason.GUIDELINE, "criteria": (GOOD, SECOND), "stage": stage}
    base.update(kw)
    return Audit(**base)


def refusal(a: Audit, target: Stage) -> str:
    with pytest.raises(TransitionError) as caught:
        check_transition(a, target)
    return str(caught.value)


def test_the_order_and_another_cycle():
    assert [next_stages(s)[0] for s in Stage] == [
        Stage.FIRST_COLLECTION, Stage.CHANGE, Stage.RE_AUDIT, Stage.COMPLETE, Stage.CHANGE,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("stage", "target", "message"),
    [
        ("planning", Stage.CHANGE, "An audit at planning can move only to first collection, not to change."),
        ("change", Stage.COMPLETE, "An audit at change can move only to re-audit, not to complete."),
        ("complete", Stage.RE_AUDIT, "An audit at complete can move only to change, not to re-audit."),
        ("re_audit", Stage.PLANNING, "An audit at re-audit can move only to complete, not to planning."),
    ],
)
def test_only_the_next_stage_is_allowed(stage, target, message):
    assert refusal(audit(stage), target) == message


PLANNING_CASES = [
    ((), "You can't start the first collection yet: add at least one criterion with its standard and evidence "
         "reference."),
    ((Criterion(1, "x", "", 90),), "You can't start the first collection yet: criterion 1 needs an evidence reference "
                                  "(guideline and section)."),
    ((Criterion(1, "x", "ref", None),), "You can't start the first collection yet: criterion 1 needs a standard."),
    ((Criterion(1, "x", "ref", 140),), "You can't start the first collection yet: criterion 1 needs a standard from "
                                      "0 to 100."),
    ((GOOD, Criterion(2, " ", "", None)), "You can't start the first collection yet: criterion 2 needs a statement, an "
                                          "evidence reference (guideline and section) and a standard."),
]  # fmt: skip


@pytest.mark.parametrize(("criteria", "message"), PLANNING_CASES)
def test_planning_needs_criteria_with_standards_and_references(criteria, message):
    assert refusal(audit("planning", criteria=criteria), Stage.FIRST_COLLECTION) == message


def test_planning_passes_with_complete_criteria():
    assert check_transition(audit("planning"), Stage.FIRST_COLLECTION) == []


def test_first_collection_needs_a_count_for_every_criterion():
    assert refusal(audit("first_collection"), Stage.CHANGE) == (
        "You can't move on to the change yet: record the first collection for every criterion."
    )
    partial = Collection(1, D(2026, 3, 31), {1: Count(62, 100)})
    assert refusal(audit("first_collection", collections=(partial,)), Stage.CHANGE) == (
        "You can't move on to the change yet: collection 1 has no count for criterion 2."
    )
    assert check_transition(audit("first_collection", collections=(ROUND1,)), Stage.CHANGE) == []


@pytest.mark.parametrize(
    ("changes", "planned", "message"),
    [
        ((), D(2026, 7, 31), "You can't move on to the re-audit yet: record the change you made after collection 1, "
                             "with the date it started."),
        ((Change("Before the audit", D(2026, 1, 1)),), D(2026, 7, 31), "You can't move on to the re-audit yet: record "
         "the change you made after collection 1, with the date it started."),
        ((Change("Undated", None),), D(2026, 7, 31), "You can't move on to the re-audit yet: record the change you made "
         "after collection 1, with the date it started."),
        ((CHANGE,), None, "You can't move on to the re-audit yet: plan the re-audit date (at least three months after "
                          "the change)."),
        ((CHANGE,), D(2026, 3, 31), "The re-audit date (31 March 2026) must be after the change (1 April 2026): choose "
                                    "a later date, at least three months after the change."),
        ((CHANGE,), D(2026, 4, 1), "The re-audit date (1 April 2026) must be after the change (1 April 2026): choose a "
                                   "later date, at least three months after the change."),
        ((CHANGE,), D(2026, 4, 30), "The re-audit date (30 April 2026) is less than a month after the change "
                                    "(1 April 2026): choose a date at least three months after it."),
    ],
)  # fmt: skip
def test_change_needs_a_dated_change_and_a_later_reaudit_date(changes, planned, message):
    a = audit("change", collections=(ROUND1,), changes=changes, reaudit_planned_on=planned)
    assert refusal(a, Stage.RE_AUDIT) == message


@pytest.mark.parametrize(
    ("planned", "warned"),
    [(D(2026, 5, 1), True), (D(2026, 6, 30), True), (D(2026, 7, 1), False), (D(2026, 10, 1), False)],
)
def test_a_reaudit_under_three_months_after_the_change_is_warned(planned, warned):
    a = audit("change", collections=(ROUND1,), changes=(CHANGE,), reaudit_planned_on=planned)
    warnings = check_transition(a, Stage.RE_AUDIT)
    assert bool(warnings) is warned
    if warned:
        assert warnings == [
            f"The re-audit on {planned:%-d %B %Y} is under three months after the change on 1 April 2026: {TOO_SOON}."
        ]


def test_complete_needs_a_reaudit_after_the_change_and_a_conclusion():
    base = {"collections": (ROUND1,), "changes": (CHANGE,), "reaudit_planned_on": D(2026, 7, 31)}
    assert refusal(audit("re_audit", **base), Stage.COMPLETE) == (
        "You can't complete this audit yet: record the re-audit collection, dated after the change on 1 April 2026."
    )
    partial = Collection(2, D(2026, 7, 31), {1: Count(88, 100)})
    assert refusal(audit("re_audit", **{**base, "collections": (ROUND1, partial)}), Stage.COMPLETE) == (
        "You can't complete this audit yet: collection 2 has no count for criterion 2."
    )
    both = {**base, "collections": (ROUND1, ROUND2)}
    assert refusal(audit("re_audit", **both), Stage.COMPLETE) == (
        "You can't complete this audit yet: write the conclusion (what you learned and the next steps)."
    )
    assert check_transition(audit("re_audit", **both, conclusion="Protected now."), Stage.COMPLETE) == []


def test_another_cycle_goes_back_to_change_and_needs_a_new_change_before_round_3():
    a = audit("complete", collections=(ROUND1, ROUND2), changes=(CHANGE,), conclusion="x")
    assert check_transition(a, Stage.CHANGE) == []
    again = audit("change", collections=(ROUND1, ROUND2), changes=(CHANGE,), reaudit_planned_on=D(2026, 12, 31))
    assert refusal(again, Stage.RE_AUDIT) == (
        "You can't move on to the re-audit yet: record the change you made after collection 2, with the date it "
        "started."
    )
    later = Change("Second change", D(2026, 8, 15))
    assert check_transition(audit("change", collections=(ROUND1, ROUND2), changes=(CHANGE, later),
                                  reaudit_planned_on=D(2026, 12, 31)), Stage.RE_AUDIT) == []  # fmt: skip


def test_reaudit_collection_dates():
    a = audit("re_audit", collections=(ROUND1,), changes=(CHANGE,))
    with pytest.raises(TransitionError, match="must be after the change"):
        check_collection_date(a, D(2026, 3, 1))
    assert check_collection_date(a, D(2026, 5, 31)) == [
        f"The re-audit on 31 May 2026 is under three months after the change on 1 April 2026: {TOO_SOON}."
    ]
    assert check_collection_date(a, D(2026, 7, 31)) == []
    assert check_collection_date(audit("first_collection"), D(2020, 1, 1)) == []


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [(D(2026, 1, 31), 1, D(2026, 2, 28)), (D(2024, 11, 30), 3, D(2025, 2, 28)), (D(2026, 3, 31), -12, D(2025, 3, 31))],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_check_reaudit_date_exactly_three_months_is_not_warned():
    assert check_reaudit_date(D(2026, 4, 1), D(2026, 7, 1)) == []
    assert check_reaudit_date(D(2026, 4, 1), D(2026, 5, 1)) != []


def test_completed_cycles_in_the_last_twelve_months():
    done = audit("complete", collections=(ROUND1, ROUND2), changes=(CHANGE,))
    no_change = audit("complete", collections=(ROUND1, ROUND2))
    one_round = audit("change", collections=(ROUND1,), changes=(CHANGE,))
    old = audit("complete", collections=(Collection(1, D(2024, 1, 31), {}), Collection(2, D(2024, 6, 30), {})),
                changes=(Change("x", D(2024, 2, 1)),))  # fmt: skip
    assert completed_cycles([done, no_change, one_round, old], today=D(2026, 12, 1)) == 1
    assert completed_cycles([done, done], today=D(2026, 12, 1)) == 2
    assert completed_cycles([done], today=D(2027, 8, 1)) == 0
