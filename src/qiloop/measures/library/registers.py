"""QOF-style disease registers and personalised care adjustments (PCAs), shared by the COPD and QOF measures.

A register is an unresolved diagnosis on the reference date: the latest diagnosis code is later than the latest
"resolved" code (or there is none); a diagnosis and a resolution on the same day count as resolved.
"""

from __future__ import annotations

import datetime as dt

from qiloop.measures.language import BoolSeries, age, clinical_events, registration_start_date, unresolved
from qiloop.measures.library.common import codelist

# QOF 2023/24 onwards: a COPD diagnosis on or after this date needs spirometry confirmation.
COPD_SPIROMETRY_FROM = dt.date(2023, 4, 1)
# FEV1/FVC values above 1 are percentages (65 = 0.65).
OBSTRUCTION_RATIO = 0.7


def _register(diagnosis: str, resolved: str) -> BoolSeries:
    return unresolved(codelist(diagnosis), codelist(resolved))


# QOF: the confirming spirometry may be up to 93 days before and 186 days after the first COPD diagnosis.
SPIROMETRY_DAYS_BEFORE = 93
SPIROMETRY_DAYS_AFTER = 186


def copd_spirometry_confirms() -> BoolSeries:
    """A post-bronchodilator FEV1/FVC reading showing obstruction from 93 days before to 186 days after the first COPD code.

    Obstruction: below 0.7, or below 70 when the reading is recorded as a percentage (values above 1).
    """
    readings = clinical_events(codelist("fev1_fvc"))
    copd = codelist("copd")
    as_ratio = readings.where_value(lt=OBSTRUCTION_RATIO)
    as_percentage = readings.where_value(gt=1, lt=OBSTRUCTION_RATIO * 100)
    return (
        as_ratio.near_first(copd, days_before=SPIROMETRY_DAYS_BEFORE, days_after=SPIROMETRY_DAYS_AFTER).exists()
        | as_percentage.near_first(copd, days_before=SPIROMETRY_DAYS_BEFORE, days_after=SPIROMETRY_DAYS_AFTER).exists()
    )


def copd_register() -> BoolSeries:
    """On the COPD register: unresolved COPD; a first diagnosis on or after 1 April 2023 also needs confirming spirometry."""
    first_diagnosis = clinical_events(codelist("copd")).first_date()
    return _register("copd", "copd_resolved") & ((first_diagnosis < COPD_SPIROMETRY_FROM) | copd_spirometry_confirms())


def hypertension_register() -> BoolSeries:
    """On the hypertension register (all ages)."""
    return _register("hypertension", "hypertension_resolved")


def diabetes_register() -> BoolSeries:
    """On the diabetes register: unresolved diabetes, aged 17 or over."""
    return _register("diabetes", "diabetes_resolved") & (age >= 17)


def asthma_register() -> BoolSeries:
    """On the asthma register: unresolved asthma, aged 6 or over.

    QOF also requires an asthma-related drug in the last 12 months; qiloop has no verified list of those yet, so
    that condition is not applied (the register is a superset of QOF's).
    """
    return _register("asthma", "asthma_resolved") & (age >= 6)


def af_register() -> BoolSeries:
    """On the atrial fibrillation register."""
    return _register("atrial_fibrillation", "atrial_fibrillation_resolved")


def newly_diagnosed(diagnosis: str, *, months: int) -> BoolSeries:
    """First diagnosis code within the last ``months`` months (a QOF PCA reason)."""
    return clinical_events(codelist(diagnosis)).first_date().is_after(months_ago=months)


def newly_registered(*, months: int) -> BoolSeries:
    """Current registration began within the last ``months`` months (a QOF PCA reason)."""
    return registration_start_date.is_after(months_ago=months)


def coded_in_last(name: str, *, months: int = 12) -> BoolSeries:
    return clinical_events(codelist(name)).in_last(months=months).exists()


def two_invitations_7_days_apart(name: str) -> BoolSeries:
    """Two or more invitations in the last 12 months, the first and last at least 7 days apart (a QOF PCA reason)."""
    invitations = clinical_events(codelist(name)).in_last(months=12)
    return invitations.last_date() >= invitations.first_date().plus_days(7)
