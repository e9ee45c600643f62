"""Action lists: the patients of one practice to act on for one measure in one month, and why.

Which patients depends on the measure's direction (docs/measures.md, "Action lists"):

* low is good (a hazard: every PINCER indicator, missed appointments) — the patients **in the numerator**
  (who are also in the denominator): the hazardous prescription, the missed monitoring;
* high is good (care to give: a COPD review, BP at target) — the patients in the denominator who are **not** in
  the numerator;
* high is good with a per-patient index as the numerator (continuity of care) — no patient is simply "in" or "out"
  of the numerator, so every patient in the denominator is listed, lowest index first.

The columns, the one-sentence header and the order come from the measure's ``action_list`` metadata
(:func:`qiloop.measures.language.action_spec`), in clinical words.

Patient-level: for use inside the patient's own practice only. Errors never name a patient.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, fields
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import ibis
import pandas as pd

from qiloop.errors import QiloopError
from qiloop.measures import model as m
from qiloop.measures.dates import Interval
from qiloop.measures.engine.compiler import Compiler
from qiloop.measures.engine.connection import open_store
from qiloop.measures.engine.expressions import Expressions
from qiloop.measures.engine.store import Store
from qiloop.measures.run import parse_month, resolve_measures
from qiloop.records.data_span import DataSpan, span_from_rows

if TYPE_CHECKING:
    from qiloop.measures import StoreSource

Rule = Literal["numerator", "denominator_not_numerator", "denominator_by_value"]
MISSING = "none recorded"
PATIENT = "patient_id"
PRACTICE = "practice_id"


def rule_of(measure: m.Measure) -> Rule:
    """Which patients the measure's action list holds (see the module docstring)."""
    if measure.low_is_good:
        return "numerator"
    if m.type_of(measure.numerator) == "float":
        return "denominator_by_value"
    return "denominator_not_numerator"


def spec_of(measure: m.Measure) -> m.ActionListSpec:
    """The measure's own action-list metadata, or a plain one (no columns) for a measure without it."""
    if measure.action_list is not None:
        return measure.action_list
    rule = rule_of(measure)
    who = {
        "numerator": f"counted as a problem by “{measure.title}”",
        "denominator_not_numerator": f"who do not yet meet “{measure.title}”",
        "denominator_by_value": f"counted in “{measure.title}”",
    }[rule]
    return m.ActionListSpec(who=who, action="review them", columns=(), order_by="", order="by patient")


def rule_text(measure: m.Measure) -> str:
    """The rule in words, for ``qiloop measures describe`` and the measure page."""
    spec = spec_of(measure)
    return {
        "numerator": "lists the patients in the numerator (low is good: each is a problem to act on)",
        "denominator_not_numerator": "lists the patients in the denominator who are not in the numerator "
        "(high is good: each still needs the care)",
        "denominator_by_value": "lists every patient in the denominator (high is good; the numerator is a "
        "per-patient index, so no patient is simply in or out of it)",
    }[rule_of(measure)] + f": patients {spec.who}, {spec.order}."


@dataclass(frozen=True)
class ActionList:
    """One practice's action list for one measure and month.

    ``table`` has ``patient_id`` then one column per action-list column, raw values (dates as dates, numbers,
    missing as None); :meth:`display_rows` and :meth:`csv` format it.
    """

    measure: m.Measure
    practice_id: str
    on: dt.date
    denominator: int
    table: pd.DataFrame

    @property
    def count(self) -> int:
        return len(self.table)

    @property
    def spec(self) -> m.ActionListSpec:
        return spec_of(self.measure)

    @property
    def rule(self) -> str:
        return rule_text(self.measure)

    @property
    def month(self) -> str:
        return f"{self.on:%B %Y}"

    @property
    def header(self) -> str:
        """One sentence: how many patients, who they are, what to do, in what order (the month is in :attr:`title`)."""
        spec = self.spec
        if self.denominator == 0:
            return (
                f"No patients at this practice are in the denominator of “{self.measure.title}”, "
                "so there is no one to list."
            )
        if self.count == 0:
            return f"No patients {spec.who}: nothing to act on."
        people = "1 patient" if self.count == 1 else f"{self.count:,} patients"
        return f"{people} {spec.who} — {spec.action} ({spec.order})."

    @property
    def title(self) -> str:
        """What the list is: "Action list for A00001, March 2026: Oral NSAID with eGFR below 45"."""
        return f"Action list for {self.practice_id}, {self.month}: {self.measure.title}"

    @property
    def columns(self) -> list[str]:
        """Column headings for a page: the pseudonymous id, then the clinical columns."""
        return ["Patient (pseudonymous id)", *(column.label for column in self.spec.columns)]

    def display_rows(self) -> list[list[str]]:
        """Rows for a page: dates as "14 March 2026", missing values as "none recorded", never nan."""
        return self.rows

    @cached_property
    def rows(self) -> list[list[str]]:
        """:meth:`display_rows`, formatted once (a kept list is shown many times)."""
        kinds = [_kind(column) for column in self.spec.columns]
        rows = []
        for record in self.table.itertuples(index=False):
            cells = [str(record[0])]
            cells += [_display(value, kind) for value, kind in zip(record[1:], kinds, strict=True)]
            rows.append(cells)
        return rows

    def csv(self) -> str:
        """CSV: ISO dates, empty cells for missing values, the same columns as the page; a text cell a
        spreadsheet would run as a formula is written as text (:mod:`qiloop.csv_safety`)."""
        from qiloop.csv_safety import frame_to_csv

        return str(frame_to_csv(self.csv_table()))

    def csv_table(self) -> pd.DataFrame:
        """What :meth:`csv` writes, as a table: ``patient_id`` then the clinical columns, dates as ISO text."""
        out = pd.DataFrame({PATIENT: self.table[PATIENT].astype("int64")})
        for column in self.spec.columns:
            out[column.label] = [_plain(value) for value in self.table[column.label]]
        return out


def compute_action_list(
    store: StoreSource,
    measure: m.Measure | str,
    practice_id: str,
    *,
    on: str | dt.date | None = None,
    engine: str = "duckdb",
) -> ActionList:
    """The action list of ``practice_id`` for ``measure`` in the month of ``on`` (default: the latest month with data).

    ``on``: a month ``YYYY-MM`` (its last day is the reference date) or a date ``YYYY-MM-DD``. A month outside
    the data, or a practice with no registered patients, is a :class:`QiloopError` saying what exists.
    """
    (chosen,) = resolve_measures([measure])
    spec = spec_of(chosen)
    opened = open_store(store, engine)
    try:
        day = _reference_day(opened, chosen, spec, on)
        denominators, table = _patients(_one_practice(opened, practice_id), chosen, spec, [practice_id], day)
    finally:
        if opened is not store:
            opened.close()
    return ActionList(chosen, practice_id, day, denominators.get(practice_id, 0), _sorted(table, spec))


def compute_action_lists(
    store: StoreSource,
    measure: m.Measure | str,
    practice_ids: list[str],
    *,
    on: str | dt.date | None = None,
    engine: str = "duckdb",
) -> dict[str, ActionList]:
    """The action lists of several practices for ``measure`` at once (one query, about the cost of one list).

    Practices with no patients registered on the day are left out (:func:`compute_action_list` says why).
    """
    (chosen,) = resolve_measures([measure])
    spec = spec_of(chosen)
    wanted = sorted(set(practice_ids))
    opened = open_store(store, engine)
    try:
        day = _reference_day(opened, chosen, spec, on)
        denominators, table = _patients(opened, chosen, spec, wanted, day, several=True)
    finally:
        if opened is not store:
            opened.close()
    practices = table.pop(PRACTICE)
    return {
        practice: ActionList(
            chosen,
            practice,
            day,
            denominators[practice],
            _sorted(table[(practices == practice).to_numpy()].reset_index(drop=True), spec),
        )
        for practice in wanted
        if practice in denominators
    }


def _reference_day(opened: Any, measure: m.Measure, spec: m.ActionListSpec, on: str | dt.date | None) -> dt.date:
    """The reference date of the month ``on`` (default the latest month with data); QiloopError outside the data."""
    opened.require(measure.tables | _column_tables(spec), measure.id)
    span = _data_span(opened)
    first, last = span.first_any, span.last_any  # any month with records may be asked for
    day = parse_month(on, end=True) if on is not None else _month_end(span.last)  # by default the latest in earnest
    if not first <= day.replace(day=1) <= last:
        raise QiloopError(
            f"there are no data for {day:%B %Y}: the data run from {first:%B %Y} to {last:%B %Y}",
            hint=f"choose a month in that range, e.g. --on {last:%Y-%m}",
        )
    return day


def action_list(
    store: StoreSource,
    measure: m.Measure | str,
    practice_id: str,
    *,
    on: str | dt.date | None = None,
    engine: str = "duckdb",
) -> pd.DataFrame:
    """The action list's table only (``patient_id`` then the clinical columns); see :func:`compute_action_list`."""
    return compute_action_list(store, measure, practice_id, on=on, engine=engine).table


# --- computing -------------------------------------------------------------------------------------------------


def _patients(
    opened: Any,
    measure: m.Measure,
    spec: m.ActionListSpec,
    practice_ids: list[str],
    day: dt.date,
    *,
    several: bool = False,
) -> tuple[dict[str, int], pd.DataFrame]:
    """Each practice's denominator count, and the listed patients (``several``: with a ``practice_id`` column,
    and no error for a practice without patients)."""
    nodes = [node for column in spec.columns for node in _nodes(column)]
    compiler = Compiler(opened, [Interval(day.replace(day=1), day)], [measure], columns=nodes)
    registered = compiler.population.everyone
    present = registered.filter(registered.practice_id.isin(practice_ids)).select("practice_id").distinct()
    found = {str(p) for p in present.to_pandas()["practice_id"]}
    if not several and not found:
        raise QiloopError(
            f"no patients registered at practice {practice_ids[0]!r} on {day:%-d %B %Y}",
            hint="check the practice code (qiloop measures run lists practices) and the month",
        )
    compiled = compiler.compile(measure)
    frame = compiled.frame
    at_practice = frame.filter(frame.practice_id.isin(practice_ids))
    in_denominator = at_practice.filter(at_practice.in_denominator)
    counted = in_denominator.group_by("practice_id").aggregate(n=in_denominator.count()).to_pandas()
    denominators = dict.fromkeys(found, 0) | {
        str(p): int(n) for p, n in zip(counted["practice_id"], counted["n"], strict=True)
    }
    rule = rule_of(measure)
    if rule == "numerator":
        wanted = in_denominator.filter(in_denominator.numerator_value > 0)
    elif rule == "denominator_not_numerator":
        wanted = in_denominator.filter(in_denominator.numerator_value == 0)
    else:
        wanted = in_denominator
    wanted, names = compiler.with_columns(wanted, nodes, compiled.feature_columns)
    expressions = Expressions(wanted, names)
    selected = {PATIENT: wanted.patient_id, PRACTICE: wanted.practice_id}
    for i, node in enumerate(nodes):
        selected[f"c{i}"] = expressions.value(node)
    raw = wanted.select(**selected).to_pandas()
    # Patient ids as int64 and the clinical columns as plain Python values (None when missing, never NaN), so a
    # list is the same whether computed alone or with every practice's (even when empty).
    table = pd.DataFrame({PATIENT: pd.Series(raw[PATIENT].astype("int64").tolist(), dtype="int64")})
    position = 0
    for column in spec.columns:
        if column.value is not None:
            values = [_clean(v) for v in raw[f"c{position}"]]
            position += 1
        else:
            flags = [raw[f"c{position + j}"] for j in range(len(column.flags))]
            values = [
                tuple(name for (name, _), flag in zip(column.flags, row, strict=True) if _clean(flag))
                for row in zip(*flags, strict=True)
            ]
            position += len(column.flags)
        table[column.label] = pd.Series(values, dtype=object)
    if several:
        table[PRACTICE] = raw[PRACTICE].astype(str).tolist()
    return denominators, table


@dataclass
class _PracticeStore(Store):
    """The store seen through one practice: every patient-level table holds only the rows of patients ever
    registered there. Every measure value is per patient, so the practice's list is unchanged, and the engine
    works on a few thousand patients instead of the whole network."""

    practice_id: str = ""

    def table(self, name: str) -> Any:
        table = super().table(name)
        if name == "practices":
            return table
        registrations = super().table("practice_registrations")
        ours = registrations.filter(registrations.practice_id == self.practice_id).select("patient_id").distinct()
        return table.semi_join(ours, "patient_id")


def _one_practice(opened: Store, practice_id: str) -> Store:
    if opened.engine != "duckdb":
        return opened
    shared = {f.name: getattr(opened, f.name) for f in fields(opened) if f.init}
    return _PracticeStore(**shared, practice_id=practice_id)


def _nodes(column: m.ActionColumn) -> list[m.Node]:
    return [column.value] if column.value is not None else [flag for _, flag in column.flags]


def _column_tables(spec: m.ActionListSpec) -> set[str]:
    out: set[str] = set()
    for column in spec.columns:
        for node in _nodes(column):
            out |= m.tables_used(node)
    return out


def _data_months(opened: Any) -> tuple[dt.date, dt.date]:
    """First days of the first and latest months the store covers in earnest (``qiloop.records.data_span``)."""
    span = _data_span(opened)
    return span.first, span.last


def _data_span(opened: Any) -> DataSpan:
    """The store's :class:`~qiloop.records.data_span.DataSpan`: from clinical events and prescriptions, or from
    appointments that have happened when it holds neither."""
    records = [(t, "date") for t in ("clinical_events", "medications") if t in opened.available]
    happened = [("appointments", "start_date")] if "appointments" in opened.available else []
    for sources in (records, happened):
        parts = []
        for table, column in sources:
            t = opened.table(table)
            if table == "appointments":
                t = t.filter(t.status != "booked")
            parts.append(t.select(d=t[column]))
        if not parts:
            continue
        dates = ibis.union(*parts) if len(parts) > 1 else parts[0]
        dates = dates.filter(dates.d.notnull())
        monthly = dates.group_by(month=dates.d.truncate("M")).aggregate(n=dates.count(), last=dates.d.max()).to_pandas()
        if len(monthly):
            return span_from_rows(list(monthly[["month", "n", "last"]].itertuples(index=False, name=None)))
    raise QiloopError("the store has no dated events, prescriptions or appointments", hint="import an extract first")


def _month_end(first_day: dt.date) -> dt.date:
    return parse_month(f"{first_day:%Y-%m}", end=True)


def _sorted(table: pd.DataFrame, spec: m.ActionListSpec) -> pd.DataFrame:
    """Sorted on the spec's column (flags: by how many), missing values last or first, ties by patient id."""
    table = table.sort_values(PATIENT).reset_index(drop=True)
    if table.empty or not spec.order_by:
        return table
    keys = [len(v) if isinstance(v, tuple) else v for v in table[spec.order_by]]
    present = [i for i, key in enumerate(keys) if key is not None]
    present.sort(key=lambda i: keys[i], reverse=spec.descending)  # stable, also reversed: ties stay by patient id
    missing = [i for i, key in enumerate(keys) if key is None]
    order = missing + present if spec.missing_first else present + missing
    return table.iloc[order].reset_index(drop=True)


# --- formatting ---------------------------------------------------------------------------------------------


def _kind(column: m.ActionColumn) -> str:
    return "flags" if column.value is None else m.type_of(column.value)


def _clean(value: Any) -> Any:
    """A plain Python value, None for every kind of missing (NaN, NaT, pandas NA)."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def format_date(day: dt.date) -> str:
    """A date as people write it: 14 March 2026."""
    return f"{day.day} {day:%B %Y}"


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _display(value: Any, kind: str) -> str:
    if kind == "flags":
        return ", ".join(value) if value else "none"
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if kind == "date" and isinstance(value, dt.date):
        return format_date(value)
    if kind == "bool" or isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return _number(value)
    return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return "; ".join(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return int(value)  # an eGFR of 38, not 38.0
    return "" if value is None else value
