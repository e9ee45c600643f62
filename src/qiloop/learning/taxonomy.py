"""The LFPSE taxonomy v5 value sets a practice's learning events use, with their national codes.

Learn from Patient Safety Events (LFPSE) is NHS England's national service for recording patient safety
events. Its questions have ids (``OT001`` physical harm, ``L004`` location within the service, …) and its
answers have codes, published as FHIR code systems for the *patient-safety-adverse-event-5* profile. qiloop
stores the national code itself (as text: ``"3"`` is moderate physical harm), so an event's answers can be
copied into the national form unchanged (:mod:`qiloop.learning.sheet`); qiloop never submits to LFPSE.

Event types carry no national code in the published v5 code systems, so they are stored as qiloop keys
(``incident``, ``outcome``, ``risk``, ``good_care``) and the LFPSE sheet gives their words.

The contributory-factor categories are the SEIPS work-system elements (person, tasks, tools and technology,
organisation, internal and external environment) plus communication and information, as in NHS England's
PSIRF learning-response tools; they are qiloop's, not LFPSE's.

>>> PHYSICAL_HARM.label("3")
'Moderate physical harm'
>>> is_moderate_or_worse(physical_harm="5", psychological_harm="2")
True
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ValueSet:
    """One LFPSE value set: the FHIR code system's id, the question that asks it, and its codes in form order."""

    id: str  # the code system id, e.g. "level-of-physical-harm-5"
    question_id: str  # the LFPSE question id or profile element, e.g. "OT001"
    question: str  # the question, in words
    codes: tuple[tuple[str, str], ...]  # (code, display) in the order the national form lists them

    def as_dict(self) -> dict[str, str]:
        return dict(self.codes)

    def label(self, code: str | None) -> str:
        """The display for ``code`` (an empty string for no answer)."""
        if code in (None, ""):
            return ""
        try:
            return self.as_dict()[str(code)]
        except KeyError:
            raise ValueError(f"{code!r} is not a code of {self.question} ({self.id}).") from None

    def choices(self) -> list[tuple[str, str]]:
        return list(self.codes)

    def __contains__(self, code: object) -> bool:
        return str(code) in self.as_dict()


EVENT_TYPES = ValueSet(
    "event-type",
    "CL001",
    "Event type",
    (
        ("incident", "Patient safety incident"),
        ("outcome", "Poor patient outcome"),
        ("risk", "Risk"),
        ("good_care", "Good care"),
    ),
)

INVOLVED_AGENTS = ValueSet(
    "agent-type-5",
    "A001",
    "What people and or things were involved in the event",
    (
        ("4", "Medications"),
        ("3", "Devices"),
        ("9", "IT Systems or Software"),
        ("13", "Buildings or Infrastructure"),
        ("14", "Estates Services"),
        ("11", "Blood"),
        ("12", "Blood products"),
        ("8", "Tissues or Organs for transplant"),
        ("10", "None of the above"),
    ),
)

HEALTHCARE_PROCESS = ValueSet(
    "healthcare-process-5",
    "Process",
    "The process being undertaken when something went wrong",
    (
        ("1", "The patient was accessing healthcare, treatment, or advice"),
        ("2", "Admission or acceptance into healthcare"),
        (
            "3",
            "Assessment, evaluation, examination, history-taking, investigation, testing, measurement, "
            "surveillance or screening",
        ),
        ("4", "Diagnosis or decision-making"),
        ("5", "Planning or prescribing"),
        ("6", "Intervention, treatment, care provision, dispensing, selection or administering"),
        ("7", "Evaluation, review, monitoring or follow-up"),
        ("8", "Referral, escalation or change to a different service or setting"),
        ("9", "Discharge or ending a type of healthcare"),
        ("10", "Self-care or safety-netting"),
        ("11", "Not a direct part of healthcare delivery"),
        ("12", "I don't know"),
    ),
)

SERVICE_AREA_GP = "17"
SERVICE_AREA = ValueSet(
    "service-type-5",
    "L003",
    "Service area",
    ((SERVICE_AREA_GP, "GP including out-of-hours services and minor injury units"),),
)

LOCATION = ValueSet(
    "incident-location-5",
    "L004",
    "Location within service",
    (
        ("1", "Public place"),
        ("2", "Private home"),
        ("3", "Care home"),
        ("4", "Hospital"),
        ("10", "Mental health unit"),
        ("11", "General practice building"),
        ("12", "Community pharmacy"),
        ("5", "Another sort of healthcare building"),
        ("6", "Ambulance or other healthcare vehicle"),
        ("7", "Prison"),
        ("8", "No specific location"),
        ("9", "I don't know"),
    ),
)

PHYSICAL_HARM = ValueSet(
    "level-of-physical-harm-5",
    "OT001",
    "Physical harm",
    (
        ("5", "No physical harm"),
        ("4", "Low physical harm"),
        ("3", "Moderate physical harm"),
        ("2", "Severe physical harm"),
        ("1", "Fatal"),
    ),
)

PSYCHOLOGICAL_HARM = ValueSet(
    "level-of-psychological-harm-5",
    "OT002",
    "Psychological harm",
    (
        ("4", "No psychological harm"),
        ("3", "Low psychological harm"),
        ("2", "Moderate psychological harm"),
        ("1", "Severe psychological harm"),
    ),
)

STRENGTH_OF_ASSOCIATION = ValueSet(
    "strength-of-association-5",
    "StrengthOfAssociation",
    "How far the incident affected the outcome",
    (
        ("6", "The incident caused the outcome"),
        ("5", "The incident probably affected the outcome"),
        ("4", "The incident possibly affected the outcome"),
        ("3", "The incident was not related to the outcome"),
        ("2", "I don't know"),
    ),
)

AGE_BRACKETS = ValueSet(
    "age-brackets-5",
    "P007",
    "Age range",
    (
        ("1", "0-14 days"),
        ("2", "15-28 days"),
        ("3", "1-11 months"),
        ("4", "1-4 years"),
        ("5", "5-9 years"),
        ("6", "10-15 years"),
        ("7", "16 and 17 years"),
        ("8", "18-25 years"),
        ("9", "26-45 years"),
        ("10", "46-65 years"),
        ("11", "66-85 years"),
        ("12", "85+ years"),
    ),
)

RISK_THEMES = ValueSet(
    "risk-themes-5",
    "RiskTheme",
    "The theme of the risk",
    (
        ("1", "Staffing, workload, capacity or capability of services"),
        ("2", "Medical devices, including supply issues"),
        ("3", "Medication, including supply issues"),
        ("4", "Non-medical devices/equipment, including supply issues"),
        ("5", "Healthcare buildings, fixtures and fittings"),
        ("6", "Information Technology or transfer of information"),
        ("7", "Problems with administrative, governance or managerial systems and processes"),
        ("8", "Other"),
    ),
)

YES_NO_UNKNOWN = ValueSet(
    "yes-no-unknown-codes-5",
    "RI003",
    "Is there imminent risk of severe harm or death?",
    (("y", "Yes"), ("n", "No"), ("u", "I don't know")),
)

RISK_TIMEFRAMES = ValueSet(
    "risk-timeframes-5",
    "RiskTimeframe",
    "When the risk is most likely to cause harm",
    (("1", "Months"), ("2", "Years"), ("3", "I don't know"), ("4", "Other")),
)

REPORTER_INVOLVEMENT = ValueSet(
    "reporter-relationship-to-event-5",
    "ReporterInvolvement",
    "Your relationship to the event",
    (
        ("1", "I witnessed it but was not directly involved in the patient's care"),
        ("2", "I was told about it"),
        ("3", "I found it in a case record review or audit"),
        ("4", "I was helping provide the care when it happened"),
        ("5", "I don't want to say"),
        ("6", "Other"),
    ),
)

LEVEL_OF_CONCERN = ValueSet(
    "worry-scale-5",
    "LevelOfConcern",
    "How concerned are you about this event?",
    (("5", "Very concerned"), ("4", "Fairly concerned"), ("3", "Not very concerned"), ("1", "Not at all concerned")),
)

STAFF_TYPE = ValueSet(
    "staff-type-5",
    "ReporterRole",
    "Reporter's staff type",
    (
        ("1", "Additional clinical services staff, including ambulance services and pharmacy"),
        ("2", "Additional professional, scientific and technical staff, including social care"),
        ("3", "Allied health professional"),
        ("4", "Doctor or dentist"),
        ("5", "Nurse or midwife"),
        ("6", "Administrative and clerical staff"),
        ("7", "Estates and ancillary staff"),
        ("8", "Supplementary roles, including voluntary services"),
        ("9", "Other"),
    ),
)

CQC_CRITERIA = ValueSet(
    "cqc-criteria-5",
    "CQCCriteria",
    "Which CQC notification criteria apply",
    (
        ("1", "Death of a service user"),
        ("2", "Serious injury of a service user"),
        ("3", "Abuse or allegations of abuse"),
        ("4", "Events that stop or may stop a service running"),
    ),
)

GENDER = ValueSet(
    "gender-5",
    "Gender",
    "Gender",
    (("1", "Female"), ("2", "Male"), ("3", "I don't know"), ("4", "Withheld, not specified or other")),
)

#: Every LFPSE v5 value set above (event types excluded: they have no national code), by code system id.
LFPSE_VALUE_SETS: dict[str, ValueSet] = {
    vs.id: vs
    for vs in (
        INVOLVED_AGENTS,
        HEALTHCARE_PROCESS,
        LOCATION,
        PHYSICAL_HARM,
        PSYCHOLOGICAL_HARM,
        STRENGTH_OF_ASSOCIATION,
        AGE_BRACKETS,
        RISK_THEMES,
        YES_NO_UNKNOWN,
        RISK_TIMEFRAMES,
        REPORTER_INVOLVEMENT,
        LEVEL_OF_CONCERN,
        STAFF_TYPE,
        CQC_CRITERIA,
        GENDER,
    )
}

#: The staff type LFPSE asks for, from the reporter's qiloop role (a snapshot taken when they report).
STAFF_TYPE_BY_ROLE: dict[str, str] = {
    "gp": "4",
    "practice_nurse": "5",
    "healthcare_assistant": "1",
    "pharmacist": "2",
    "practice_manager": "6",
    "receptionist": "6",
    "health_secretary": "6",
}

# Harm codes at moderate or worse (the national codes count down as harm gets worse).
_MODERATE_OR_WORSE_PHYSICAL = frozenset({"3", "2", "1"})
_MODERATE_OR_WORSE_PSYCHOLOGICAL = frozenset({"2", "1"})


def is_moderate_or_worse(*, physical_harm: str | None, psychological_harm: str | None) -> bool:
    """Whether either harm grade is moderate, severe or fatal (which brings duty of candour and CQC decisions)."""
    return (physical_harm or "") in _MODERATE_OR_WORSE_PHYSICAL or (
        psychological_harm or ""
    ) in _MODERATE_OR_WORSE_PSYCHOLOGICAL


@dataclass(frozen=True)
class FactorCategory:
    key: str
    label: str
    hint: str
    fishbone: str  # the fishbone category (qiloop projects) this factor fills


#: Contributory-factor categories: the SEIPS work system, plus communication and information.
FACTOR_CATEGORIES: tuple[FactorCategory, ...] = (
    FactorCategory("person", "Person(s)", "skills, knowledge, fatigue, health, how people felt", "people"),
    FactorCategory("tasks", "Tasks", "what had to be done: workload, complexity, interruptions, time", "methods"),
    FactorCategory(
        "tools_technology", "Tools and technology", "clinical system, devices, templates, alerts", "equipment"
    ),
    FactorCategory(
        "organisation", "Organisation", "staffing, rotas, policies, training, leadership, culture", "policies"
    ),
    FactorCategory("internal_environment", "Internal environment", "space, noise, lighting, layout", "environment"),
    FactorCategory(
        "external_environment",
        "External environment",
        "other services, national policy, supply, demand from outside",
        "environment",
    ),
    FactorCategory(
        "communication", "Communication and information", "handovers, messages, letters, results, records", "materials"
    ),
)
FACTORS: dict[str, FactorCategory] = {f.key: f for f in FACTOR_CATEGORIES}
