"""The staff QI survey's questions, versioned, each scored figure with its national comparator.

The national survey's own questionnaire is not published: its authors make it available only on request
(Gosling et al., BMJ Open Quality 2021). These questions are therefore **reconstructed from the published
tables** (``qiloop.survey.national``): same topics, same answer scales where the tables name them (4-point
"helpful" for facilitators, 4-point "more difficult" for barriers, 5-point agreement), so a practice's
figure is comparable with the national one — but the wording is ours, and comparisons are approximate.

Version ``igps2017-derived-v1``. A change of wording or options makes a new version: a round records the
version it was run with, and rounds are compared across versions only item by item where ids match.

Answers are a plain dict keyed by question id:

* ``single`` — one option value: ``{"ease": "agree"}``;
* ``multi`` — a list of option values: ``{"tools_used": ["audit", "sea"]}``;
* ``grid`` — statement -> option value: ``{"facilitators": {"teamwork": "very"}}``;
* ``text`` — a string (the free-text question, checked by ``qiloop.text_safety`` before it is stored).

An :class:`Indicator` is one scored figure: the share of people answering (``base``, which leaves out
"don't know" and "not applicable", as the national figures do) whose answer is one of ``positive``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qiloop.survey.national import National, national

VERSION = "igps2017-derived-v1"
QUESTIONNAIRE_NOTE = (
    "Reconstructed from the published tables of the 2017 national survey of GPs and practice managers "
    "(Gosling et al., BMJ Open Quality 2021;10:e001309; Health Foundation 2019). The original questionnaire "
    "is available only on request from its authors, so the wording here is ours."
)

SINGLE, MULTI, GRID, TEXT = "single", "multi", "grid", "text"


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    kind: str
    options: tuple[Option, ...] = ()
    statements: tuple[Option, ...] = ()  # grid rows
    excluded: frozenset[str] = frozenset()  # answers left out of every base: don't know, not applicable
    exclusive: frozenset[str] = frozenset()  # multi: an option that cannot go with others ("none of these")
    hint: str = ""

    def option_values(self) -> list[str]:
        return [o.value for o in self.options]

    def label_of(self, value: str) -> str:
        return next((o.label for o in self.options if o.value == value), value)


@dataclass(frozen=True)
class Indicator:
    """One scored figure: % of ``question``'s base (or of one ``statement`` of a grid) answering ``positive``."""

    id: str
    question: str
    label: str
    positive: frozenset[str]
    statement: str | None = None
    # Where the GP-versus-practice-manager gap is worth showing: the published figures differ by 10 points or more.
    national: National | None = field(default=None)

    @property
    def section(self) -> str:
        return self.question

    @property
    def gap_matters(self) -> bool:
        return self.national is not None and abs(self.national.gap) >= GAP_THAT_MATTERS


# The national GP and practice-manager figures "differ" (worth showing the practice's own gap beside) at
# 10 percentage points or more: protected time 79 vs 55, ease 65 vs 88, change management 20 vs 42...
GAP_THAT_MATTERS = 10

_O = Option
ROLE_GROUPS: tuple[Option, ...] = (
    _O("gp_partner", "GP partner"),
    _O("gp_salaried", "Salaried or locum GP"),
    _O("gp_trainee", "GP registrar (trainee)"),
    _O("practice_manager", "Practice manager or deputy"),
    _O("nurse", "Nurse or nursing associate"),
    _O("pharmacist", "Pharmacist"),
    _O("hca", "Healthcare assistant"),
    _O("reception_admin", "Reception, care navigation or administration"),
    _O("other", "Another role"),
)
# Reporting groups: the role answers merged, so that groups are big enough to show (see scoring).
REPORTING_GROUP: dict[str, str] = {
    "gp_partner": "gp",
    "gp_salaried": "gp",
    "gp_trainee": "gp",
    "practice_manager": "practice_manager",
    "nurse": "clinical",
    "pharmacist": "clinical",
    "hca": "clinical",
    "reception_admin": "admin_other",
    "other": "admin_other",
}
GROUP_LABELS: dict[str, str] = {
    "all": "All staff",
    "gp": "GPs",
    "practice_manager": "Practice managers",
    "clinical": "Nurses, pharmacists and HCAs",
    "admin_other": "Reception, admin and other roles",
    "not_given": "Role not given",
}

TOOLS: tuple[Option, ...] = (
    _O("audit", "Clinical audit"),
    _O("sea", "Significant event analysis"),
    _O("pdsa", "Plan-Do-Study-Act (PDSA) cycles"),
    _O("change_management", "Change management methods"),
    _O("rca", "Root cause analysis"),
    _O("process_mapping", "Process mapping"),
    _O("model_for_improvement", "The Model for Improvement"),
    _O("run_charts", "Run charts"),
    _O("spc_charts", "Statistical process control (SPC) charts"),
    _O("driver_diagrams", "Driver diagrams"),
    _O("fishbone", "Fishbone (cause and effect) diagrams"),
)
NONE_OF_THESE = _O("none", "None of these")

HELPFUL = (
    _O("very", "Very helpful"),
    _O("fairly", "Fairly helpful"),
    _O("not_very", "Not very helpful"),
    _O("not_at_all", "Not at all helpful"),
    _O("na", "Not applicable or don't know"),
)
DIFFICULT = (
    _O("much", "Much more difficult"),
    _O("somewhat", "Somewhat more difficult"),
    _O("slightly", "Slightly more difficult"),
    _O("not", "No more difficult"),
    _O("na", "Not applicable or don't know"),
)
FACILITATORS: tuple[Option, ...] = (
    _O("teamwork", "Working well together as a team"),
    _O("clinical_leadership", "Good clinical leadership"),
    _O("clinical_skills_assess", "Clinical staff have the skills to assess quality"),
    _O("routine_monitoring", "Routine monitoring of care and services"),
    _O("nonclinical_skills_assess", "Non-clinical staff have the skills to assess quality"),
    _O("clinical_trained", "Clinical staff trained in improvement"),
    _O("nonclinical_trained", "Non-clinical staff trained in improvement"),
    _O("protected_time", "Protected time to plan and work on improvement"),
    _O("information_range", "A wide range of information to evaluate services"),
    _O("patient_group", "An active patient participation group"),
    _O("external_support", "Other support from external organisations"),
    _O("external_funding", "Financial support from external organisations"),
)
BARRIERS: tuple[Option, ...] = (
    _O("patient_demand", "High level of patient demand"),
    _O("external_demands", "Too many demands from external stakeholders"),
    _O("clinical_shortages", "Clinical staff shortages"),
    _O("nonclinical_shortages", "Non-clinical staff shortages"),
    _O("skill_mix", "Not the right skill mix to plan and manage change"),
    _O("data", "Not enough data, or the wrong types of data"),
    _O("data_skills", "Lack of skills to manage or analyse data"),
    _O("gps_not_engaged", "Not all GPs engaged"),
    _O("nonclinical_not_engaged", "Not all non-clinical staff engaged"),
    _O("communication", "Communication problems in the practice"),
    _O("lack_of_interest", "Lack of interest in improvement"),
)
AREAS: tuple[Option, ...] = (
    _O("prescribing", "Prescribing"),
    _O("access", "Access and appointments"),
    _O("chronic_disease", "Chronic disease management"),
    _O("collaboration", "Working with other practices"),
    _O("end_of_life", "End-of-life care"),
    _O("safety", "Patient safety (significant events, results handling)"),
    _O("prevention", "Prevention and screening"),
    _O("other", "Something else"),
)

QUESTIONS: tuple[Question, ...] = (
    Question("role", "What is your role in the practice?", SINGLE, ROLE_GROUPS),
    Question(
        "quality",
        "How does the quality of care your practice gives compare with what your team expects of itself?",
        SINGLE,
        (
            _O("well_above", "Well above our expectations"),
            _O("above", "Above our expectations"),
            _O("as_expected", "About what we expect"),
            _O("below", "Below our expectations"),
            _O("well_below", "Well below our expectations"),
            _O("dont_know", "Don't know"),
        ),
        excluded=frozenset({"dont_know"}),
    ),
    Question(
        "lead",
        "Who leads quality improvement in your practice?",
        SINGLE,
        (
            _O("single_lead", "One named person leads it"),
            _O("shared", "Several people share it"),
            _O("nobody", "Nobody in particular"),
            _O("dont_know", "Don't know"),
        ),
        excluded=frozenset({"dont_know"}),
    ),
    Question(
        "areas",
        "In the last 12 months, in which areas has your practice done improvement work?",
        MULTI,
        (*AREAS, _O("none", "No improvement work in the last 12 months")),
        exclusive=frozenset({"none"}),
        hint="Select all that apply.",
    ),
    Question(
        "tools_used",
        "Which of these have you used in the last 12 months?",
        MULTI,
        (*TOOLS, NONE_OF_THESE),
        exclusive=frozenset({"none"}),
        hint="Select all that apply.",
    ),
    Question(
        "tools_trained",
        "In which of these have you been trained?",
        MULTI,
        (*TOOLS, NONE_OF_THESE),
        exclusive=frozenset({"none"}),
        hint="Select all that apply.",
    ),
    Question(
        "tools_wanted",
        "In which of these would you like training?",
        MULTI,
        (*TOOLS, NONE_OF_THESE),
        exclusive=frozenset({"none"}),
        hint="Select all that apply.",
    ),
    Question(
        "facilitators",
        "How helpful is each of these, or would it be, for improving quality in your practice?",
        GRID,
        HELPFUL,
        FACILITATORS,
        excluded=frozenset({"na"}),
    ),
    Question(
        "barriers",
        "How much more difficult does each of these make improving quality in your practice?",
        GRID,
        DIFFICULT,
        BARRIERS,
        excluded=frozenset({"na"}),
    ),
    Question(
        "ease",
        "“It is easy for staff in this practice to take part in improvement projects.”",
        SINGLE,
        (
            _O("strongly_agree", "Strongly agree"),
            _O("agree", "Agree"),
            _O("neither", "Neither agree nor disagree"),
            _O("disagree", "Disagree"),
            _O("strongly_disagree", "Strongly disagree"),
        ),
    ),
    Question(
        "other_practices",
        "In the last 12 months, has your practice worked with neighbouring practices to improve quality?",
        SINGLE,
        (_O("yes", "Yes"), _O("no", "No"), _O("dont_know", "Don't know")),
        excluded=frozenset({"dont_know"}),
    ),
    Question(
        "protected_time",
        "Last month, how much protected time did you have for improvement work?",
        SINGLE,
        (
            _O("none", "None"),
            _O("under_1h", "Less than 1 hour"),
            _O("1_4h", "1 to 4 hours"),
            _O("5_8h", "5 to 8 hours"),
            _O("over_8h", "More than 8 hours"),
            _O("dont_know", "Don't know"),
        ),
        excluded=frozenset({"dont_know"}),
        hint="Time set aside for it, not squeezed in around other work.",
    ),
    Question(
        "help_most",
        "What would help your practice most to improve quality?",
        TEXT,
        hint="Optional. Do not name or describe patients or colleagues. Only the practice manager reads these, "
        "after the survey closes.",
    ),
)
QUESTION: dict[str, Question] = {q.id: q for q in QUESTIONS}
FREE_TEXT = "help_most"


def _indicator(id: str, question: str, label: str, positive: set[str], statement: str | None = None) -> Indicator:
    return Indicator(id, question, label, frozenset(positive), statement, national(id))


def _indicators() -> tuple[Indicator, ...]:
    found = [
        _indicator(
            "quality.above", "quality", "Quality above or well above the team's expectations", {"above", "well_above"}
        ),
        _indicator(
            "quality.below", "quality", "Quality below or well below the team's expectations", {"below", "well_below"}
        ),
        _indicator("lead.no_single_lead", "lead", "No single person leads improvement", {"shared", "nobody"}),
        _indicator("areas.any", "areas", "Did improvement work in the last 12 months", {o.value for o in AREAS}),
        *(_indicator(f"areas.{o.value}", "areas", o.label, {o.value}) for o in AREAS),
    ]
    for question, what in (
        ("tools_used", "Used"),
        ("tools_trained", "Trained in"),
        ("tools_wanted", "Would like training in"),
    ):
        found += [_indicator(f"{question}.{o.value}", question, f"{what}: {o.label}", {o.value}) for o in TOOLS]
    found += [
        _indicator(f"facilitators.{s.value}", "facilitators", s.label, {"very", "fairly"}, s.value)
        for s in FACILITATORS
    ]
    found += [_indicator(f"barriers.{s.value}", "barriers", s.label, {"much", "somewhat"}, s.value) for s in BARRIERS]
    found += [
        _indicator(
            "ease.agree", "ease", "Easy to take part in improvement projects (agree)", {"agree", "strongly_agree"}
        ),
        _indicator("other_practices.yes", "other_practices", "Worked with neighbouring practices", {"yes"}),
        _indicator(
            "protected_time.any",
            "protected_time",
            "Had any protected time for improvement last month",
            {"under_1h", "1_4h", "5_8h", "over_8h"},
        ),
        _indicator("protected_time.over_4h", "protected_time", "Had 5 hours or more last month", {"5_8h", "over_8h"}),
    ]
    return tuple(found)


INDICATORS: tuple[Indicator, ...] = _indicators()
INDICATOR: dict[str, Indicator] = {i.id: i for i in INDICATORS}
SECTION_TITLES: dict[str, str] = {
    "quality": "Quality against the team's own expectations",
    "lead": "Who leads improvement",
    "areas": "Areas of improvement work in the last 12 months",
    "tools_used": "Tools used in the last 12 months",
    "tools_trained": "Tools trained in",
    "tools_wanted": "Tools people would like training in",
    "facilitators": "What helps (very or fairly helpful)",
    "barriers": "What gets in the way (much or somewhat more difficult)",
    "ease": "Ease of taking part",
    "other_practices": "Working with other practices",
    "protected_time": "Protected time last month",
}


class AnswerError(ValueError):
    """An answer that does not fit the instrument; the message says which question and what to do."""


def clean_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers with empty ones left out, checked against the instrument (raises :class:`AnswerError`)."""
    cleaned: dict[str, Any] = {}
    for key, value in answers.items():
        question = QUESTION.get(key)
        if question is None:
            raise AnswerError(f"“{key}” is not a question of survey {VERSION}; leave it out.")
        if value in (None, "", [], {}):
            continue
        allowed = set(question.option_values())
        if question.kind == SINGLE:
            if value not in allowed:
                raise AnswerError(f"{question.text} “{value}” is not one of its answers; choose one of those listed.")
        elif question.kind == MULTI:
            values = list(dict.fromkeys(value))
            if not set(values) <= allowed:
                raise AnswerError(f"{question.text} has an answer that is not listed; choose from those listed.")
            if len(values) > 1 and set(values) & question.exclusive:
                raise AnswerError(
                    f"{question.text} “None” cannot be chosen with other answers; choose one or the other."
                )
            value = values
        elif question.kind == GRID:
            rows = {s.value for s in question.statements}
            value = {k: v for k, v in dict(value).items() if v not in (None, "")}
            if not set(value) <= rows or not set(value.values()) <= allowed:
                raise AnswerError(
                    f"{question.text} has a row or an answer that is not listed; choose from those listed."
                )
            if not value:
                continue
        elif question.kind == TEXT:
            value = str(value).strip()
            if not value:
                continue
        cleaned[key] = value
    return cleaned


def unanswered(answers: Mapping[str, Any]) -> list[str]:
    """What is left to answer, in words: whole questions, and the rows of a grid not yet answered."""
    left = []
    for question in QUESTIONS:
        if question.kind == TEXT:
            continue  # optional
        value = answers.get(question.id)
        if question.kind == GRID:
            done = set(value or {})
            missing = [s for s in question.statements if s.value not in done]
            if len(missing) == len(question.statements):
                left.append(question.text)
            elif missing:
                left.append(f"{question.text} ({len(missing)} of {len(question.statements)} rows)")
        elif not value:
            left.append(question.text)
    return left


def reporting_group(answers: Mapping[str, Any]) -> str:
    """The reporting group of a response: its ``role_group`` when stored as one (the workbench keeps only the
    group, never the exact role), else from its ``role`` answer; ``not_given`` when there is neither."""
    if answers.get("role_group") in GROUP_LABELS:
        return str(answers["role_group"])
    return REPORTING_GROUP.get(str(answers.get("role", "")), "not_given")
