"""QOF clinical indicators for hypertension, diabetes, atrial fibrillation and asthma.

"Preceding 12 months" = after the date 12 months before the reference date, up to and including it. Personalised
care adjustments (PCAs) are ``exclusions``: they remove a patient from the denominator only when the numerator is
not met, as QOF does.
"""

from __future__ import annotations

from typing import cast

from qiloop.measures.language import (
    BoolSeries,
    Choice,
    IntSeries,
    Review,
    action_spec,
    age,
    clinical_events,
    measure,
    medications,
    sex,
)
from qiloop.measures.library.common import (
    CHECKED_ON,
    DEVELOPER_CHECK,
    LONG_TERM_CONDITIONS,
    QOF_V49,
    any_of,
    codelist,
    governance,
)
from qiloop.measures.library.registers import (
    af_register,
    asthma_register,
    coded_in_last,
    diabetes_register,
    hypertension_register,
    newly_diagnosed,
    newly_registered,
    two_invitations_7_days_apart,
)
from qiloop.measures.model import Measure

QOF = "QOF 2024/25 (business rules v49)"

# --- hypertension ------------------------------------------------------------------------------------------------


def _latest(name: str):
    frame = clinical_events(codelist(name)).in_last(months=12)
    return frame.latest_value(), frame.latest_value_date()


def latest_reading_ok(systolic: str, diastolic: str, target: tuple[int, int]) -> BoolSeries:
    """The latest blood-pressure reading of one kind (clinic, or home/ambulatory) in the last 12 months is at target.

    QOF takes the latest date a blood pressure was recorded and, on that date, the lowest systolic and the lowest
    diastolic. The latest systolic and the latest diastolic must therefore share their date: a systolic-only
    reading after the last full reading is not paired with an older diastolic (it leaves the reading incomplete,
    so the target is not met).
    """
    sys_value, sys_date = _latest(systolic)
    dia_value, dia_date = _latest(diastolic)
    return (sys_date == dia_date) & (sys_value <= target[0]) & (dia_value <= target[1])


def bp_controlled(*, clinic: tuple[int, int], home: tuple[int, int]) -> BoolSeries:
    """The latest blood pressure reading in the last 12 months is at or below target.

    Clinic readings are held to ``clinic`` (systolic, diastolic); when the latest reading is a home or ambulatory
    average (later than the latest clinic reading) it is held to ``home``. Systolic and diastolic come from the same
    date (:func:`latest_reading_ok`); the lowest value counts when several share that date, as in QOF.
    """
    _, clinic_date = _latest("bp_systolic")
    _, home_date = _latest("bp_systolic_home")
    home_is_latest = (home_date > clinic_date) | (
        clinical_events(codelist("bp_systolic_home")).in_last(months=12).exists()
        & ~clinical_events(codelist("bp_systolic")).in_last(months=12).exists()
    )
    clinic_ok = latest_reading_ok("bp_systolic", "bp_diastolic", clinic)
    home_ok = latest_reading_ok("bp_systolic_home", "bp_diastolic_home", home)
    return (home_is_latest & home_ok) | (~home_is_latest & clinic_ok)


hypertension_pca = any_of(
    coded_in_last("hyp_max_therapy"),
    coded_in_last("hyp_pca_unsuitable"),
    coded_in_last("hyp_pca_dissent"),
    coded_in_last("bp_declined"),
    two_invitations_7_days_apart("hyp_invite"),
    newly_diagnosed("hypertension", months=9),
    newly_registered(months=9),
)

_PCA_TEXT = (
    "Personalised care adjustments (removed only if the numerator is not met) in the last 12 months: maximal "
    "tolerated therapy, unsuitable, informed dissent, BP declined, invitations at least 7 days apart; or diagnosed or "
    "registered in the last 9 months."
)


def _bp_columns() -> dict:
    clinic_sys, clinic_date = _latest("bp_systolic")
    clinic_dia, _ = _latest("bp_diastolic")
    home_sys, home_date = _latest("bp_systolic_home")
    home_dia, _ = _latest("bp_diastolic_home")
    return {
        "Latest clinic BP date": clinic_date,
        "Clinic systolic": clinic_sys,
        "Clinic diastolic": clinic_dia,
        "Latest home or ambulatory BP date": home_date,
        "Home systolic": home_sys,
        "Home diastolic": home_dia,
    }


def _hyp(id: str, code: str, title: str, ages: BoolSeries, clinic: tuple[int, int], home: tuple[int, int], who: str):
    return measure(
        id=id,
        title=title,
        denominator=hypertension_register() & ages,
        numerator=bp_controlled(clinic=clinic, home=home),
        exclusions=hypertension_pca,
        action_list=action_spec(
            who=f"with hypertension {who.removeprefix('people ')} whose latest blood pressure in the last 12 months "
            "is above target or not recorded",
            action="arrange a blood pressure check and review treatment",
            columns=_bp_columns(),
            order_by="Latest clinic BP date",
            order="no clinic reading in 12 months first, then the oldest reading",
            descending=False,
            missing_first=True,
        ),
        **governance(
            why_it_matters=f"Keeping blood pressure at target in {who} prevents strokes, heart attacks and kidney "
            "disease; it is one of the biggest gains a practice can make.",
            description=f"Denominator: the hypertension register, {who}. Numerator: latest BP in the last 12 months "
            f"at or below {clinic[0]}/{clinic[1]} (clinic) or {home[0]}/{home[1]} (home or ambulatory average, when "
            f"that is the latest). {_PCA_TEXT}",
            low_is_good=False,
            topic=LONG_TERM_CONDITIONS,
            source_indicator=f"{QOF} {code}",
            source_version="v49",
            tags=("hypertension", "qof"),
            choices=(
                Choice(
                    "Systolic and diastolic come from the same date: the latest date a reading was recorded, "
                    "lowest of each on that date (QOF), not the latest systolic and latest diastolic separately.",
                    part="numerator",
                    windows=(("bp_systolic", "in the last 12 months"), ("bp_diastolic", "in the last 12 months")),
                ),
                Choice(
                    "A home or ambulatory average later than the latest clinic reading is held to the home target "
                    "(the 80+ home target follows NICE).",
                    part="numerator",
                    uses=("bp_systolic_home", "bp_diastolic_home"),
                ),
                Choice(
                    "Two invitations in the last 12 months, first and last at least 7 days apart, are a "
                    "personalised care adjustment, as are maximal therapy, unsuitable, dissent and BP declined.",
                    part="exclusions",
                    uses=("hyp_invite", "hyp_max_therapy", "hyp_pca_unsuitable", "hyp_pca_dissent", "bp_declined"),
                ),
            ),
            review=Review(
                DEVELOPER_CHECK,
                QOF_V49,
                CHECKED_ON,
                differences=(
                    "the 9-month 'newly diagnosed / registered' window is not confirmed against the v49 text",
                ),
            ),
        ),
    )


HYP008 = _hyp("hyp008", "HYP008", "Blood pressure at target, hypertension aged 79 or under", age <= 79, (140, 90),
              (135, 85), "people aged 79 or under")  # fmt: skip
HYP009 = _hyp("hyp009", "HYP009", "Blood pressure at target, hypertension aged 80 or over", age >= 80, (150, 90),
              (145, 85), "people aged 80 or over")  # fmt: skip

# --- diabetes ------------------------------------------------------------------------------------------------------

frail = clinical_events(codelist("frailty_moderate_severe")).exists()
_hba1c = clinical_events(codelist("hba1c")).in_last(months=12).latest_value()
_hba1c_date = clinical_events(codelist("hba1c")).in_last(months=12).latest_value_date()
diabetes_pca = any_of(
    coded_in_last("dm_max_therapy"),
    coded_in_last("dm_pca_unsuitable"),
    two_invitations_7_days_apart("dm_invite"),
    newly_diagnosed("diabetes", months=9),
    newly_registered(months=9),
)


def _dm(id: str, code: str, title: str, frailty: BoolSeries, target: int, who: str, why: str) -> Measure:
    return measure(
        id=id,
        title=title,
        denominator=diabetes_register() & frailty,
        numerator=_hba1c <= target,
        exclusions=diabetes_pca,
        action_list=action_spec(
            who=f"with diabetes, {who}, whose latest HbA1c in the last 12 months is above {target} mmol/mol or not "
            "recorded",
            action="review their treatment, or arrange an HbA1c where none is recorded",
            columns={"Latest HbA1c (mmol/mol)": _hba1c, "HbA1c date": _hba1c_date},
            order_by="Latest HbA1c (mmol/mol)",
            order="highest HbA1c first, none recorded last",
        ),
        **governance(
            why_it_matters=why,
            description=f"Denominator: the diabetes register (aged 17+), {who}. Numerator: latest HbA1c in the last "
            f"12 months at or below {target} mmol/mol. Frailty is any moderate or severe frailty code on record. "
            "Personalised care adjustments (removed only if the numerator is not met): in the last 12 months, maximal "
            "tolerated diabetes therapy, unsuitable, or two invitations at least 7 days apart; or diagnosed or "
            "registered in the last 9 months. QOF's informed-dissent adjustment (DMPCADEC_COD) is not applied: no "
            "public copy of its codes was found.",
            low_is_good=False,
            topic=LONG_TERM_CONDITIONS,
            source_indicator=f"{QOF} {code}",
            source_version="v49",
            tags=("diabetes", "qof"),
            choices=(
                Choice(
                    "Frailty is any moderate or severe frailty code on record (frailty codes are not resolved).",
                    part="denominator",
                    windows=(("frailty_moderate_severe", "on or before the reference date"),),
                ),
                Choice(
                    "Maximal tolerated therapy, unsuitable and two invitations (QOF v49 PCAs) are applied; "
                    "informed dissent (DMPCADEC_COD) is not: no public copy of its codes was found.",
                    part="exclusions",
                    uses=("dm_max_therapy", "dm_pca_unsuitable", "dm_invite"),
                ),
            ),
            review=Review(
                DEVELOPER_CHECK,
                QOF_V49,
                CHECKED_ON,
                differences=("informed-dissent PCA (DMPCADEC_COD) not applied: no public code list found",),
            ),
        ),
    )


DM020 = _dm(
    "dm020",
    "DM020",
    "HbA1c 58 mmol/mol or less, diabetes without moderate or severe frailty",
    ~frail,
    58,
    "without moderate or severe frailty",
    "Good glucose control lowers the risk of eye, kidney, nerve and heart complications of diabetes.",
)
DM021 = _dm(
    "dm021",
    "DM021",
    "HbA1c 75 mmol/mol or less, diabetes with moderate or severe frailty",
    frail,
    75,
    "with moderate or severe frailty",
    "For frail people a gentler HbA1c target avoids the harms of low blood sugar while still preventing symptoms.",
)

# --- atrial fibrillation -----------------------------------------------------------------------------------------


def computed_chads2_vasc() -> IntSeries:
    """CHA2DS2-VASc computed from coded risk factors.

    Two points: aged 75+; stroke or TIA. One point each: heart failure, hypertension, diabetes, aged 65-74, female.
    Vascular disease (one point) is not counted: qiloop has no verified list for it yet, so the score can be
    under-estimated by one.
    """
    aged_75 = (age >= 75).as_int()
    stroke_or_tia = (clinical_events(codelist("stroke")).exists() | clinical_events(codelist("tia")).exists()).as_int()
    one_point = [
        clinical_events(codelist("pincer_heart_failure")).exists(),
        hypertension_register(),
        diabetes_register(),
        (age >= 65) & (age <= 74),
        sex == "female",
    ]
    score = aged_75 + aged_75 + stroke_or_tia + stroke_or_tia
    for condition in one_point:
        score = score + condition.as_int()
    return cast(IntSeries, score)  # a sum of whole numbers is an IntSeries (wrap() picks the class)


def computed_chads2_vasc_at_least_2() -> BoolSeries:
    return computed_chads2_vasc() >= 2


_latest_score = clinical_events(codelist("chads2_vasc_score")).latest_value()
_score_date = clinical_events(codelist("chads2_vasc_score")).latest_value_date()


def chads2_vasc_at_least_2() -> BoolSeries:
    """The latest recorded CHA2DS2-VASc score is 2 or more; with no recorded score, the computed score is 2 or more."""
    return (_latest_score >= 2) | (~(_latest_score >= 0) & computed_chads2_vasc_at_least_2())


af_new = newly_diagnosed("atrial_fibrillation", months=3) | newly_registered(months=3)
_AF_PCA = (
    "Personalised care adjustment (removed only if the numerator is not met): diagnosed or registered in the last "
    "3 months."
)

_previous_score = clinical_events(codelist("chads2_vasc_score")).on_or_before(months_ago=12).latest_value()

AF006 = measure(
    id="af006",
    title="Atrial fibrillation: stroke risk assessed with CHA2DS2-VASc in the last 12 months",
    denominator=af_register() & ~(_previous_score >= 2),
    numerator=clinical_events(codelist("chads2_vasc_score")).in_last(months=12).exists(),
    exclusions=af_new,
    action_list=action_spec(
        who="with atrial fibrillation without a CHA2DS2-VASc score in the last 12 months",
        action="assess and record their stroke risk",
        columns={"Last CHA2DS2-VASc score": _latest_score, "Score date": _score_date},
        order_by="Score date",
        order="longest since the last score first, never scored at the top",
        descending=False,
        missing_first=True,
    ),
    **governance(
        why_it_matters="The CHA2DS2-VASc score decides whether someone with AF should be offered anticoagulation; "
        "until it is recorded, people at high stroke risk can be missed.",
        description="Denominator: the AF register, except patients whose latest score recorded more than 12 months "
        "ago was already 2 or more (they need anticoagulation, not re-scoring). Numerator: a CHA2DS2-VASc score "
        f"recorded in the last 12 months. {_AF_PCA}",
        low_is_good=False,
        topic=LONG_TERM_CONDITIONS,
        source_indicator=f"{QOF} AF006",
        source_version="v49",
        tags=("atrial fibrillation", "stroke risk", "qof"),
        choices=(
            Choice(
                "'A previous score of 2 or more' is read as the latest score recorded 12 or more months ago; such "
                "patients are excluded even if re-scored this year.",
                part="denominator",
                windows=(("chads2_vasc_score", "on or before 12 months before the reference date"),),
            ),
        ),
    ),
)

AF008 = measure(
    id="af008",
    title="Atrial fibrillation with CHA2DS2-VASc 2 or more, on an anticoagulant",
    denominator=af_register() & chads2_vasc_at_least_2(),
    numerator=medications(codelist("anticoagulant")).in_last(months=6).exists(),
    exclusions=af_new,
    action_list=action_spec(
        who="with atrial fibrillation and CHA2DS2-VASc 2 or more not on an anticoagulant",
        action="discuss anticoagulation",
        columns={
            "Latest CHA2DS2-VASc score": _latest_score,
            "Score date": _score_date,
            "Anticoagulant — last issued": medications(codelist("anticoagulant")).last_date(),
        },
        order_by="Latest CHA2DS2-VASc score",
        order="highest recorded score first, no recorded score last",
    ),  # fmt: skip
    **governance(
        why_it_matters="Anticoagulation prevents about two in three AF-related strokes, which are often disabling "
        "or fatal.",
        description="Denominator: the AF register with a CHA2DS2-VASc score of 2 or more: the latest recorded score, "
        "or, for patients with no recorded score, the score computed from coded risk factors (age, sex, heart "
        "failure, hypertension, diabetes, stroke/TIA; vascular disease not counted). Numerator: an oral "
        f"anticoagulant issued in the last 6 months. {_AF_PCA}",
        low_is_good=False,
        topic=LONG_TERM_CONDITIONS,
        source_indicator=f"{QOF} AF008 (formerly AF007)",
        source_version="v49",
        tags=("atrial fibrillation", "anticoagulation", "qof"),
        choices=(
            Choice(
                "With no recorded CHA2DS2-VASc score, the score is computed from coded risk factors (vascular "
                "disease not counted); QOF uses the recorded score only.",
                part="denominator",
                uses=("chads2_vasc_score", "stroke", "tia", "pincer_heart_failure"),
            ),
            Choice(
                "Any oral anticoagulant in the last 6 months meets the numerator; QOF v49's DOAC-first rules "
                "(warfarin counts only with DOAC declined, contraindicated or not indicated) are not modelled.",
                part="numerator",
                windows=(("anticoagulant", "in the last 6 months"),),
            ),
        ),
        provisional="QOF v49's anticoagulation personalised care adjustments (declined, contraindicated) and "
        "DOAC-versus-warfarin rules are not applied: no public copy of their code lists was found (searched December "
        "2026: OpenCodelists copies of the PCD clusters ORANTICOAGDEC_COD, DOACDEC_COD, DOACCON_COD and the AF "
        "'patient unsuitable' exception, and their terms, in the code and web corpora).",
        review=Review(
            DEVELOPER_CHECK,
            QOF_V49,
            CHECKED_ON,
            status="provisional",
            differences=(
                "anticoagulation declined / contraindicated PCAs not applied",
                "warfarin counts without the DOAC declined/contraindicated/not-indicated condition",
                "computed score used when none is recorded (QOF: recorded score only)",
            ),
        ),
    ),
)

# --- asthma --------------------------------------------------------------------------------------------------------

AST_REVIEW = measure(
    id="ast_review",
    title="Asthma review in the last 12 months",
    denominator=asthma_register(),
    numerator=coded_in_last("asthma_review"),
    exclusions=newly_diagnosed("asthma", months=3) | newly_registered(months=3),
    action_list=action_spec(
        who="with asthma without an asthma review in the last 12 months",
        action="invite them for an asthma review",
        columns={"Last asthma review": clinical_events(codelist("asthma_review")).last_date()},
        order_by="Last asthma review",
        order="longest since the last review first, never reviewed at the top",
        descending=False,
        missing_first=True,
    ),
    **governance(
        why_it_matters="An annual asthma review (control, inhaler technique, action plan) prevents attacks and deaths; "
        "most asthma deaths follow missed warning signs.",
        description="Denominator: the asthma register (unresolved asthma, aged 6+; QOF's 'asthma drug in the last "
        "12 months' condition is not applied). Numerator: an asthma review code in the last 12 months. Personalised "
        "care adjustment: diagnosed or registered in the last 3 months.",
        low_is_good=False,
        topic=LONG_TERM_CONDITIONS,
        source_indicator=f"{QOF} AST007 (review; the ACT and exacerbation parts are not checked)",
        source_version="v49",
        tags=("asthma", "review", "qof"),
        choices=(
            Choice(
                "QOF's register also requires an asthma drug in the last 12 months; there is no verified list, so "
                "the register is a superset of QOF's.",
                part="denominator",
                uses=("asthma", "asthma_resolved"),
            ),
        ),
    ),
)


def measures() -> list[Measure]:
    """The QOF hypertension, diabetes, AF and asthma measures."""
    return [HYP008, HYP009, DM020, DM021, AF006, AF008, AST_REVIEW]
