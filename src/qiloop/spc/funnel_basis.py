"""What a practice's point on a network funnel plot counts: distinct patients or distinct appointments.

A funnel plot needs, for each practice, a numerator out of a denominator of
*independent* units. Measure results are monthly, and two kinds of monthly
count behave differently when months are put together:

* a **patient-state** measure (true/false per patient: "on an NSAID with
  eGFR below 45", "blood pressure 140/90 or less") counts each registered
  patient in every month's snapshot, so the sum of 12 months counts one
  patient up to 12 times (patient-months). The funnel uses the **latest
  month's snapshot**: each patient once, the measure exactly as the practice
  sees it on its dashboard;
* a measure that **counts rows falling in the month** (appointments starting
  in the month, for both the numerator and the denominator) puts each row
  in exactly one month, so the sum of the latest 12 months is the number of
  distinct appointments in the year.

Which kind a measure is comes from the measure model (:func:`funnel_basis`):
the denominator's type and, for a count, the table it counts and its time
window — never from a hand-kept list. Anything else (a count over a window
longer than a month, a sum of several counts) falls back to the latest
month's snapshot, which is always free of double counting.

:func:`published_counts` builds the per-practice counts for a set of
practices from a results table and puts them under the library's disclosure
control (:func:`qiloop.measures.disclosure.apply_disclosure_control`);
:func:`network_funnel` draws the statistics from them the way every network
view does: the network average as the centre line, standard errors that
allow for the rounding of published counts to 5, and the Spiegelhalter
additive (random-effects) overdispersion adjustment when the χ² test finds
overdispersion at the 5% level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from qiloop.measures.dates import Offset, Window
from qiloop.measures.disclosure import apply_disclosure_control
from qiloop.measures.model import Aggregate, AppointmentAggregate, Measure, Node, tables_used, type_of
from qiloop.measures.results import ratio
from qiloop.spc.funnel import FunnelResult, funnel

PERIOD_MONTHS = 12
ONE_MONTH = Window(after=Offset(months=1))
CENTRE_LABEL = "network average"
DISPERSION_ALPHA = 0.05  # the χ² test's level: limits are widened only for overdispersion found at 5%
OVERDISPERSION = "additive"  # Spiegelhalter's random-effects τ² (as the SHMI): widens big units' limits too
# Published counts are rounded to the nearest 5: an error of −2 to 2, variance 2 (uniform), in the numerator and
# the denominator. Allowed for in every standard error; on the identity scale, whose slope does not explode at 0%
# and 100% as the arcsine's does (a true 54 of 57 published as 55 of 55 must not be an outlier).
ROUNDING_VARIANCE = 2.0
MIN_PUBLISHED_SHARE = 0.5  # at least half the practices must have publishable counts, or the rest are a biased set

_COUNTED = {"appointments": "appointments", "medications": "prescriptions", "clinical_events": "recorded events"}


@dataclass(frozen=True)
class FunnelBasis:
    """How a measure's monthly results become one numerator and denominator per practice.

    ``counts``: what the denominator counts ("patients", "appointments", ...);
    ``months``: 1 for the latest month's snapshot, else how many months are summed;
    ``why``: one sentence for the documentation and the page.
    """

    counts: str
    months: int
    why: str

    @property
    def snapshot(self) -> bool:
        return self.months == 1

    def axis_title(self, first: dt.date, last: dt.date) -> str:
        """The funnel's x-axis title: what is counted and when ("Patients in the denominator, March 2026")."""
        what = "Patients in the denominator" if self.counts == "patients" else self.counts.capitalize()
        return f"{what}, {period_label(first, last)}"


DEMOGRAPHIC_TABLES = frozenset({"patients", "practice_registrations"})


def counts_published_population(measure: Measure) -> bool:
    """True when the denominator counts registered patients by age and sex alone (everyone, the over-65s ...).

    NHS England publishes every practice's registered list by age and sex each month, so a chart that shows
    such a denominator beside an anonymous label names the practice: network views do not draw one.
    """
    return type_of(measure.denominator) == "bool" and tables_used(measure.denominator) <= DEMOGRAPHIC_TABLES


def period_label(first: dt.date, last: dt.date) -> str:
    """ "March 2026" for one month, "April 2025 – March 2026" for several."""
    if (first.year, first.month) == (last.year, last.month):
        return f"{last:%B %Y}"
    return f"{first:%B %Y} – {last:%B %Y}"


def funnel_basis(measure: Measure, months: int = PERIOD_MONTHS) -> FunnelBasis:
    """Patients (latest month) or rows counted in the month (the latest ``months`` months summed), from the model."""
    if type_of(measure.denominator) == "bool":
        return FunnelBasis(
            counts="patients",
            months=1,
            why="The denominator is a state of each registered patient, so the latest month's snapshot is used: "
            "each patient counts once (a sum of monthly snapshots would count a patient up to 12 times).",
        )
    den_table = _monthly_count_table(measure.denominator)
    num_table = _monthly_count_table(measure.numerator)
    if den_table is not None and num_table == den_table:
        counted = _COUNTED.get(den_table, "rows")
        return FunnelBasis(
            counts=counted,
            months=months,
            why=f"The measure counts {counted} falling in each month, so each one is in exactly one month: "
            f"the latest {months} months are summed and every one of them counts once.",
        )
    counted = _COUNTED.get(den_table or _counted_table(measure.denominator) or "", "counted items")
    return FunnelBasis(
        counts=counted,
        months=1,
        why=f"The denominator counts {counted} over a window that is not one month, so months overlap: "
        "the latest month's snapshot is used so that nothing counts twice.",
    )


def _monthly_count_table(node: Node) -> str | None:
    """The table a one-month count reads ("appointments", "medications", ...), or None if ``node`` is not one."""
    if isinstance(node, AppointmentAggregate) and node.kind == "count" and node.query.window == ONE_MONTH:
        return "appointments"
    if isinstance(node, Aggregate) and node.kind == "count" and node.query.window == ONE_MONTH:
        return node.query.table
    return None


def _counted_table(node: Node) -> str | None:
    if isinstance(node, AppointmentAggregate):
        return "appointments"
    if isinstance(node, Aggregate):
        return node.query.table
    return None


@dataclass(frozen=True)
class PublishedCounts:
    """Each practice's numerator and denominator on the funnel's basis, under disclosure control.

    ``table``: columns ``practice_id, numerator, denominator, ratio`` (published:
    1–7 suppressed to missing, others rounded to 5); ``first``/``last``: the
    months covered (first days).
    """

    table: pd.DataFrame
    basis: FunnelBasis
    first: dt.date | None
    last: dt.date | None

    @property
    def axis_title(self) -> str:
        if self.first is None or self.last is None:
            return self.basis.counts.capitalize()
        return self.basis.axis_title(self.first, self.last)

    @property
    def usable(self) -> pd.DataFrame:
        """The practices with both counts published and a denominator above 0."""
        rows = self.table.dropna(subset=["numerator", "denominator"])
        return rows[rows["denominator"] > 0]

    @property
    def hidden(self) -> int:
        """Practices with results that cannot be shown: a count of 1–7 suppressed, or no patients."""
        return len(self.table) - len(self.usable)


def published_counts(
    results: pd.DataFrame, measure: Measure, practice_ids: list[str], *, months: int = PERIOD_MONTHS
) -> PublishedCounts:
    """The practices' counts on ``measure``'s :func:`funnel_basis`, then disclosure control (per practice).

    ``results`` has the columns of the measure results table (``measure``,
    ``interval_start``, ``practice_id``, ``numerator``, ``denominator``).
    """
    basis = funnel_basis(measure, months)
    rows = results[(results["measure"] == measure.id) & results["practice_id"].isin(practice_ids)]
    chosen = sorted(pd.to_datetime(rows["interval_start"]).unique())[-basis.months :]
    if not chosen:
        empty = pd.DataFrame(columns=["practice_id", "numerator", "denominator", "ratio"])
        return PublishedCounts(empty, basis, None, None)
    recent = rows[pd.to_datetime(rows["interval_start"]).isin(chosen)]
    totals = recent.groupby("practice_id", as_index=False)[["numerator", "denominator"]].sum()
    totals["ratio"] = ratio(totals["numerator"], totals["denominator"])
    first, last = pd.Timestamp(chosen[0]).date(), pd.Timestamp(chosen[-1]).date()
    return PublishedCounts(apply_disclosure_control(totals), basis, first, last)


def network_funnel(
    counts: PublishedCounts, *, labels: list[str] | None = None, multiplier: float = 1.0
) -> FunnelResult | None:
    """The network funnel of the usable practices, or None when there is nothing fair to compare.

    None when fewer than 2 practices are usable, when more than half of the
    practices are hidden by disclosure control (the rest would be a biased
    set), or when there are no events (or only events) anywhere. A proportion
    (numerator never above the denominator) gets normal limits on the identity
    scale, a rate on the log scale, both with every standard error widened for
    the rounding of published counts (``ROUNDING_VARIANCE``) and, when the χ²
    test finds overdispersion at 5%, for that (additive, random effects).
    """
    usable = counts.usable
    if len(usable) < 2 or len(usable) < MIN_PUBLISHED_SHARE * len(counts.table):
        return None
    numerators = usable["numerator"].astype(float).tolist()
    denominators = usable["denominator"].astype(float).tolist()
    proportion = all(n <= d for n, d in zip(numerators, denominators, strict=True))
    if sum(numerators) == 0 or (proportion and sum(numerators) == sum(denominators)):
        return None
    return funnel(
        numerators,
        denominators,
        labels=labels,
        data_type="proportion" if proportion else "rate",
        method="normal",
        scale="identity" if proportion else "log",
        overdispersion=OVERDISPERSION,
        dispersion_alpha=DISPERSION_ALPHA,
        rounding=ROUNDING_VARIANCE,
        multiplier=multiplier,
        unit_name="practices",
        centre_label=CENTRE_LABEL,
    )
