"""What an audit holds, and the checks on what a user enters.

An audit (HQIP *Best practice in clinical audit*; RCGP quick guide) has a **reason**, **criteria** — each a
statement of good care with its evidence reference (guideline and section), a **standard** (the percentage of
patients who should meet it: a minimum, an optimum or an ideal) and a **source** (a library measure or counts
entered by hand) — **collections** (round 1, 2, …), the **changes** made between them and a **conclusion**.

Every check raises :class:`AuditInputError` saying what is wrong and what to do, and changes nothing.

>>> check_standard(120)
Traceback (most recent call last):
...
qiloop.audit.model.AuditInputError: the standard must be a percentage from 0 to 100, not 120
  hint: enter the share of patients who should meet the criterion, e.g. 90
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from qiloop.errors import QiloopError

MAX_CHECKLIST_CASES = 500
EMPTY_POPULATION = "no patients met the criterion's population on that date — choose another date or criterion"


class AuditInputError(QiloopError):
    """Something entered for an audit that cannot be used; the message says what to do."""


class Reason(StrEnum):
    """Why the audit was chosen (the first RCGP heading)."""

    GUIDELINE = "guideline"
    COMPLAINT = "complaint"
    LEARNING_EVENT = "learning_event"
    PRESCRIBING_DATA = "prescribing_data"
    NATIONAL_AUDIT = "national_audit"
    OTHER = "other"


REASON_LABELS: dict[Reason, str] = {
    Reason.GUIDELINE: "A new or changed guideline",
    Reason.COMPLAINT: "A complaint",
    Reason.LEARNING_EVENT: "A learning event",
    Reason.PRESCRIBING_DATA: "Prescribing data",
    Reason.NATIONAL_AUDIT: "A national audit",
    Reason.OTHER: "Another reason",
}


class StandardKind(StrEnum):
    """How the standard is meant: the least acceptable, the best achievable in practice, or the ideal."""

    MINIMUM = "minimum"
    OPTIMUM = "optimum"
    IDEAL = "ideal"


class CollectionKind(StrEnum):
    COMPUTED = "computed"  # from the records by a library measure at one date
    MANUAL = "manual"  # counts entered by hand (or from an anonymous checklist)


class CaseResult(StrEnum):
    """One row of an anonymous case checklist, for one criterion."""

    MET = "met"
    NOT_MET = "not_met"
    EXCLUDED = "excluded"


@dataclass(frozen=True)
class Criterion:
    """One criterion. ``number`` is its place in the audit (1, 2, …); ``measure_id`` is None for a manual one."""

    number: int
    statement: str
    reference: str = ""
    standard_percent: float | None = None
    standard_kind: StandardKind = StandardKind.MINIMUM
    measure_id: str | None = None

    @property
    def source(self) -> str:
        return f"library measure {self.measure_id}" if self.measure_id else "entered by hand"


@dataclass(frozen=True)
class Count:
    """One criterion in one collection: ``met`` of ``eligible`` patients, ``excluded`` left out (not in eligible)."""

    met: int
    eligible: int
    excluded: int = 0

    @property
    def share(self) -> float:
        return self.met / self.eligible


@dataclass(frozen=True)
class Collection:
    """One round of data collection: a count per criterion number, at ``reference_date``."""

    round: int
    reference_date: dt.date
    counts: Mapping[int, Count]
    kind: CollectionKind = CollectionKind.MANUAL


@dataclass(frozen=True)
class Change:
    """A change made after a collection (what was done, and from when)."""

    description: str
    implemented_on: dt.date | None


@dataclass(frozen=True)
class Audit:
    """The plain facts the stage machine and the reading need."""

    title: str
    reason: Reason
    criteria: Sequence[Criterion] = ()
    collections: Sequence[Collection] = ()
    changes: Sequence[Change] = ()
    reaudit_planned_on: dt.date | None = None
    conclusion: str = ""
    stage: str = "planning"
    extra: Mapping[str, object] = field(default_factory=dict)

    def latest_collection(self) -> Collection | None:
        return max(self.collections, key=lambda c: c.round) if self.collections else None

    def latest_change(self) -> Change | None:
        dated = [c for c in self.changes if c.implemented_on is not None]
        return max(dated, key=lambda c: c.implemented_on or dt.date.min) if dated else None


# --- checks on what is entered -------------------------------------------------------------------------------------


def check_standard(value: float | None) -> float:
    """A standard as a percentage from 0 to 100."""
    if value is None:
        raise AuditInputError(
            "the criterion has no standard", hint="enter the share of patients who should meet it, e.g. 90"
        )
    number = float(value)
    if not 0 <= number <= 100:
        shown = int(number) if number.is_integer() else number
        raise AuditInputError(
            f"the standard must be a percentage from 0 to 100, not {shown}",
            hint="enter the share of patients who should meet the criterion, e.g. 90",
        )
    return number


def check_count(met: int, eligible: int, excluded: int = 0, *, criterion: int | None = None) -> Count:
    """Counts entered by hand: whole numbers, none negative, met no more than eligible, eligible above 0."""
    where = f"criterion {criterion}: " if criterion is not None else ""
    for name, value in (("met", met), ("eligible", eligible), ("excluded", excluded)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise AuditInputError(f"{where}{name} must be a whole number of patients, not {value!r}")
        if value < 0:
            raise AuditInputError(f"{where}{name} cannot be negative ({value})", hint="enter a count of patients")
    if met > eligible:
        raise AuditInputError(
            f"{where}{met} patients met the criterion but only {eligible} were eligible",
            hint="met counts patients among the eligible: it cannot be more than eligible",
        )
    if eligible == 0:
        raise AuditInputError(f"{where}{EMPTY_POPULATION}")
    return Count(met, eligible, excluded)


def count_checklist(rows: Sequence[Mapping[int, CaseResult | str]], criteria: Sequence[int]) -> dict[int, Count]:
    """Counts per criterion from an anonymous case checklist (case 1…n × met / not met / excluded).

    At most :data:`MAX_CHECKLIST_CASES` cases; every case answers every criterion; no identifiers are taken.
    """
    if not rows:
        raise AuditInputError("the checklist has no cases", hint="add a row for each case you looked at")
    if len(rows) > MAX_CHECKLIST_CASES:
        raise AuditInputError(
            f"the checklist has {len(rows)} cases; at most {MAX_CHECKLIST_CASES} can be entered by hand",
            hint="audit a sample of 500 or fewer, or use a criterion computed from the records",
        )
    tallies = {number: [0, 0, 0] for number in criteria}
    for case, row in enumerate(rows, 1):
        for number in criteria:
            if number not in row:
                raise AuditInputError(f"case {case} has no answer for criterion {number}",
                                      hint="answer met, not met or excluded for every criterion")  # fmt: skip
            try:
                answer = CaseResult(row[number])
            except ValueError:
                raise AuditInputError(f"case {case}, criterion {number}: {row[number]!r} is not met, not_met or "
                                      "excluded") from None  # fmt: skip
            tallies[number][(CaseResult.MET, CaseResult.NOT_MET, CaseResult.EXCLUDED).index(answer)] += 1
    out = {}
    for number, (met, not_met, excluded) in tallies.items():
        out[number] = check_count(met, met + not_met, excluded, criterion=number)
    return out
