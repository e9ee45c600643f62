"""The learning-event stage machine and the rules on an event's answers: every rule, every message."""

from __future__ import annotations

from datetime import date

import pytest

from qiloop.learning.workflow import (
    AnswerError,
    Stage,
    TransitionError,
    allowed_targets,
    analysis_overdue,
    check_answers,
    check_transition,
    default_review_due,
    event_date,
    missing,
    response_hint,
    validate,
)

TODAY = date(2026, 6, 15)

REPORTED = {
    "event_type": "incident",
    "occurred_on": date(2026, 6, 1),
    "description": "Repeat prescription issued for a stopped drug; pharmacy queried it.",
    "location": "11",
    "process": "5",
    "physical_harm": "5",
    "psychological_harm": "4",
}
TRIAGED = {**REPORTED, "response_type": "after_action_review"}
ANALYSED = {
    **TRIAGED,
    "what_happened": "A stopped drug stayed on repeat.",
    "why": "The stop was recorded in a letter, not on the repeat template.",
    "factors": ["tools_technology", "communication"],
    "what_learned": "Letters that stop drugs need the repeat updated the same day.",
    "meeting_on": date(2026, 6, 3),
    "prompt_answers": {"expected": "Drug removed", "actual": "Stayed", "difference": "Letter", "next_time": "Check"},
}
AGREED = {**ANALYSED, "what_changed": "Docman workflow step added.", "actions": 1, "review_due": date(2026, 9, 3)}
MONITORED = {**AGREED, "reviewed_on": date(2026, 6, 14), "review_outcome": "Audit of 20 letters: all updated."}


def without(fields, *names):
    return {k: v for k, v in fields.items() if k not in names}


@pytest.mark.parametrize(
    ("current", "target", "fields"),
    [
        ("reported", "triaged", REPORTED),
        ("triaged", "analysed", TRIAGED),
        ("analysed", "actions_agreed", ANALYSED),
        ("actions_agreed", "monitoring", AGREED),
        ("monitoring", "closed", MONITORED),
        ("triaged", "closed", {**REPORTED, "closure_reason": "Duplicate of an earlier report"}),
    ],
)
def test_a_complete_stage_may_be_left(current, target, fields):
    check_transition(current, target, fields)


LEAVING = [
    # (stage, next, fields, exact message)
    (
        "reported",
        "triaged",
        without(REPORTED, "description"),
        "You can't triage this event yet: add what happened. Triage needs the basic facts to judge how the team "
        "should respond.",
    ),
    (
        "reported",
        "triaged",
        without(REPORTED, "event_type", "occurred_on", "location", "process", "description"),
        "You can't triage this event yet: add the event type, when it happened, what happened, where it happened "
        "and which part of care it was in. Triage needs the basic facts to judge how the team should respond.",
    ),
    (
        "reported",
        "triaged",
        without(REPORTED, "physical_harm", "psychological_harm"),
        "You can't triage this event yet: add the physical harm and the psychological harm. Triage needs the basic "
        "facts to judge how the team should respond.",
    ),
    (
        "reported",
        "triaged",
        {**without(REPORTED, "physical_harm", "psychological_harm"), "event_type": "risk"},
        "You can't triage this event yet: add whether there is an imminent risk of severe harm or death. Triage "
        "needs the basic facts to judge how the team should respond.",
    ),
    (
        "reported",
        "triaged",
        {**without(REPORTED, "physical_harm", "psychological_harm"), "event_type": "good_care"},
        "You can't triage this event yet: add how the good care could happen again. Triage needs the basic facts "
        "to judge how the team should respond.",
    ),
    (
        "triaged",
        "analysed",
        REPORTED,
        "You can't start the analysis yet: add the learning response.",
    ),
    (
        "triaged",
        "analysed",
        {**TRIAGED, "physical_harm": "3"},
        "You can't start the analysis yet: add whether the duty of candour applies, whether CQC must be "
        "notified and the event marked to record on LFPSE. Moderate or worse harm (or a CQC-notifiable event) "
        "needs these decisions recorded: the duty of candour is a legal duty.",
    ),
    (
        "triaged",
        "analysed",
        {**TRIAGED, "psychological_harm": "1", "duty_of_candour": False, "cqc_notifiable": False},
        "You can't start the analysis yet: add the event marked to record on LFPSE. Moderate or worse harm "
        "(or a CQC-notifiable event) needs these decisions recorded: the duty of candour is a legal duty.",
    ),
    (
        "triaged",
        "analysed",
        {**TRIAGED, "cqc_notifiable": True, "lfpse_status": "to_submit"},
        "You can't start the analysis yet: add whether the duty of candour applies. Moderate or worse harm "
        "(or a CQC-notifiable event) needs these decisions recorded: the duty of candour is a legal duty.",
    ),
    (
        "analysed",
        "actions_agreed",
        without(ANALYSED, "why", "factors"),
        "You can't agree actions yet: add why it happened and at least one contributory factor. Understanding why "
        "it happened is where almost half of significant event analyses fall short.",
    ),
    (
        "analysed",
        "actions_agreed",
        without(ANALYSED, "what_happened", "what_learned", "meeting_on"),
        "You can't agree actions yet: add what happened, what was learned and the date the team met. "
        "Understanding why it happened is where almost half of significant event analyses fall short.",
    ),
    (
        "analysed",
        "actions_agreed",
        {**ANALYSED, "prompt_answers": {"expected": "x", "actual": "y"}},
        "You can't agree actions yet: add answers to the after action review's questions (Why was there a "
        "difference? and What will we do next time?). Understanding why it happened is where almost half of "
        "significant event analyses fall short.",
    ),
    (
        "actions_agreed",
        "monitoring",
        {**AGREED, "actions": 0},
        "You can't start monitoring this event yet: say what has changed, who is doing it and by when (at least "
        "one action with an owner and a due date), or why nothing needs to change. Implementing change is where "
        "most significant event analyses fall short.",
    ),
    (
        "actions_agreed",
        "monitoring",
        without(AGREED, "review_due"),
        "You can't start monitoring this event yet: set a review date. Implementing change is where most "
        "significant event analyses fall short.",
    ),
    (
        "monitoring",
        "closed",
        without(MONITORED, "reviewed_on", "review_outcome"),
        "You can't close this event yet: add the date of the review and whether the change stuck. A change nobody "
        "checks on is easily lost.",
    ),
    (
        "triaged",
        "closed",
        REPORTED,
        "To close this event at triage, give a reason (for example “logged for thematic review” or “duplicate”); "
        "otherwise choose a learning response and analyse it.",
    ),
    (
        "triaged",
        "closed",
        {**REPORTED, "physical_harm": "2", "closure_reason": "Duplicate"},
        "You can't close this event yet: add whether the duty of candour applies, whether CQC must be notified and "
        "the event marked to record on LFPSE. Moderate or worse harm (or a CQC-notifiable event) needs these "
        "decisions recorded: the duty of candour is a legal duty.",
    ),
]


@pytest.mark.parametrize(("current", "target", "fields", "message"), LEAVING)
def test_leaving_a_stage_without_what_it_needs_says_what_is_missing_and_why(current, target, fields, message):
    with pytest.raises(TransitionError) as refused:
        check_transition(current, target, fields)
    assert str(refused.value) == message


def test_no_change_reason_stands_in_for_a_change():
    check_transition(
        "actions_agreed", "monitoring", {**without(AGREED, "what_changed"), "actions": 0, "no_change_reason": "Rare"}
    )


def test_a_change_needs_an_action_as_well_as_words():
    with pytest.raises(TransitionError, match="at least one action"):
        check_transition("actions_agreed", "monitoring", {**AGREED, "actions": 0})


def test_no_response_needs_no_meeting_but_its_question():
    fields = {**without(ANALYSED, "meeting_on"), "response_type": "none", "prompt_answers": {}}
    with pytest.raises(TransitionError, match=r"no further learning response's questions \(Why is no further"):
        check_transition("analysed", "actions_agreed", fields)
    check_transition("analysed", "actions_agreed", {**fields, "prompt_answers": {"why_no_response": "Minor"}})


def test_harm_decisions_may_be_no():
    fields = {**TRIAGED, "physical_harm": "3", "duty_of_candour": False, "cqc_notifiable": False}
    check_transition("triaged", "analysed", {**fields, "lfpse_status": "submitted"})


@pytest.mark.parametrize(
    ("current", "target", "message"),
    [
        ("analysed", "triaged", "An event can't go back from analysis to triage."),
        ("reported", "analysed", "An event moves one stage at a time: from reported the next stage is triage."),
        ("reported", "closed", "An event moves one stage at a time: from reported the next stage is triage."),
        ("analysed", "closed", "An event moves one stage at a time: from analysis the next stage is agreeing changes."),
        ("triaged", "triaged", "This event is already at the triage stage."),
        ("closed", "reported", "This event is closed; report a new event if something else has happened."),
        (
            "reported",
            "lost",
            "'lost' is not a stage of a learning event (target stage); use one of: reported, "
            "triaged, analysed, actions_agreed, monitoring, closed.",
        ),
    ],
)
def test_moves_that_are_never_allowed(current, target, message):
    with pytest.raises(TransitionError) as refused:
        check_transition(current, target, MONITORED)
    assert str(refused.value) == message


def test_allowed_targets():
    assert allowed_targets("triaged") == [Stage.ANALYSED, Stage.CLOSED]
    assert allowed_targets("monitoring") == [Stage.CLOSED]
    assert allowed_targets("closed") == []


def test_missing_is_empty_for_complete_stages():
    assert missing("reported", REPORTED) == []
    assert missing("monitoring", MONITORED) == []


# --- answers ---------------------------------------------------------------------------------------------------

ANSWERS = [
    (
        {"occurred_on": date(2026, 6, 16)},
        "occurred_on",
        "The event date is in the future: enter the date it happened (today at the latest).",
    ),
    (
        {"event_type": "good_care", "physical_harm": "5"},
        "physical_harm",
        "A good care event has no harm grade: clear the physical harm, or change the event type if someone was harmed.",
    ),
    (
        {"event_type": "good_care", "psychological_harm": "4"},
        "psychological_harm",
        "A good care event has no harm grade: clear the psychological harm, or change the event type if someone was "
        "harmed.",
    ),
    (
        {"occurred_on": date(2026, 6, 1), "review_due": date(2026, 5, 31)},
        "review_due",
        "The review date is before the event happened: choose a date on or after 1 June 2026.",
    ),
    (
        {"occurred_on": date(2026, 6, 1), "reviewed_on": date(2026, 5, 1)},
        "reviewed_on",
        "The date of the review is before the event happened: choose a date on or after 1 June 2026.",
    ),
    ({"reviewed_on": date(2026, 7, 1)}, "reviewed_on", "The review has not happened yet: enter its date once it has."),
    (
        {"occurred_on": date(2026, 6, 1), "meeting_on": date(2026, 5, 30)},
        "meeting_on",
        "The team can't have met before the event: choose a date on or after 1 June 2026.",
    ),
    ({"event_type": "accident"}, "event_type", "Choose the event type from the list."),
    ({"factors": ["weather"]}, "factors", "Choose contributory factors from the list."),
    ({"response_type": "huddle"}, "response_type", "Choose a learning response from the list."),
]


@pytest.mark.parametrize(("fields", "field", "message"), ANSWERS)
def test_each_rule_on_the_answers(fields, field, message):
    problems = check_answers(fields, today=TODAY)
    assert [(p.field, p.message) for p in problems] == [(field, message)]
    with pytest.raises(AnswerError):
        validate(fields, today=TODAY)


def test_good_answers_break_no_rule():
    assert check_answers(MONITORED, today=TODAY) == []
    assert check_answers({"event_type": "good_care", "occurred_on": TODAY}, today=TODAY) == []
    assert check_answers({"occurred_on": date(2026, 6, 1), "review_due": date(2026, 6, 1)}, today=TODAY) == []


@pytest.mark.parametrize(
    ("day", "month", "year", "approximate", "message"),
    [
        (
            None,
            None,
            2026,
            True,
            "An approximate date needs at least the month and year: if you can't say which month, "
            "give your best guess and say so.",
        ),
        (None, None, 2026, False, "Enter the month: if you can't say which month, give your best guess and say so."),
        (1, 1, None, False, "Enter the year the event happened."),
        (None, 3, 2026, False, "Enter the day, or tick “I'm not sure of the exact day” to give the month only."),
        (31, 2, 2026, False, "Enter a real date, for example 14 3 2026."),
        (16, 6, 2026, False, "The event date is in the future: enter the date it happened (today at the latest)."),
        (None, 7, 2026, True, "The event date is in the future: enter the date it happened (today at the latest)."),
    ],
)
def test_event_date_refusals(day, month, year, approximate, message):
    with pytest.raises(AnswerError) as refused:
        event_date(day=day, month=month, year=year, approximate=approximate, today=TODAY)
    assert [(p.field, p.message) for p in refused.value.problems] == [("occurred_on", message)]


def test_event_dates():
    assert event_date(day=15, month=6, year=2026, approximate=False, today=TODAY) == (TODAY, False)
    assert event_date(day=None, month=6, year=2026, approximate=True, today=TODAY) == (date(2026, 6, 1), True)
    assert event_date(day=3, month=5, year=2026, approximate=True, today=TODAY) == (date(2026, 5, 3), True)


def test_analysis_overdue_after_six_weeks_at_reported_only():
    assert not analysis_overdue("reported", date(2026, 5, 4), TODAY)  # 42 days
    assert analysis_overdue("reported", date(2026, 5, 3), TODAY)  # 43 days
    assert not analysis_overdue("triaged", date(2026, 1, 1), TODAY)


def test_swarm_after_a_day_is_an_after_action_review():
    assert response_hint("swarm_huddle", TODAY, TODAY) == ""
    assert response_hint("swarm_huddle", date(2026, 6, 14), TODAY) == ""
    assert "this is now an after action review" in response_hint("swarm_huddle", date(2026, 6, 13), TODAY)
    assert response_hint("after_action_review", date(2026, 1, 1), TODAY) == ""


@pytest.mark.parametrize(
    ("agreed", "due"),
    [
        (date(2026, 6, 15), date(2026, 9, 15)),
        (date(2026, 11, 30), date(2027, 2, 28)),
        (date(2027, 11, 30), date(2028, 2, 29)),
    ],
)
def test_default_review_three_months_on(agreed, due):
    assert default_review_due(agreed) == due
