"""How far back a measure reads the records, and which months' results are complete.

A measure for one reference date reads events in windows counted back from that
date (``in_last(months=15)``, ``on_or_before(months_ago=3)``, "since the last
1 August"). When the data start later than the earliest day a window reaches, the
result for that reference date is computed from part of its look-back and is a
start-up artefact (a monitoring measure reads 0% because the earlier tests are not
in the extract), not news. :func:`earliest_day_read` walks the measure's nodes and
returns that day; :func:`incomplete` says which reference dates fall short.

Only windows over records count: the reference date itself and dates compared with
it (registration, ``DateAddDays``) read no history.

>>> import datetime as dt
>>> from qiloop.measures.language import age, clinical_events, measure
>>> from qiloop.measures.codes import Codes
>>> tests = clinical_events(Codes("t", frozenset({"1"}), "1", "snomedct"))
>>> m = measure(id="m", title="M", denominator=age >= 18, numerator=tests.in_last(months=15).exists(),
...               low_is_good=False)
>>> earliest_day_read(m, dt.date(2022, 6, 30))
datetime.date(2021, 4, 1)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from qiloop.measures.dates import Window
from qiloop.measures.model import (
    Aggregate,
    AppointmentAggregate,
    CoPrescribed,
    Measure,
    Unresolved,
    walk,
)
from qiloop.months import months_between


def windows(measure: Measure) -> list[Window]:
    """Every distinct window over records the measure's denominator, numerator and exclusions use."""
    found: dict[Window, None] = {}
    for root in measure.nodes():
        for node in walk(root):
            if isinstance(node, (Aggregate, AppointmentAggregate)):
                found.setdefault(node.query.window, None)
            elif isinstance(node, (Unresolved, CoPrescribed)):
                found.setdefault(node.window, None)
    return list(found)


def earliest_day_read(measure: Measure, reference: dt.date) -> dt.date:
    """The earliest day whose records the measure needs for ``reference`` to be complete.

    A window ``after < d <= until`` needs every day from ``after + 1 day``; an open window
    ("on or before 15 months ago") needs at least its ``until`` day (it reads everything up
    to there, so the data must reach back that far). The reference date when no window
    looks back.
    """
    return _earliest(windows(measure), reference)


def _earliest(read: list[Window], reference: dt.date) -> dt.date:
    earliest = reference
    for window in read:
        lower, upper = window.bounds(reference)
        needed = lower + dt.timedelta(days=1) if lower is not None else upper
        earliest = min(earliest, needed)
    return earliest


def lookback_months(measure: Measure, reference: dt.date = dt.date(2025, 3, 31)) -> int:
    """The measure's longest look-back in calendar months, as people say it ("15 months").

    Counted from a month end: the months from the earliest day read to ``reference``,
    the reference month included (a PINCER window's extra day does not add a month).
    """
    earliest = earliest_day_read(measure, reference)
    months = months_between(earliest, reference)
    return months + 1 if earliest.day == 1 and earliest < reference else months


def incomplete(measure: Measure, references: Iterable[dt.date], data_start: dt.date) -> list[bool]:
    """For each reference date, whether the measure's look-back reaches before ``data_start``."""
    read = windows(measure)  # walked once, not once per reference date
    return [_earliest(read, reference) < data_start for reference in references]
