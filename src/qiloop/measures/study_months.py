"""The published PINCER study's months beside qiloop's, for comparing with national PINCER figures.

qiloop evaluates month M on its last day (the reference date 31 March 2026 for March 2026). The published
PINCER study (OpenSAFELY pincer-measures) and its national medians evaluate each month on its first day, the
*index date*, looking back from it: the study's April 2026 (index date 1 April 2026) covers the same days as
qiloop's March 2026 to within one day. The study's index date for a qiloop month is therefore the day after
the month ends, and its label is the next month.

>>> import datetime as dt
>>> study_index_date(dt.date(2026, 3, 31))
datetime.date(2026, 4, 1)
>>> study_month_label(dt.date(2024, 12, 31))
'January 2025'
>>> comparison_sentence(dt.date(2026, 3, 31))
"qiloop's March 2026 (to 31 March 2026) is the published PINCER study's April 2026 (index date 1 April 2026): compare it with the national PINCER figures for April 2026."
"""

from __future__ import annotations

import datetime as dt

from qiloop.measures.model import Measure

STUDY = "PINCER"


def follows_published_study(measure: Measure) -> bool:
    """True when the measure is one of the published PINCER study's indicators (or their composites)."""
    return measure.source_indicator.startswith(STUDY)


def study_index_date(interval_end: dt.date) -> dt.date:
    """The published study's index date for the qiloop month ending on ``interval_end``: the next day."""
    return interval_end + dt.timedelta(days=1)


def study_month_label(interval_end: dt.date) -> str:
    """The published study's label for the qiloop month ending on ``interval_end`` ("April 2026")."""
    return study_index_date(interval_end).strftime("%B %Y")


def comparison_sentence(interval_end: dt.date) -> str:
    """One sentence telling a reader which published month a qiloop month matches."""
    index = study_index_date(interval_end)
    ours = interval_end.strftime("%B %Y")
    theirs = study_month_label(interval_end)
    return (
        f"qiloop's {ours} (to {interval_end.day} {interval_end:%B %Y}) is the published PINCER study's {theirs} "
        f"(index date {index.day} {index:%B %Y}): compare it with the national PINCER figures for {theirs}."
    )
