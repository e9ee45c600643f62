"""The PDSA stage machine: one step forward at a time, never without the stage's record."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qiloop.improvement.pdsa import (
    ORDER,
    REQUIRED,
    Decision,
    Stage,
    TransitionError,
    can_transition,
    check_follow_on,
    check_transition,
    missing_fields,
    next_stage,
    ramp,
)

FULL = {
    "question": "Will an SMS reminder 24 hours ahead cut DNAs on Mondays?",
    "prediction": "Monday DNAs fall from 10 to 6",
    "who": "Reception manager",
    "when": "Mondays in March",
    "where": "Main surgery",
    "data_to_collect": "DNAs per Monday clinic",
    "what_happened": "Reminders went out for 3 of 4 Mondays",
    "observations": "Two patients replied to cancel",
    "results": "DNAs fell to 7, close to the prediction",
    "decision": "adapt",
    "next_step": "Test on all weekdays",
}


def test_order_and_next_stage():
    assert [s.value for s in ORDER] == ["plan", "do", "study", "act", "done"]
    assert next_stage(Stage.PLAN) is Stage.DO
    assert next_stage("act") is Stage.DONE
    assert next_stage(Stage.DONE) is None


def test_required_fields_match_the_contract():
    assert REQUIRED[Stage.PLAN] == ("question", "prediction", "who", "when", "where", "data_to_collect")
    assert REQUIRED[Stage.DO] == ("what_happened", "observations")
    assert REQUIRED[Stage.STUDY] == ("results",)
    assert REQUIRED[Stage.ACT] == ("decision", "next_step")
    assert {d.value for d in Decision} == {"adopt", "adapt", "abandon"}


@pytest.mark.parametrize(("current", "target"), list(zip(ORDER, ORDER[1:], strict=False)))
def test_a_complete_record_moves_one_step_forward(current, target):
    check_transition(current, target, FULL)
    assert can_transition(current, target, FULL)


def test_no_study_without_a_do():
    record = {**FULL, "what_happened": "  "}
    with pytest.raises(TransitionError) as caught:
        check_transition(Stage.DO, Stage.STUDY, record)
    assert str(caught.value) == (
        "You can't study this cycle yet: record what happened in the Do stage first (what happened is empty)."
    )


def test_skipping_do_is_refused_even_with_everything_filled():
    with pytest.raises(
        TransitionError, match=r"You can't study this cycle yet: it is at the Plan stage.*move it to Do"
    ):
        check_transition(Stage.PLAN, Stage.STUDY, FULL)


def test_an_incomplete_plan_lists_every_missing_field():
    record = {"question": "Will reminders help?", "who": "", "when": None}
    with pytest.raises(TransitionError) as caught:
        check_transition("plan", "do", record)
    message = str(caught.value)
    assert message.startswith("You can't carry out this cycle yet: finish the plan")
    assert "(the prediction, who, when, where and the data to collect are empty)" in message
    assert missing_fields(Stage.PLAN, record) == ["prediction", "who", "when", "where", "data_to_collect"]


def test_act_needs_a_real_decision():
    with pytest.raises(TransitionError, match="must be adopt, adapt or abandon, not 'maybe'"):
        check_transition(Stage.ACT, Stage.DONE, {**FULL, "decision": "maybe"})
    with pytest.raises(TransitionError, match=r"\(the decision is empty\)"):
        check_transition(Stage.ACT, Stage.DONE, {**FULL, "decision": ""})


def test_no_going_back_or_standing_still():
    with pytest.raises(TransitionError, match="can't go back from Study to Plan"):
        check_transition(Stage.STUDY, Stage.PLAN, FULL)
    with pytest.raises(TransitionError, match="already at the Do stage"):
        check_transition(Stage.DO, Stage.DO, FULL)


def test_unknown_stage_is_a_transition_error():
    with pytest.raises(TransitionError, match="'review' is not a PDSA stage"):
        check_transition("review", "do", FULL)


def test_non_text_values_count_as_filled():
    from datetime import date

    check_transition(Stage.PLAN, Stage.DO, {**FULL, "when": date(2027, 3, 1)})


@given(
    st.sampled_from(ORDER),
    st.sampled_from(ORDER),
    st.dictionaries(st.sampled_from(sorted(FULL)), st.sampled_from(["", " ", None, "text", "adopt"])),
)
def test_allowed_moves_are_exactly_one_step_with_the_stage_filled(current, target, record):
    allowed = can_transition(current, target, record)
    if allowed:
        assert ORDER.index(target) == ORDER.index(current) + 1
        assert missing_fields(current, record) == []
    if ORDER.index(target) == ORDER.index(current) + 1 and not missing_fields(current, record):
        assert allowed is (current is not Stage.ACT or record.get("decision") == "adopt")


def test_follow_on_needs_the_previous_cycle_at_act():
    check_follow_on(Stage.ACT)
    check_follow_on("done")
    with pytest.raises(TransitionError, match="still at the Do stage"):
        check_follow_on(Stage.DO)


def test_ramp_chain_and_loops():
    assert ramp("c", {"a": None, "b": "a", "c": "b"}) == ["a", "b", "c"]
    assert ramp("a", {"a": None}) == ["a"]
    with pytest.raises(ValueError, match="loops"):
        ramp(1, {1: 2, 2: 1})
