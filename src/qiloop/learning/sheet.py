"""The LFPSE sheet: every answer of an event beside the LFPSE question it answers, to copy into the national form.

qiloop does not submit to LFPSE (its API is for accredited local risk management systems): a practice
records the event on the free LFPSE web form, and this sheet puts each answer next to the question id
it belongs to. Questions that do not apply to the event's type are left out, as the national form leaves
them out; a question with no answer yet says so.

Question ids are those NHS England's patient safety analysts use (``T005``, ``F001``, ``OT001`` …); where
the form's question has no short id the sheet names the taxonomy element (``StrengthOfAssociation``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from qiloop.learning.taxonomy import (
    AGE_BRACKETS,
    CQC_CRITERIA,
    EVENT_TYPES,
    HEALTHCARE_PROCESS,
    INVOLVED_AGENTS,
    LEVEL_OF_CONCERN,
    LOCATION,
    PHYSICAL_HARM,
    PSYCHOLOGICAL_HARM,
    REPORTER_INVOLVEMENT,
    RISK_THEMES,
    RISK_TIMEFRAMES,
    SERVICE_AREA,
    SERVICE_AREA_GP,
    STAFF_TYPE,
    STRENGTH_OF_ASSOCIATION,
    YES_NO_UNKNOWN,
    ValueSet,
)

NOT_ANSWERED = "(not answered yet)"

Row = tuple[str, str, str]


def _coded(vs: ValueSet, code: Any) -> str:
    if code in (None, ""):
        return NOT_ANSWERED
    return f"{vs.label(code)} ({code})"


def _many(vs: ValueSet, codes: Any) -> str:
    codes = [c for c in codes or [] if c not in (None, "")]
    return "; ".join(f"{vs.label(c)} ({c})" for c in codes) if codes else NOT_ANSWERED


def _text(value: Any) -> str:
    return str(value).strip() if value not in (None, "") and str(value).strip() else NOT_ANSWERED


def _yes_no(value: Any) -> str:
    return {True: "Yes", False: "No"}.get(value, NOT_ANSWERED)


def _when(event: Mapping[str, Any]) -> str:
    occurred = event.get("occurred_on")
    if not isinstance(occurred, date):
        return NOT_ANSWERED
    if event.get("date_approximate"):
        return f"{occurred:%B %Y} (approximate date)"
    return occurred.isoformat()


def lfpse_sheet(event: Mapping[str, Any]) -> list[Row]:
    """(question id, question, answer) for every LFPSE question the event's type asks, in the form's order."""
    kind = event.get("event_type")
    rows: list[Row] = [
        ("CL001", "Event type", EVENT_TYPES.label(kind) if kind else NOT_ANSWERED),
        ("T005", "Event date", _when(event)),
        ("L002", "Organisation (ODS code)", _text(event.get("organisation"))),
        ("L003", "Service area", _coded(SERVICE_AREA, SERVICE_AREA_GP)),
        ("L004", "Location within service", _coded(LOCATION, event.get("location"))),
        ("F001", "Describe what happened", _text(event.get("description"))),
    ]
    if kind == "good_care":
        rows += [
            ("StrengthsOfCare", "What went well", _text(event.get("strengths_of_care"))),
            ("HowFutureOccurrence", "How could this happen again", _text(event.get("how_to_repeat"))),
        ]
    elif kind == "risk":
        rows += [
            ("RiskTheme", "Theme of the risk", _coded(RISK_THEMES, event.get("risk_theme"))),
            (
                "RI003",
                "Is there imminent risk of severe harm or death?",
                _coded(YES_NO_UNKNOWN, event.get("risk_imminent")),
            ),
            (
                "RiskTimeframe",
                "When is the risk most likely to cause harm",
                _coded(RISK_TIMEFRAMES, event.get("risk_timeframe")),
            ),
        ]
    else:
        rows += [
            ("Process", "Healthcare process", _coded(HEALTHCARE_PROCESS, event.get("process"))),
            ("A001", "Involved agents", _many(INVOLVED_AGENTS, event.get("involved_agents"))),
        ]
        if "4" in (event.get("involved_agents") or []):
            rows.append(("A002", "Medicines involved", _text(event.get("medicines_involved"))))
        rows.append(("AC001", "What was done immediately to reduce harm", _text(event.get("immediate_actions"))))
        if kind == "incident":
            rows += [
                ("OT001", "Physical harm", _coded(PHYSICAL_HARM, event.get("physical_harm"))),
                ("OT002", "Psychological harm", _coded(PSYCHOLOGICAL_HARM, event.get("psychological_harm"))),
            ]
        rows.append(("OT003", "Clinical outcome for the patient", _text(event.get("clinical_outcome"))))
        if kind == "outcome":
            rows.append(
                (
                    "StrengthOfAssociation",
                    "How far the incident affected the outcome",
                    _coded(STRENGTH_OF_ASSOCIATION, event.get("strength_of_association")),
                )
            )
        rows += [
            ("Patients", "Number of patients involved", _text(event.get("patients_affected"))),
            ("P007", "Age range", _coded(AGE_BRACKETS, event.get("age_bracket"))),
        ]
    rows += [
        ("ReporterRole", "Your staff type", _coded(STAFF_TYPE, event.get("reporter_role"))),
        (
            "ReporterInvolvement",
            "Your relationship to the event",
            _coded(REPORTER_INVOLVEMENT, event.get("reporter_involvement")),
        ),
        ("LevelOfConcern", "How concerned are you", _coded(LEVEL_OF_CONCERN, event.get("level_of_concern"))),
    ]
    if kind in ("incident", "outcome"):
        rows += [
            ("DutyOfCandour", "Does the duty of candour apply", _yes_no(event.get("duty_of_candour"))),
            ("CQCNotifiable", "Must CQC be notified", _yes_no(event.get("cqc_notifiable"))),
        ]
        if event.get("cqc_notifiable"):
            rows.append(("CQCCriteria", "CQC notification criteria", _many(CQC_CRITERIA, event.get("cqc_criteria"))))
    rows.append(("CL021", "Reference number (LFPSE reference, once recorded)", _text(event.get("lfpse_reference"))))
    return rows
