"""The measure language: what an analyst writes.

Example — PINCER indicator A (oral NSAID without gastro-protection at 65 and over)::

    from qiloop.measures.language import age, medications, measure

    nsaid = medications(ORAL_NSAID).in_last(months=3).exists()
    gastroprotection = medications(ULCER_HEALING).in_last(months=3).exists()

    pincer_a = measure(
        id="pincer_a",
        title="Oral NSAID without gastro-protection, aged 65 and over",
        denominator=(age >= 65) & ~gastroprotection,
        numerator=nsaid,
        low_is_good=True,
        why_it_matters="NSAIDs cause GI bleeding; older people need a PPI with them.",
        source_indicator="PINCER GI_P3A",
    )

Every series is evaluated per patient on each interval's reference date (its
last day). Windows count back from it: ``in_last(months=3)`` is after the
date three calendar months before the reference date and on or before the
reference date. Combine true/false series with ``&`` (and), ``|`` (or) and
``~`` (not); compare values with ``<``, ``<=``, ``>``, ``>=``, ``==``, ``!=``;
add counts with ``+``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from qiloop.errors import QiloopError
from qiloop.measures import model as m
from qiloop.measures.codes import as_codes
from qiloop.measures.dates import Offset, Window
from qiloop.measures.model import Choice, Review

__all__ = [
    "age",
    "sex",
    "registration_start_date",
    "reference_date",
    "clinical_events",
    "medications",
    "appointments",
    "unresolved",
    "co_prescribed",
    "measure",
    "action_spec",
    "Choice",
    "Review",
    "Series",
    "BoolSeries",
    "IntSeries",
    "FloatSeries",
    "DateSeries",
    "StrSeries",
]


# --- series ---------------------------------------------------------------------------------------------


def _node(value: Any) -> m.Node:
    if isinstance(value, Series):
        return value.node
    if isinstance(value, (bool, int, float, str, dt.date)):
        return m.Constant(value)
    raise QiloopError(f"cannot use a {type(value).__name__} in a measure expression")


def wrap(node: m.Node) -> Series:
    """The language series for a model node."""
    return _WRAPPERS[m.type_of(node)](node)


class Series:
    """A value per patient, evaluated on the reference date of each interval."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, node: m.Node) -> None:
        self.node = node

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.node!r})"

    def __bool__(self) -> bool:
        raise QiloopError(
            "a measure expression has no single true/false value",
            hint="combine conditions with & | ~ rather than and / or / not",
        )

    def _compare(self, op: m.CompareOp, other: Any) -> BoolSeries:
        return BoolSeries(m.Compare(op, self.node, _node(other)))

    def __eq__(self, other: Any) -> BoolSeries:  # type: ignore[override]
        return self._compare("eq", other)

    def __ne__(self, other: Any) -> BoolSeries:  # type: ignore[override]
        return self._compare("ne", other)


class _Ordered(Series):
    def __lt__(self, other: Any) -> BoolSeries:
        return self._compare("lt", other)

    def __le__(self, other: Any) -> BoolSeries:
        return self._compare("le", other)

    def __gt__(self, other: Any) -> BoolSeries:
        return self._compare("gt", other)

    def __ge__(self, other: Any) -> BoolSeries:
        return self._compare("ge", other)


class BoolSeries(Series):
    """True or false per patient."""

    def __and__(self, other: BoolSeries) -> BoolSeries:
        return BoolSeries(m.And(self.node, _node(other)))

    def __or__(self, other: BoolSeries) -> BoolSeries:
        return BoolSeries(m.Or(self.node, _node(other)))

    def __invert__(self) -> BoolSeries:
        return BoolSeries(m.Not(self.node))

    def as_int(self) -> IntSeries:
        """1 when true, 0 when false, so conditions can be added up: ``a.as_int() + b.as_int() >= 2``."""
        return IntSeries(m.AsInt(self.node))

    __rand__ = __and__
    __ror__ = __or__


class _Numeric(_Ordered):
    def __add__(self, other: Any) -> Series:
        return wrap(m.Add(self.node, _node(other)))

    def __radd__(self, other: Any) -> Series:
        return wrap(m.Add(_node(other), self.node))


class IntSeries(_Numeric):
    """A whole number per patient (a count, an age); counts add up with ``+``."""


class FloatSeries(_Numeric):
    """A number per patient, possibly missing (a comparison with a missing value is false)."""


class DateSeries(_Ordered):
    """A date per patient, possibly missing."""

    def is_on_or_before(self, *, months_ago: int = 0, days_ago: int = 0) -> BoolSeries:
        """The date is on or before the date ``months_ago``/``days_ago`` before the reference date."""
        return self <= reference_date(months_ago=months_ago, days_ago=days_ago)

    def plus_days(self, days: int) -> DateSeries:
        """The date ``days`` days later (missing stays missing)."""
        return DateSeries(m.DateAddDays(self.node, int(days)))

    def minus_days(self, days: int) -> DateSeries:
        """The date ``days`` days earlier (missing stays missing)."""
        return DateSeries(m.DateAddDays(self.node, -int(days)))

    def is_after(self, *, months_ago: int = 0, days_ago: int = 0) -> BoolSeries:
        """The date is after the date ``months_ago``/``days_ago`` before the reference date."""
        return self > reference_date(months_ago=months_ago, days_ago=days_ago)


class StrSeries(Series):
    """A text value per patient (sex)."""

    def is_in(self, *values: str | Iterable[str]) -> BoolSeries:
        flat: list[str] = []
        for v in values:
            flat.extend([v] if isinstance(v, str) else list(v))
        return BoolSeries(m.IsIn(self.node, frozenset(flat)))


_WRAPPERS: dict[str, type[Series]] = {
    "bool": BoolSeries,
    "int": IntSeries,
    "float": FloatSeries,
    "date": DateSeries,
    "str": StrSeries,
}

age = IntSeries(m.Age())
"""Age in whole years on the reference date."""
sex = StrSeries(m.Sex())
"""Recorded sex: female, male, intersex or unknown."""
registration_start_date = DateSeries(m.RegistrationStart())
"""Start of the registration current on the reference date."""


def reference_date(*, months_ago: int = 0, days_ago: int = 0) -> DateSeries:
    """The reference date, or the date ``months_ago`` calendar months and ``days_ago`` days before it."""
    return DateSeries(m.ReferenceDate(Offset(months_ago, days_ago)))


# --- windows --------------------------------------------------------------------------------------------


class _Windowed:
    window: Window

    def _with_window(self, window: Window) -> Any:
        raise NotImplementedError

    def in_last(self, *, months: int = 0, days: int = 0) -> Any:
        """After the date ``months``/``days`` before the reference date, and on or before the reference date."""
        if not months and not days:
            raise QiloopError("in_last() needs months= or days=")
        return self._with_window(Window(after=Offset(months, days)))

    def on_or_before(self, *, months_ago: int = 0, days_ago: int = 0) -> Any:
        """On or before the date ``months_ago``/``days_ago`` before the reference date (no lower limit)."""
        return self._with_window(Window(until=Offset(months_ago, days_ago)))

    def between(
        self,
        *,
        from_months_ago: int = 0,
        to_months_ago: int = 0,
        from_days_ago: int = 0,
        to_days_ago: int = 0,
    ) -> Any:
        """After the date ``from_…_ago`` and on or before the date ``to_…_ago`` before the reference date."""
        return self._with_window(
            Window(after=Offset(from_months_ago, from_days_ago), until=Offset(to_months_ago, to_days_ago))
        )

    def since_last(self, *, month: int, day: int = 1) -> Any:
        """On or after the most recent ``day``/``month`` on or before the reference date, up to the reference date.

        A season: ``since_last(month=8, day=1)`` is the flu season so far — 1 August 2023 to 31 March 2024 at a
        31 March 2024 reference date, and 1 August 2024 to 31 August 2024 at 31 August 2024.
        """
        return self._with_window(Window(after=Offset.since(month, day)))

    def ever(self) -> Any:
        """On or before the reference date (the default)."""
        return self._with_window(Window())


# --- events ---------------------------------------------------------------------------------------------


class EventFrame(_Windowed):
    """Rows of clinical_events or medications with a code from a code list, in a time window."""

    def __init__(self, query: m.EventQuery) -> None:
        self.query = query
        self.window = query.window

    def _with_window(self, window: Window) -> EventFrame:
        if self.query.near is not None:
            raise QiloopError("near_first() needs the default window: set no window after it")
        return EventFrame(replace(self.query, window=window))

    def where_value(
        self,
        *,
        lt: float | None = None,
        le: float | None = None,
        gt: float | None = None,
        ge: float | None = None,
    ) -> EventFrame:
        """Keep rows whose numeric_value meets every bound given (rows without a value are dropped).

        ``clinical_events(FEV1FVC).in_last(months=12).where_value(lt=0.7).exists()``
        """
        if self.query.table != "clinical_events":
            raise QiloopError("only clinical_events have numeric values")
        new = tuple((op, float(v)) for op, v in (("lt", lt), ("le", le), ("gt", gt), ("ge", ge)) if v is not None)
        if not new:
            raise QiloopError("where_value() needs at least one of lt=, le=, gt=, ge=")
        return EventFrame(replace(self.query, value_conditions=self.query.value_conditions + new))

    def near_first(self, anchor: Any, *, days_before: int, days_after: int) -> EventFrame:
        """Keep rows from ``days_before`` days before to ``days_after`` days after the first ``anchor`` event.

        The first anchor event is the earliest on or before the reference date (none yet: no rows). Only
        ``.exists()`` can follow, and the frame keeps the default window::

            clinical_events(FEV1FVC).where_value(lt=0.7).near_first(COPD, days_before=93, days_after=186).exists()
        """
        if self.query.table != "clinical_events":
            raise QiloopError("near_first() works on clinical_events")
        if self.query.window != Window() or self.query.near is not None:
            raise QiloopError("near_first() needs the default window (no in_last/between) and cannot be repeated")
        if days_before < 0 or days_after < 0:
            raise QiloopError("near_first() needs days_before and days_after of 0 or more")
        near = m.Near(as_codes(anchor, expected_system="snomedct"), int(days_before), int(days_after))
        return EventFrame(replace(self.query, near=near))

    def _plain(self, what: str) -> None:
        if self.query.near is not None:
            raise QiloopError(f"rows near a first date support exists() only, not {what}()")

    def exists(self) -> BoolSeries:
        """At least one matching row."""
        return BoolSeries(m.Aggregate("exists", self.query))

    def count(self) -> IntSeries:
        """Number of matching rows (0 when none)."""
        self._plain("count")
        return IntSeries(m.Aggregate("count", self.query))

    def first_date(self) -> DateSeries:
        self._plain("first_date")
        return DateSeries(m.Aggregate("first_date", self.query))

    def last_date(self) -> DateSeries:
        self._plain("last_date")
        return DateSeries(m.Aggregate("last_date", self.query))

    def latest_value(self) -> FloatSeries:
        """numeric_value of the latest row that has one (lowest value if several share that date)."""
        if self.query.table != "clinical_events":
            raise QiloopError("only clinical_events have numeric values")
        self._plain("latest_value")
        return FloatSeries(m.Aggregate("latest_value", self.query))

    def latest_value_date(self) -> DateSeries:
        """Date of the row :meth:`latest_value` takes its value from."""
        if self.query.table != "clinical_events":
            raise QiloopError("only clinical_events have numeric values")
        self._plain("latest_value_date")
        return DateSeries(m.Aggregate("latest_value_date", self.query))


def clinical_events(codelist: Any) -> EventFrame:
    """Clinical events coded with any SNOMED CT code of ``codelist`` (default window: on or before the reference date)."""
    return EventFrame(m.EventQuery("clinical_events", as_codes(codelist, expected_system="snomedct")))


def medications(codelist: Any) -> EventFrame:
    """Prescription issues with any dm+d code of ``codelist`` (default window: on or before the reference date)."""
    return EventFrame(m.EventQuery("medications", as_codes(codelist, expected_system="dmd")))


def unresolved(diagnosis: Any, resolved: Any) -> BoolSeries:
    """On a register: a diagnosis code on or before the reference date, and no resolved code on or after its latest date.

    Precisely: the latest diagnosis date is later than the latest resolved date
    (or there is no resolved code). A diagnosis and a resolution on the same day
    count as resolved.
    """
    return BoolSeries(
        m.Unresolved(
            as_codes(diagnosis, expected_system="snomedct"),
            as_codes(resolved, expected_system="snomedct"),
        )
    )


def co_prescribed(
    first: Any, second: Any, *, in_last_months: int = 3, in_last_days: int = 0, within_days: int = 28
) -> BoolSeries:
    """An issue of ``first`` and an issue of ``second``, both in the window, at most ``within_days`` days apart.

    The window is ``in_last(months=in_last_months, days=in_last_days)``.
    """
    return BoolSeries(
        m.CoPrescribed(
            as_codes(first, expected_system="dmd"),
            as_codes(second, expected_system="dmd"),
            Window(after=Offset(in_last_months, in_last_days)),
            within_days,
        )
    )


# --- appointments -----------------------------------------------------------------------------------------


def _values(name: str, value: str | Iterable[str] | None, allowed: tuple[str, ...]) -> frozenset[str] | None:
    if value is None:
        return None
    items = frozenset([value] if isinstance(value, str) else value)
    unknown = sorted(items - set(allowed))
    if unknown:
        raise QiloopError(f"unknown appointment {name} {unknown[0]!r}", hint=f"use one of {', '.join(allowed)}")
    return items


class AppointmentFrame(_Windowed):
    """Appointments (by their start date) in a time window, optionally filtered by status, mode, role and lead time."""

    def __init__(self, query: m.AppointmentQuery) -> None:
        self.query = query
        self.window = query.window

    def _with_window(self, window: Window) -> AppointmentFrame:
        return AppointmentFrame(replace(self.query, window=window))

    def where(
        self,
        *,
        status: str | Iterable[str] | None = None,
        mode: str | Iterable[str] | None = None,
        hcp_role: str | Iterable[str] | None = None,
        lead_days_at_least: int | None = None,
        lead_days_at_most: int | None = None,
        booked_date_known: bool = False,
    ) -> AppointmentFrame:
        """Keep appointments matching every condition given (adds to conditions already set).

        A lead-time condition holds only for appointments with a booking date; ``booked_date_known=True`` keeps
        only those (for a denominator of waits, so that a source without booking dates gives none, not zero).
        """
        from qiloop.records.schema import APPOINTMENT_MODES, APPOINTMENT_STATUSES, HCP_ROLES

        q = self.query
        updates: dict[str, Any] = {}
        for name, value, allowed in (
            ("status", status, APPOINTMENT_STATUSES),
            ("mode", mode, APPOINTMENT_MODES),
            ("hcp_role", hcp_role, HCP_ROLES),
        ):
            new = _values(name, value, allowed)
            if new is not None:
                old = getattr(q, name)
                updates[name] = new if old is None else old & new
        if lead_days_at_least is not None:
            updates["min_lead_days"] = max(lead_days_at_least, q.min_lead_days or lead_days_at_least)
        if lead_days_at_most is not None:
            current = q.max_lead_days if q.max_lead_days is not None else lead_days_at_most
            updates["max_lead_days"] = min(lead_days_at_most, current)
        if booked_date_known:
            updates["booked_date_known"] = True
        return AppointmentFrame(replace(q, **updates))

    def count(self) -> IntSeries:
        return IntSeries(m.AppointmentAggregate("count", self.query))

    def exists(self) -> BoolSeries:
        return BoolSeries(m.AppointmentAggregate("exists", self.query))

    def upc(self) -> FloatSeries:
        """Usual provider of care index (max nⱼ / n) over appointments naming a clinician; missing when n < 2."""
        return FloatSeries(m.AppointmentAggregate("upc", self.query))

    def coc(self) -> FloatSeries:
        """Bice–Boxerman continuity of care index over appointments naming a clinician; missing when n < 2."""
        return FloatSeries(m.AppointmentAggregate("coc", self.query))


def appointments(**conditions: Any) -> AppointmentFrame:
    """Appointments of the patient, filtered like :meth:`AppointmentFrame.where` (default window: on or before the reference date)."""
    return AppointmentFrame(m.AppointmentQuery()).where(**conditions)


# --- measures ---------------------------------------------------------------------------------------------


def measure(
    *,
    id: str,
    title: str,
    numerator: Series,
    denominator: Series,
    exclusions: Series | None = None,
    **metadata: Any,
) -> m.Measure:
    """Build a validated, immutable :class:`~qiloop.measures.model.Measure` from language series.

    ``low_is_good`` is required: True for a hazard (the action list holds the patients in the numerator),
    False for care to give (the list holds the patients in the denominator but not the numerator).

    ``metadata``: why_it_matters, topic, source_indicator, source_version, author, checked_by, review_date,
    version, per, description, tags, action_list (see :func:`action_spec`), choices (:class:`Choice`, each checked
    against the definition), review (:class:`Review`, the clinical review trail), provisional (why, if it is).
    """
    if "low_is_good" not in metadata:
        raise QiloopError(
            f"measure {id!r}: it does not say which direction is better",
            hint="pass low_is_good=True for a hazard (its action list holds the patients in the numerator) or "
            "low_is_good=False for care to give (the list holds the patients in the denominator but not the numerator)",
        )
    for name, value in (("numerator", numerator), ("denominator", denominator), ("exclusions", exclusions)):
        if value is not None and not isinstance(value, Series):
            raise QiloopError(f"measure {id!r}: the {name} must be a series (got {type(value).__name__})")
    for name in ("tags", "choices"):
        if name in metadata:
            metadata[name] = tuple(metadata[name])
    try:
        return m.Measure(
            id=id,
            title=title,
            numerator=numerator.node,
            denominator=denominator.node,
            exclusions=exclusions.node if exclusions is not None else None,
            **metadata,
        )
    except TypeError as exc:
        raise QiloopError(f"measure {id!r}: {exc}") from None


def action_spec(
    *,
    who: str,
    action: str,
    columns: dict[str, Series | dict[str, BoolSeries]],
    order_by: str,
    order: str,
    descending: bool = True,
    missing_first: bool = False,
) -> m.ActionListSpec:
    """How a measure's action list reads, in clinical words (pass it to :func:`measure` as ``action_list=``).

    Example (PINCER K)::

        action_spec(
            who="on an oral NSAID with eGFR below 45",
            action="review the NSAID",
            columns={
                "Oral NSAID — last issued": medications(NSAID).in_last(months=3).last_date(),
                "Latest eGFR": egfr.latest_value(),
                "eGFR date": egfr.latest_value_date(),
            },
            order_by="Oral NSAID — last issued",
            order="most recent NSAID issue first",
        )

    A column is one series, or a ``{name: true/false series}`` dict shown as the names that are true.
    """
    built = []
    for label, value in columns.items():
        if isinstance(value, dict):
            built.append(m.ActionColumn(label, flags=tuple((name, _node(flag)) for name, flag in value.items())))
        else:
            built.append(m.ActionColumn(label, value=_node(value)))
    return m.ActionListSpec(
        who=who,
        action=action,
        columns=tuple(built),
        order_by=order_by,
        order=order,
        descending=descending,
        missing_first=missing_first,
    )
