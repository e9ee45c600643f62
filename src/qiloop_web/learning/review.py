"""The review's "did the change stick?" read from a library measure: its SPC verdict for the practice since the change.

The change is taken to start when the first action was agreed (else when the team met, else the event);
``qiloop.improvement.change.assess_change`` reads the practice's monthly series of the measure (as its
dashboard does) against the baseline before that month. Nothing is stored: the verdict is read afresh.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from qiloop.errors import QiloopError
from qiloop.improvement.change import assess_change
from qiloop.measures import all_measures
from qiloop_web.learning.models import LearningEvent


def change_started(event: LearningEvent) -> dt.date:
    first = event.action_links.select_related("task").order_by("task__created_at").first()
    if first is not None:
        return first.task.created_at.date()
    return event.meeting_on or event.occurred_on


def review_verdict(event: LearningEvent) -> str:
    """One sentence on the measure since the change (empty when no measure is linked)."""
    if not event.review_measure_id:
        return ""
    library = all_measures().get(event.review_measure_id)
    if library is None:
        return f"“{event.review_measure_id}” is no longer in the measure library."
    from qiloop_web.dashboard import pages

    loaded = pages.results()
    if loaded is None:
        return "The practice's measures have not been computed yet, so there is no verdict to show."
    rows = pages.practice_series(loaded, event.practice.code, library.id).sort_values("interval_start")
    x = [pd.Timestamp(v) for v in rows["interval_start"]]
    y = [float("nan") if pd.isna(v) else float(v) for v in rows["ratio"]]
    try:
        verdict = assess_change(
            x, y, pd.Timestamp(change_started(event)), low_is_good=library.low_is_good, label="the change"
        )
    except QiloopError as problem:
        return f"No verdict: {problem}"
    return f"{library.title}: {verdict.sentence}"
