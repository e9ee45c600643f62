"""Ready-made audits: a title, a reason and criteria with their references and standards.

The statements are starting points: the team edits and confirms them for their practice. A criterion from the
library names its measure (the right way round: high is good); a manual one takes counts by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from qiloop.audit.model import Criterion, Reason, StandardKind


@dataclass(frozen=True)
class AuditTemplate:
    key: str
    title: str
    reason: Reason
    reason_detail: str
    criteria: tuple[Criterion, ...]


TEMPLATES: dict[str, AuditTemplate] = {
    t.key: t
    for t in (
        AuditTemplate(
            "pincer_nsaid",
            "NSAID safety in people aged 65 and over (PINCER)",
            Reason.PRESCRIBING_DATA,
            "PINCER prescribing-safety indicator A: oral NSAIDs without gastro-protection in over-65s.",
            (
                Criterion(1, "Patients aged 65 and over prescribed an oral NSAID are also prescribed gastro-protection "
                          "(a PPI or H2 blocker).",
                          "NICE CKS NSAIDs – prescribing issues (gastrointestinal adverse effects); PINCER indicator "
                          "GI_P3A", 90, StandardKind.MINIMUM, "pincer_a_audit"),
            ),
        ),
        AuditTemplate(
            "methotrexate",
            "Methotrexate blood monitoring",
            Reason.GUIDELINE,
            "Shared-care monitoring of oral methotrexate (PINCER indicator MO_P15).",
            (
                Criterion(1, "Patients on methotrexate have had a full blood count in the last 3 months.",
                          "BSR/BHPR guideline for DMARD therapy (2017), monitoring schedule; PINCER MO_P15", 95,
                          StandardKind.MINIMUM, "pincer_me_fbc_audit"),
                Criterion(2, "Patients on methotrexate have had liver function tests in the last 3 months.",
                          "BSR/BHPR guideline for DMARD therapy (2017), monitoring schedule; PINCER MO_P15", 95,
                          StandardKind.MINIMUM, "pincer_me_lft_audit"),
            ),
        ),
        AuditTemplate(
            "copd_review",
            "COPD annual review with MRC breathlessness grade",
            Reason.GUIDELINE,
            "NICE NG115 and QOF COPD010: an annual review recording exacerbations and the MRC grade.",
            (
                Criterion(1, "Patients on the COPD register have had a review recording exacerbations and the MRC "
                          "breathlessness grade in the last 12 months.",
                          "NICE NG115 section 1.2 (follow-up); QOF COPD010", 90, StandardKind.OPTIMUM, "copd010"),
            ),
        ),
        AuditTemplate(
            "dna_follow_up",
            "Follow-up after missed appointments",
            Reason.LEARNING_EVENT,
            "A learning event about a vulnerable patient lost to follow-up after missed appointments.",
            (
                Criterion(1, "Patients who missed two or more appointments in a month were contacted by the practice "
                          "within two weeks.",
                          "Practice missed-appointments policy, section on follow-up; RCGP safeguarding toolkit", 80,
                          StandardKind.MINIMUM, None),
            ),
        ),
    )
}  # fmt: skip
