"""COPD measures: the register, the annual review, pulmonary rehabilitation and flu vaccination (QOF-derived).

Windows are QOF's "preceding 12 months": after the date 12 months before the reference date, up to and including
it (1 April – 31 March at a 31 March reference date).
"""

from __future__ import annotations

from qiloop.measures.language import Choice, Review, action_spec, clinical_events, measure
from qiloop.measures.library.common import (
    CHECKED_ON,
    DEVELOPER_CHECK,
    EVERYONE,
    LONG_TERM_CONDITIONS,
    QOF_V49,
    codelist,
    governance,
)
from qiloop.measures.library.registers import (
    coded_in_last,
    copd_register,
    newly_diagnosed,
    newly_registered,
    two_invitations_7_days_apart,
)
from qiloop.measures.model import Measure

QOF = "QOF 2024/25 (business rules v49)"

on_register = copd_register()
new_to_register = newly_diagnosed("copd", months=3) | newly_registered(months=3)

_fev1_fvc = clinical_events(codelist("fev1_fvc"))


def _last(name: str):
    return clinical_events(codelist(name)).last_date()


REGISTER = measure(
    id="copd_register",
    title="COPD register (prevalence)",
    denominator=EVERYONE,
    numerator=on_register,
    action_list=action_spec(
        who="not on the COPD register",
        action="check anyone with a COPD code for confirming spirometry",
        columns={
            "COPD — first recorded": clinical_events(codelist("copd")).first_date(),
            "Latest FEV1/FVC": _fev1_fvc.latest_value(),
            "FEV1/FVC date": _fev1_fvc.latest_value_date(),
        },
        order_by="COPD — first recorded",
        order="people with a COPD code first, most recent first",
    ),  # fmt: skip
    **governance(
        why_it_matters="Knowing who has COPD is the start of good care: a register that is too small means people "
        "are missing reviews, rehabilitation and vaccination.",
        description="Numerator: unresolved COPD code; if the first COPD code is on or after 1 April 2023, a post-bronchodilator "
        "FEV1/FVC reading showing obstruction (below 0.7, or below 70 when recorded as a percentage) from 93 "
        "days before to 186 days after that first code (both days included) is also needed. Denominator: every registered patient.",
        low_is_good=False,
        topic=LONG_TERM_CONDITIONS,
        source_indicator=f"{QOF} COPD015 (register with spirometry confirmation)",
        source_version="v49",
        tags=("copd", "register", "qof"),
        choices=(
            Choice(
                "Only post-bronchodilator FEV1/FVC codes confirm the diagnosis (QOF); pre-bronchodilator and "
                "unqualified ratios do not. The reading must lie from 93 days before to 186 days after the first COPD "
                "code, both days included (exact: no first-and-last-date shortcut).",
                part="numerator",
                uses=("fev1_fvc",),
                windows=(("copd", "first date, 93 days before to 186 after"),),
            ),
            Choice(
                "The 'spirometry not possible' exception has no verified code list and is not applied.",
                part="numerator",
            ),
        ),
        review=Review(
            DEVELOPER_CHECK,
            QOF_V49,
            CHECKED_ON,
            differences=("'spirometry not possible' exception not applied (no public code list found)",),
        ),
    ),
)

REVIEW = measure(
    id="copd010",
    title="COPD review with exacerbations and MRC breathlessness grade in the last 12 months",
    denominator=on_register,
    numerator=coded_in_last("copd_review") & coded_in_last("copd_exacerbation_count") & coded_in_last("mrc_grade"),
    exclusions=new_to_register
    | coded_in_last("copd_pca_unsuitable")
    | coded_in_last("copd_pca_dissent")
    | two_invitations_7_days_apart("copd_invite"),
    action_list=action_spec(
        who="on the COPD register without a complete review (review, exacerbations and MRC grade) in the last 12 "
        "months",
        action="invite them for a COPD review",
        columns={
            "Last COPD review": _last("copd_review"),
            "Exacerbation count — last recorded": _last("copd_exacerbation_count"),
            "MRC grade — last recorded": _last("mrc_grade"),
        },
        order_by="Last COPD review",
        order="longest since the last review first, never reviewed at the top",
        descending=False,
        missing_first=True,
    ),  # fmt: skip
    **governance(
        why_it_matters="An annual COPD review checks breathlessness, inhaler use, flare-ups and smoking, and is when "
        "treatment is adjusted; people without one are more likely to be admitted to hospital.",
        description="Denominator: the COPD register. Numerator: in the last 12 months, a COPD review code, a record "
        "of the number of exacerbations in the past year and an MRC breathlessness grade (not necessarily on the "
        "same day). Personalised care adjustments (removed only if the numerator is not met): in the last 12 months, "
        "excepted from COPD indicators as unsuitable or for informed dissent, or two or more review invitations "
        "with the first and last at least 7 days apart; or first COPD code or registration in the last 3 months.",
        low_is_good=False,
        topic=LONG_TERM_CONDITIONS,
        source_indicator=f"{QOF} COPD010",
        source_version="v49",
        tags=("copd", "review", "qof"),
        choices=(
            Choice(
                "QOF's 'number of exacerbations recorded' is required in the numerator (COPDEXACB_COD-style list).",
                part="numerator",
                uses=("copd_exacerbation_count",),
                windows=(("copd_exacerbation_count", "in the last 12 months"),),
            ),
            Choice(
                "Two review invitations in the last 12 months, at least 7 days apart, are a personalised care "
                "adjustment.",
                part="exclusions",
                uses=("copd_invite",),
                windows=(("copd_invite", "in the last 12 months"),),
            ),
            Choice(
                "Unsuitable and informed dissent in the last 12 months are personalised care adjustments; so is a "
                "first COPD code or registration in the last 3 months.",
                part="exclusions",
                uses=("copd_pca_unsuitable", "copd_pca_dissent"),
            ),
        ),
        review=Review(
            DEVELOPER_CHECK,
            QOF_V49,
            CHECKED_ON,
            differences=("exacerbation-count and invitation code lists are qiloop-curated (see docs/codelists.md)",),
        ),
    ),
)

_mrc3_first = clinical_events(codelist("mrc_grade_3_plus")).in_last(months=12).first_date()
_referral_last = clinical_events(codelist("pulmonary_rehab_referral")).last_date()

REHAB = measure(
    id="copd014",
    title="Pulmonary rehabilitation referral for COPD with MRC grade 3 or above",
    denominator=on_register & coded_in_last("mrc_grade_3_plus"),
    numerator=_referral_last >= _mrc3_first,
    exclusions=new_to_register
    | clinical_events(codelist("pulmonary_rehab_attended")).exists()
    | coded_in_last("pulmonary_rehab_unsuitable")
    | coded_in_last("copd_pca_dissent"),
    action_list=action_spec(
        who="with COPD and MRC grade 3 or above not referred to pulmonary rehabilitation since that grade was recorded",
        action="offer a referral to pulmonary rehabilitation",
        columns={
            "MRC grade 3 or above — first in the last 12 months": _mrc3_first,
            "Pulmonary rehabilitation referral — last": _referral_last,
        },
        order_by="MRC grade 3 or above — first in the last 12 months",
        order="longest waiting first",
        descending=False,
    ),  # fmt: skip
    **governance(
        why_it_matters="Pulmonary rehabilitation improves breathlessness, exercise capacity and quality of life and "
        "cuts admissions for people limited by breathlessness (MRC grade 3 or worse).",
        description="Denominator: the COPD register with an MRC grade of 3, 4 or 5 in the last 12 months. Numerator: "
        "a referral to pulmonary rehabilitation on or after the first such MRC grade. Personalised care adjustments "
        "(removed only if the numerator is not met): pulmonary rehabilitation attended before; unsuitable for pulmonary "
        "rehabilitation or informed dissent from COPD indicators in the last 12 months; first COPD code or registration in the last 3 months. The referral code list is a placeholder (see docs/codelists.md).",
        low_is_good=False,
        topic=LONG_TERM_CONDITIONS,
        source_indicator=f"{QOF} COPD014 (formerly COPD008)",
        source_version="v49",
        tags=("copd", "pulmonary rehabilitation", "qof"),
        choices=(
            Choice(
                "The referral list is a placeholder (QOF PULRHBREF_COD: no public copy of its codes found).",
                part="numerator",
                uses=("pulmonary_rehab_referral",),
            ),
            Choice(
                "Pulmonary rehabilitation attended at any time before is a personalised care adjustment.",
                part="exclusions",
                windows=(("pulmonary_rehab_attended", "on or before the reference date"),),
            ),
        ),
        provisional="the pulmonary-rehabilitation referral code list is an unverified placeholder: no public source "
        "gives the SNOMED CT content of QOF's PULRHBREF_COD (searched: code, documentation, issue and web corpora, "
        "November and December 2026). Do not compare this measure with QOF achievement until it is replaced.",
        review=Review(
            DEVELOPER_CHECK,
            QOF_V49,
            CHECKED_ON,
            status="provisional",
            differences=(
                "referral codes unverified (placeholder)",
                "'unavailable' and 'declined' PCAs have no verified code lists and are not applied",
            ),
        ),
    ),
)

FLU_SEASON_START = {"month": 8, "day": 1}
"""The flu season runs from 1 August (QOF COPD007: 1 August to 31 March)."""

FLU = measure(
    id="copd_flu",
    title="Flu vaccination this season for people with COPD",
    denominator=on_register,
    numerator=clinical_events(codelist("flu_vaccination")).since_last(**FLU_SEASON_START).exists(),
    action_list=action_spec(
        who="with COPD not vaccinated against flu this season",
        action="offer a flu vaccination",
        columns={"Last flu vaccination": _last("flu_vaccination")},
        order_by="Last flu vaccination",
        order="longest since the last vaccination first, never vaccinated at the top",
        descending=False,
        missing_first=True,
    ),
    **governance(
        why_it_matters="Flu can cause severe COPD flare-ups; vaccination reduces admissions and deaths.",
        description="Denominator: the COPD register. Numerator: a seasonal flu vaccination since the most recent 1 "
        "August on or before the reference date (the season so far: at 31 March, 1 August to 31 March; at 31 August, "
        "1 to 31 August). Monthly values climb through the autumn and restart each August; the 31 March value (or "
        "financial-year intervals) is the season figure.",
        low_is_good=False,
        topic=LONG_TERM_CONDITIONS,
        source_indicator="QOF COPD007 (retired 2021/22; now in the PCN scheme)",
        source_version="QOF 2020/21",
        tags=("copd", "vaccination"),
        choices=(
            Choice(
                "Counts vaccinations since each 1 August (the season so far), not a rolling window: monthly "
                "values restart every August.",
                part="numerator",
                windows=(("flu_vaccination", "since the most recent 1 August (on or before the reference date)"),),
            ),
        ),
        review=Review(
            DEVELOPER_CHECK,
            "QOF 2020/21 business rules (COPD007, the last year it was in QOF)",
            CHECKED_ON,
            differences=("COPD007 is retired; the season window follows its 1 August to 31 March",),
        ),
    ),
)


def measures() -> list[Measure]:
    """The COPD measures."""
    return [REGISTER, REVIEW, REHAB, FLU]
