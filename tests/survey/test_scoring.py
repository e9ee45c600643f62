"""Scoring: Wilson intervals against hand-worked values and an independent reference; counts on hand-built
responses; the small-number rules at 4 versus 5."""

from __future__ import annotations

import math

import pytest

from qiloop.survey.instrument import INDICATOR, AnswerError, clean_answers, unanswered
from qiloop.survey.scoring import MIN_RESPONSES, Figure, count, disclosed, free_text_shown, score, shown_groups, wilson


def reference_wilson(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """The interval's ends as the roots of (p̂ − p)² = z²·p(1 − p)/n, found by bisection (no closed form)."""
    p_hat = k / n

    def f(p: float) -> float:
        return (p_hat - p) ** 2 - z * z * p * (1 - p) / n

    def root(lo: float, hi: float) -> float:
        for _ in range(200):
            mid = (lo + hi) / 2
            if (f(lo) > 0) == (f(mid) > 0):
                lo = mid
            else:
                hi = mid
        return (lo + hi) / 2

    low = 0.0 if k == 0 else root(0.0, p_hat)
    high = 1.0 if k == n else root(p_hat, 1.0)
    return low, high


def test_eight_of_ten_is_0_490_to_0_943():
    low, high = wilson(8, 10)
    assert (round(low, 3), round(high, 3)) == (0.490, 0.943)


@pytest.mark.parametrize(
    ("k", "n", "expected"),
    [
        # Hand-worked: z² = 3.8415; 0 of 10 -> centre = half = 0.19207/1.38415 = 0.1388 -> (0, 0.278)
        (0, 10, (0.000, 0.278)),
        (10, 10, (0.722, 1.000)),
        # 5 of 5: centre (1 + 0.3841)/1.7683 = 0.7827, half 0.2173 -> (0.566, 1)
        (5, 5, (0.566, 1.000)),
        # Newcombe 1998, Table I (method 3): 81/263 -> 0.2553–0.3662, 15/148 -> 0.0624–0.1605
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
    ],
)
def test_hand_worked_and_published_intervals(k, n, expected):
    low, high = wilson(k, n)
    assert math.isclose(low, expected[0], abs_tol=6e-4) and math.isclose(high, expected[1], abs_tol=6e-4)


@pytest.mark.parametrize(
    ("k", "n"), [(k, n) for n in (1, 2, 5, 7, 12, 40, 250) for k in range(0, n + 1, max(1, n // 6))]
)
def test_wilson_equals_the_reference_roots(k, n):
    low, high = wilson(k, n)
    ref_low, ref_high = reference_wilson(k, n)
    assert math.isclose(low, ref_low, abs_tol=1e-6) and math.isclose(high, ref_high, abs_tol=1e-6)


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError, match="at least one answer"):
        wilson(0, 0)
    with pytest.raises(ValueError, match="between 0 and n"):
        wilson(11, 10)


def test_differs_only_when_the_national_value_lies_outside_the_interval():
    protected = INDICATOR["facilitators.protected_time"]  # national GP 79, PM 55
    eight_of_ten = Figure(protected, "all", 8, 10)  # 0.490–0.943: both inside
    assert not eight_of_ten.differs_from_gp and not eight_of_ten.differs_from_pm
    ten_of_ten = Figure(protected, "all", 10, 10)  # 0.722–1: 79 inside, 55 outside
    assert not ten_of_ten.differs_from_gp and ten_of_ten.differs_from_pm
    no_national = Figure(INDICATOR["tools_used.spc_charts"], "all", 0, 10)
    assert not no_national.differs_from_gp and not no_national.differs_from_pm


def person(role="nurse", **answers):
    return {"role": role, **answers}


def test_counts_leave_out_dont_know_and_not_applicable_from_the_base():
    responses = [
        person(quality="above"),
        person(quality="well_above"),
        person(quality="below"),
        person(quality="dont_know"),
        person(),  # did not answer
        person(facilitators={"teamwork": "very", "protected_time": "na"}),
        person(facilitators={"teamwork": "not_very", "protected_time": "fairly"}),
    ]
    assert count(INDICATOR["quality.above"], responses) == (2, 3)
    assert count(INDICATOR["quality.below"], responses) == (1, 3)
    assert count(INDICATOR["facilitators.teamwork"], responses) == (1, 2)
    assert count(INDICATOR["facilitators.protected_time"], responses) == (1, 1)


def test_multi_choice_counts_everyone_who_answered_the_question():
    responses = [
        person(tools_used=["audit", "sea"]),
        person(tools_used=["none"]),
        person(tools_used=["pdsa"]),
        person(),
        person(areas=["none"]),
        person(areas=["access", "prescribing"]),
    ]
    assert count(INDICATOR["tools_used.audit"], responses) == (1, 3)
    assert count(INDICATOR["tools_used.run_charts"], responses) == (0, 3)
    assert count(INDICATOR["areas.any"], responses) == (1, 2)


def test_nothing_is_shown_with_four_responses_and_all_staff_with_five():
    four = [person(ease="agree")] * 4
    assert score(four).suppressed and score(four).figures == {}
    five = [person(ease="agree")] * 4 + [person(ease="disagree")]
    report = score(five)
    assert not report.suppressed
    figure = report.figure("ease.agree")
    assert (figure.k, figure.n) == (4, 5)


def test_a_role_group_is_shown_at_five_and_merged_into_all_staff_at_four():
    gps = [person("gp_partner", ease="agree")] * 5
    nurses4 = [person("nurse", ease="disagree")] * 4
    report = score(gps + nurses4 + [person("pharmacist", ease="agree")])  # 5 clinical
    assert report.groups == ["clinical", "gp"]
    assert report.figure("ease.agree", "clinical").n == 5
    # 4 clinical (hidden): showing both other groups would give them away by subtraction, so one more is hidden.
    report = score(gps + nurses4 + [person("reception_admin", ease="agree")] * 5)
    assert report.groups == ["gp"]
    assert report.figure("ease.agree", "clinical") is None and report.figure("ease.agree", "admin_other") is None
    assert report.figure("ease.agree").n == 14


def test_a_hidden_group_cannot_be_found_by_subtraction():
    # 5 GPs, 6 admin, 1 practice manager: showing both GPs and admin would reveal the manager's answers.
    responses = [person("gp_salaried", ease="agree")] * 5 + [person("reception_admin", ease="agree")] * 6
    responses += [person("practice_manager", ease="strongly_disagree")]
    report = score(responses)
    assert report.groups == ["admin_other"]  # the smallest shown group (GPs) is hidden too: 6 hidden in all
    assert shown_groups({"a": 5, "b": 6, "c": 1}, 12) == ["b"]
    assert shown_groups({"a": 5, "b": 6}, 11) == ["a", "b"]
    assert shown_groups({"a": 5, "b": 6, "c": 5}, 16) == ["a", "b", "c"]
    assert shown_groups({"a": 5, "b": 1}, 6) == []
    assert shown_groups({"a": 4}, 4) == []


def test_the_same_rules_hold_for_each_figures_base():
    # Everyone gives a role; only 4 answer the ease question: no ease figure at all.
    responses = [person("gp_partner")] * 6 + [person("gp_partner", ease="agree")] * 4
    report = score(responses)
    assert report.figure("ease.agree") is None
    assert report.figure("ease.agree", "gp") is None


def test_gp_and_practice_manager_compared_only_when_both_have_five():
    gps = [person("gp_partner", ease="agree")] * 5
    managers = [person("practice_manager", ease="agree")] * 5
    assert score(gps + managers).compares_gp_and_pm
    assert not score(gps + managers[:4] + [person("nurse")] * 5).compares_gp_and_pm


def test_network_views_publish_counts_through_disclosure_control():
    responses = [person("gp_partner", ease="agree")] * 12 + [person("nurse", ease="disagree")] * 9
    report = disclosed(score(responses))
    figure = report.figure("ease.agree")
    assert (figure.k, figure.n) == (10, 20)  # 12 -> 10, 21 -> 20
    assert report.groups == [] and report.figure("ease.agree", "gp") is None
    few = disclosed(score([person(ease="agree")] * 7))
    assert few.suppressed and few.figures == {}


def test_free_text_only_once_closed_and_with_enough_responses():
    assert not free_text_shown(MIN_RESPONSES, closed=False)
    assert not free_text_shown(MIN_RESPONSES - 1, closed=True)
    assert free_text_shown(MIN_RESPONSES, closed=True)


def test_bad_answers_are_refused_with_the_question_named():
    with pytest.raises(AnswerError, match="not a question"):
        clean_answers({"shoe_size": "9"})
    with pytest.raises(AnswerError, match="easy for staff"):
        clean_answers({"ease": "maybe"})
    with pytest.raises(AnswerError, match="None"):
        clean_answers({"tools_used": ["none", "audit"]})
    with pytest.raises(AnswerError, match="not listed"):
        clean_answers({"facilitators": {"teamwork": "brilliant"}})


def test_an_incomplete_response_says_what_is_left():
    answers = clean_answers({"role": "nurse", "ease": "agree", "facilitators": {"teamwork": "very"}, "areas": []})
    assert answers == {"role": "nurse", "ease": "agree", "facilitators": {"teamwork": "very"}}
    left = unanswered(answers)
    assert any("(11 of 12 rows)" in item for item in left)
    assert not any("easy for staff" in item for item in left)
    assert any("neighbouring practices" in item for item in left)
