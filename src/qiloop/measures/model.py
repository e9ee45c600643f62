"""The measure model: immutable, validated trees of frozen dataclasses.

Analysts write measures with :mod:`qiloop.measures.language`; engines compile
this model. Every series node has a type (:func:`type_of`): ``bool``, ``int``,
``float``, ``date`` or ``str``. Missing values follow one rule everywhere: a
comparison involving a missing value is False, ``exists`` is never missing and
``count`` of nothing is 0.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Literal

from qiloop.errors import QiloopError
from qiloop.measures.codes import Codes
from qiloop.measures.dates import REFERENCE, Offset, Window

SeriesType = Literal["bool", "int", "float", "date", "str"]
EVENT_TABLES = ("clinical_events", "medications")


class Node:
    """Base of every series node."""

    def children(self) -> tuple[Node, ...]:
        return tuple(getattr(self, f.name) for f in fields(self) if isinstance(getattr(self, f.name), Node))  # type: ignore[arg-type]


# --- leaves ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Constant(Node):
    value: bool | int | float | str | dt.date


@dataclass(frozen=True)
class ReferenceDate(Node):
    """The reference date, or a date a fixed offset before it."""

    offset: Offset = REFERENCE


@dataclass(frozen=True)
class Age(Node):
    """Age in whole years on the reference date."""


@dataclass(frozen=True)
class Sex(Node):
    pass


@dataclass(frozen=True)
class RegistrationStart(Node):
    """Start date of the registration current on the reference date."""


# --- queries over event tables (not series themselves) ---------------------------------------------


@dataclass(frozen=True)
class Near:
    """Rows from ``days_before`` days before to ``days_after`` days after the patient's first ``anchor`` row.

    The first ``anchor`` row is the earliest on or before the reference date (no anchor yet: no rows). Both ends are
    inclusive: QOF's "93 days before to 186 days after the first COPD code".
    """

    anchor: Codes
    days_before: int
    days_after: int


@dataclass(frozen=True)
class EventQuery:
    """Rows of ``table`` whose code is in ``codes`` and whose date is in ``window``."""

    table: str
    codes: Codes
    window: Window = Window()
    value_conditions: tuple[tuple[str, float], ...] = ()
    """Conditions on ``numeric_value`` every row must meet, e.g. (("lt", 0.7),); a missing value meets none."""
    near: Near | None = None
    """Keep only rows near the first row of another code list (:class:`Near`); used with ``exists`` only."""


@dataclass(frozen=True)
class AppointmentQuery:
    """Appointments (by ``start_date``) in ``window`` matching every stated condition.

    ``lead_days`` is ``start_date - booked_date`` in days. ``booked_date_known``: only appointments with a
    booking date (an EMIS Web extract has none, so its waits are unavailable rather than zero).
    """

    window: Window = Window()
    status: frozenset[str] | None = None
    mode: frozenset[str] | None = None
    hcp_role: frozenset[str] | None = None
    min_lead_days: int | None = None
    max_lead_days: int | None = None
    booked_date_known: bool = False

    def refines(self, other: AppointmentQuery) -> bool:
        """Whether every appointment this query selects is also selected by ``other``."""
        if self.window != other.window or (other.booked_date_known and not self.booked_date_known):
            return False
        for name in ("status", "mode", "hcp_role"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if theirs is not None and (mine is None or not mine <= theirs):
                return False
        if other.min_lead_days is not None and (self.min_lead_days is None or self.min_lead_days < other.min_lead_days):
            return False
        return not (
            other.max_lead_days is not None and (self.max_lead_days is None or self.max_lead_days > other.max_lead_days)
        )


EventAggregation = Literal["exists", "count", "first_date", "last_date", "latest_value", "latest_value_date"]
AppointmentAggregation = Literal["exists", "count", "upc", "coc"]


@dataclass(frozen=True)
class Aggregate(Node):
    """One value per patient from an event query.

    ``latest_value``: among rows with a numeric value, the value on the latest
    date (the lowest value when several share that date); ``latest_value_date``
    is that date.
    """

    kind: EventAggregation
    query: EventQuery


@dataclass(frozen=True)
class AppointmentAggregate(Node):
    """One value per patient from an appointment query.

    ``upc`` (usual provider of care) = max nⱼ / n and ``coc`` (Bice–Boxerman) =
    (Σ nⱼ² − n) / (n(n − 1)) over the selected appointments that name a
    clinician (nⱼ with clinician j, n in total); missing when n < 2.
    """

    kind: AppointmentAggregation
    query: AppointmentQuery


@dataclass(frozen=True)
class Unresolved(Node):
    """A diagnosis code in the window whose latest date is later than the latest resolved code in the window."""

    diagnosis: Codes
    resolved: Codes
    window: Window = Window()


@dataclass(frozen=True)
class CoPrescribed(Node):
    """An issue of ``first`` and an issue of ``second``, both in the window, at most ``within_days`` apart."""

    first: Codes
    second: Codes
    window: Window
    within_days: int = 28


@dataclass(frozen=True)
class DateAddDays(Node):
    """A date moved by ``days`` days (negative: earlier); missing stays missing."""

    date: Node
    days: int


@dataclass(frozen=True)
class AsInt(Node):
    """1 for true, 0 for false: lets conditions be counted with ``+``."""

    operand: Node


# --- operators --------------------------------------------------------------------------------------

CompareOp = Literal["lt", "le", "gt", "ge", "eq", "ne"]


@dataclass(frozen=True)
class Compare(Node):
    op: CompareOp
    left: Node
    right: Node


@dataclass(frozen=True)
class IsIn(Node):
    operand: Node
    values: frozenset[str | int]


@dataclass(frozen=True)
class And(Node):
    left: Node
    right: Node


@dataclass(frozen=True)
class Or(Node):
    left: Node
    right: Node


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class Add(Node):
    left: Node
    right: Node


FEATURE_TYPES = (Aggregate, AppointmentAggregate, Unresolved, CoPrescribed)

_AGGREGATE_TYPES: dict[str, SeriesType] = {
    "exists": "bool",
    "count": "int",
    "first_date": "date",
    "last_date": "date",
    "latest_value": "float",
    "latest_value_date": "date",
    "upc": "float",
    "coc": "float",
}


def type_of(node: Node) -> SeriesType:
    """The type of a series node."""
    if isinstance(node, Constant):
        v = node.value
        if isinstance(v, bool):
            return "bool"
        if isinstance(v, int):
            return "int"
        if isinstance(v, float):
            return "float"
        if isinstance(v, dt.date):
            return "date"
        return "str"
    if isinstance(node, (ReferenceDate, RegistrationStart, DateAddDays)):
        return "date"
    if isinstance(node, (Age, AsInt)):
        return "int"
    if isinstance(node, Sex):
        return "str"
    if isinstance(node, (Aggregate, AppointmentAggregate)):
        return _AGGREGATE_TYPES[node.kind]
    if isinstance(node, (Unresolved, CoPrescribed, Compare, IsIn, And, Or, Not)):
        return "bool"
    if isinstance(node, Add):
        left, right = type_of(node.left), type_of(node.right)
        return "float" if "float" in (left, right) else "int"
    raise TypeError(f"not a series node: {node!r}")


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    yield node
    for child in node.children():
        yield from walk(child)


def features(node: Node) -> list[Node]:
    """The distinct per-patient features (event, appointment, register, co-prescribing) a tree uses, in order."""
    seen: dict[Node, None] = {}
    for n in walk(node):
        if isinstance(n, FEATURE_TYPES):
            seen.setdefault(n, None)
    return list(seen)


def coded(node: Node) -> tuple[tuple[str, Codes], ...]:
    """The (event table, code list) pairs a feature node filters rows by; empty for any other node.

    >>> from qiloop.measures.codes import Codes
    >>> dx, ok = Codes("dx", frozenset({"1"}), "1", "snomedct"), Codes("ok", frozenset({"2"}), "1", "snomedct")
    >>> [(table, codes.name) for table, codes in coded(Unresolved(dx, ok))]
    [('clinical_events', 'dx'), ('clinical_events', 'ok')]
    """
    if isinstance(node, Aggregate):
        near = () if node.query.near is None else ((node.query.table, node.query.near.anchor),)
        return ((node.query.table, node.query.codes), *near)
    if isinstance(node, Unresolved):
        return (("clinical_events", node.diagnosis), ("clinical_events", node.resolved))
    if isinstance(node, CoPrescribed):
        return (("medications", node.first), ("medications", node.second))
    return ()


def table_of(node: Node) -> str | None:
    """The records table a feature node reads (None for any other node)."""
    if isinstance(node, AppointmentAggregate):
        return "appointments"
    found = coded(node)
    return found[0][0] if found else None


def codes_used(node: Node) -> list[Codes]:
    out: dict[Codes, None] = {}
    for n in walk(node):
        for _, codes in coded(n):
            out.setdefault(codes, None)
    return list(out)


def tables_used(node: Node) -> set[str]:
    out = {"patients", "practice_registrations"}
    for n in walk(node):
        table = table_of(n)
        if table is not None:
            out.add(table)
    return out


def conjuncts(node: Node) -> list[Node]:
    """The parts of an ``and`` chain (the node itself when it is not an ``And``)."""
    if isinstance(node, And):
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]


def disjuncts(node: Node) -> list[Node]:
    """The branches of an ``or`` chain (the node itself when it is not an ``Or``)."""
    if isinstance(node, Or):
        return disjuncts(node.left) + disjuncts(node.right)
    return [node]


FLIPPED: dict[CompareOp, CompareOp] = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}
"""The comparison with its sides swapped: ``a < b`` is ``b > a``."""


def offsets_used(node: Node) -> set[Offset]:
    out: set[Offset] = {REFERENCE}
    for n in walk(node):
        window = None
        if isinstance(n, (Aggregate, AppointmentAggregate)):
            window = n.query.window
        elif isinstance(n, (Unresolved, CoPrescribed)):
            window = n.window
        elif isinstance(n, ReferenceDate):
            out.add(n.offset)
        if window is not None:
            out.update(window.offsets)
    return out


# --- action lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionColumn:
    """One column of a measure's action list, named in clinical words.

    ``value``: a series shown per patient (a date, a number, a count, yes/no). ``flags``: instead of one value,
    named true/false series shown as the names that are true (e.g. which PINCER indicators a patient triggers).
    """

    label: str
    value: Node | None = None
    flags: tuple[tuple[str, Node], ...] = ()


@dataclass(frozen=True)
class ActionListSpec:
    """How a measure's action list reads: whom it holds, what to do, its columns and their order.

    ``who`` completes "4 patients …" (e.g. "on an oral NSAID with eGFR below 45"); ``action`` says what to do
    ("review the NSAID"); ``order_by`` names the column the list is sorted on, ``descending`` which way, with
    patients who have no value last (or first when ``missing_first``: e.g. never reviewed = most overdue);
    ``order`` says the order in words ("most recent NSAID issue first").
    """

    who: str
    action: str
    columns: tuple[ActionColumn, ...]
    order_by: str
    order: str
    descending: bool = True
    missing_first: bool = False


ENGINE_WORDS = ("reference date", "on or before", "events", " issues", "latest value of", "inline:", "_")
"""Words from the engine's own descriptions that an action-list column label must not use."""


# --- documented choices and clinical review --------------------------------------------------------

ChoicePart = Literal["numerator", "denominator", "exclusions", "any"]


@dataclass(frozen=True)
class Choice:
    """A documented choice of a measure, with claims the definition itself is checked against.

    ``text`` is what docs/measure-library.md says. ``uses``: code lists ``part`` must read; ``lacks``: code lists
    the measure must not read anywhere (a rule deliberately not applied); ``windows``: (code list, window) pairs,
    each a code list ``part`` reads over that window, in the engine's own words (``Window.label``, e.g.
    "in the last 12 months", "since the most recent 1 August (on or before the reference date)").
    :func:`choice_problems` lists where the definition does not do what the text claims.
    """

    text: str
    part: ChoicePart = "any"
    uses: tuple[str, ...] = ()
    lacks: tuple[str, ...] = ()
    windows: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Review:
    """Who checked a measure against which published rule set, on what date, and what differs from it."""

    reviewer: str
    rule_set: str
    checked_on: dt.date
    differences: tuple[str, ...] = ()
    status: Literal["checked", "provisional"] = "checked"


def _reads(node: Node) -> list[tuple[str, str]]:
    """(code list, window label) for every code list a tree reads."""
    out: list[tuple[str, str]] = []
    for n in walk(node):
        if isinstance(n, Aggregate):
            out.append((n.query.codes.name, n.query.window.label))
            if n.query.near is not None:
                near = n.query.near
                out.append((near.anchor.name, f"first date, {near.days_before} days before to {near.days_after} after"))
        elif isinstance(n, Unresolved):
            out += [(n.diagnosis.name, n.window.label), (n.resolved.name, n.window.label)]
        elif isinstance(n, CoPrescribed):
            out += [(n.first.name, n.window.label), (n.second.name, n.window.label)]
    return out


def choice_problems(measure: Measure, choice: Choice) -> list[str]:
    """Where ``measure``'s definition does not do what ``choice`` says (empty when it does)."""
    parts = {"numerator": [measure.numerator], "denominator": [measure.denominator],
             "exclusions": [measure.exclusions] if measure.exclusions is not None else []}  # fmt: skip
    nodes = [n for ns in parts.values() for n in ns] if choice.part == "any" else parts[choice.part]
    reads = [r for n in nodes for r in _reads(n)]
    everywhere = {name for n in measure.nodes() for name, _ in _reads(n)}
    problems = [f"the {choice.part} does not use {name!r}" for name in choice.uses if name not in {r[0] for r in reads}]
    problems += [f"the measure uses {name!r}" for name in choice.lacks if name in everywhere]
    problems += [
        f"the {choice.part} does not read {name!r} {label}"
        for name, label in choice.windows
        if (name, label) not in reads
    ]
    return problems


# --- the measure ------------------------------------------------------------------------------------

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Measure:
    """A validated, immutable measure: numerator over denominator for each practice and interval.

    Counting rules (every engine):

    * the population is everyone registered and alive on the reference date;
    * a boolean denominator counts patients; an integer one sums per-patient counts;
    * the numerator is counted only for patients in the denominator (boolean
      denominator true, or integer denominator above 0): a boolean numerator
      counts patients, an integer or float one is summed;
    * ``exclusions`` (QOF personalised care adjustments) remove a patient from
      the denominator only when the numerator is not met.
    """

    id: str
    title: str
    numerator: Node
    denominator: Node
    exclusions: Node | None = None
    why_it_matters: str = ""
    low_is_good: bool | None = None
    """Required: True for a hazard (PINCER, missed appointments), False for care to give (a review)."""
    topic: str = ""
    source_indicator: str = ""
    source_version: str = ""
    author: str = ""
    checked_by: str = ""
    review_date: dt.date | None = None
    version: str = "1"
    per: int = 1
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    action_list: ActionListSpec | None = None
    choices: tuple[Choice, ...] = ()
    """Documented choices, each checked against the definition (:func:`choice_problems`)."""
    review: Review | None = None
    """The clinical review trail; None = not yet checked against the published rules."""
    provisional: str = ""
    """Why the measure is provisional (e.g. an unverified code list); empty when it is not."""

    def __post_init__(self) -> None:
        validate(self)

    @property
    def codelist_versions(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for node in self.nodes():
            for codes in codes_used(node):
                out[codes.name] = codes.version
        return dict(sorted(out.items()))

    @property
    def tables(self) -> set[str]:
        out: set[str] = set()
        for node in self.nodes():
            out |= tables_used(node)
        return out

    def nodes(self) -> tuple[Node, ...]:
        return tuple(n for n in (self.denominator, self.numerator, self.exclusions) if n is not None)


def _fail(measure_id: str, problem: str, hint: str | None = None) -> QiloopError:
    return QiloopError(f"measure {measure_id!r}: {problem}", hint=hint)


def validate(m: Measure) -> None:
    """Check what can be checked when a measure is built; raise QiloopError naming the measure and the problem."""
    if not isinstance(m.id, str) or not _ID.match(m.id):
        raise _fail(str(m.id), "the id must be lower case letters, digits and underscores, starting with a letter")
    if not m.title.strip():
        raise _fail(m.id, "the title is empty")
    for name in ("numerator", "denominator", "exclusions"):
        node = getattr(m, name)
        if node is None and name == "exclusions":
            continue
        if not isinstance(node, Node):
            raise _fail(m.id, f"the {name} is not a series built with qiloop.measures (got {type(node).__name__})")
        _check_tree(m.id, name, node)
    den_type, num_type = type_of(m.denominator), type_of(m.numerator)
    if den_type not in ("bool", "int"):
        raise _fail(m.id, f"the denominator must be true/false per patient or a per-patient count, not {den_type}")
    if num_type not in ("bool", "int", "float"):
        raise _fail(m.id, f"the numerator must be true/false, a count or a number per patient, not {num_type}")
    if den_type == "int" and num_type == "bool":
        raise _fail(
            m.id,
            "a count denominator needs a count numerator (a true/false numerator would be compared with a sum)",
            hint="use a true/false denominator to count patients, or count the same rows in the numerator",
        )
    if m.exclusions is not None:
        if type_of(m.exclusions) != "bool":
            raise _fail(m.id, "exclusions must be true/false per patient")
        if den_type != "bool" or num_type != "bool":
            raise _fail(m.id, "exclusions (personalised care adjustments) need a true/false numerator and denominator")
    if m.numerator == m.denominator:
        raise _fail(m.id, "the numerator is the same as the denominator")
    _check_appointment_nesting(m)
    if m.per < 1:
        raise _fail(m.id, "per must be a positive whole number (1, 100, 1000)")
    if m.review_date is not None and not isinstance(m.review_date, dt.date):
        raise _fail(m.id, "review_date must be a datetime.date")
    if not isinstance(m.low_is_good, bool):
        raise _fail(
            m.id,
            "it does not say which direction is better"
            if m.low_is_good is None
            else "low_is_good must be True or False",
            hint="pass low_is_good=True for a hazard (its action list holds the patients in the numerator) or "
            "low_is_good=False for care to give (the list holds the patients in the denominator but not the numerator)",
        )
    if m.action_list is not None:
        _check_action_list(m.id, m.action_list)
    _check_choices_and_review(m)


def _check_choices_and_review(m: Measure) -> None:
    for choice in m.choices:
        if not isinstance(choice, Choice) or not choice.text.strip():
            raise _fail(m.id, "each documented choice must be a Choice with text")
        problems = choice_problems(m, choice)
        if problems:
            raise _fail(m.id, f"documented choice {choice.text[:60]!r}… is not what the definition does: {problems[0]}")
    review = m.review
    if review is not None:
        if not isinstance(review, Review):
            raise _fail(m.id, "review must be a Review (reviewer, rule_set, checked_on, differences)")
        if not review.reviewer.strip() or not review.rule_set.strip():
            raise _fail(m.id, "a review needs a reviewer and the published rule set checked against")
        if not isinstance(review.checked_on, dt.date):
            raise _fail(m.id, "a review's checked_on must be a datetime.date")
        if review.status not in ("checked", "provisional"):
            raise _fail(m.id, "a review's status is 'checked' or 'provisional'")
        if review.status == "provisional" and not m.provisional.strip():
            raise _fail(m.id, "a provisional review needs the measure's provisional reason")


def _check_action_list(measure_id: str, spec: ActionListSpec) -> None:
    if not isinstance(spec, ActionListSpec):
        raise _fail(measure_id, "action_list must be built with qiloop.measures.language.action_spec(...)")
    for name in ("who", "action", "order"):
        if not str(getattr(spec, name)).strip():
            raise _fail(measure_id, f"the action list's {name!r} is empty")
    labels = [column.label for column in spec.columns]
    if len(set(labels)) != len(labels):
        raise _fail(measure_id, "two action-list columns have the same label")
    for column in spec.columns:
        _check_action_column(measure_id, column)
    if spec.order_by not in labels:
        raise _fail(measure_id, f"the action list is ordered by {spec.order_by!r}, which is not one of its columns")


def _check_action_column(measure_id: str, column: ActionColumn) -> None:
    label = column.label
    if not label.strip() or label.strip().lower() in ("patient", "patient id"):
        raise _fail(measure_id, f"action-list column label {label!r} is empty or reserved")
    used = [word for word in ENGINE_WORDS if word in label.lower()]
    if used:
        raise _fail(
            measure_id,
            f"action-list column {label!r} uses engine wording ({used[0]!r})",
            hint="name the column in clinical words, e.g. 'Latest eGFR', 'Oral NSAID — last issued'",
        )
    if (column.value is None) == (not column.flags):
        raise _fail(measure_id, f"action-list column {label!r} needs either one value or a set of flags")
    if column.value is not None:
        if not isinstance(column.value, Node):
            raise _fail(measure_id, f"action-list column {label!r} is not a series built with qiloop.measures")
        _check_tree(measure_id, f"action-list column {label!r}", column.value)
    for name, flag in column.flags:
        if not isinstance(flag, Node) or type_of(flag) != "bool":
            raise _fail(measure_id, f"action-list column {label!r}: flag {name!r} is not a true/false series")
        _check_tree(measure_id, f"action-list column {label!r}", flag)


def _check_appointment_nesting(m: Measure) -> None:
    """A count-of-appointments numerator over a count-of-appointments denominator must count a subset of its rows."""
    num, den = m.numerator, m.denominator
    if (
        isinstance(num, AppointmentAggregate)
        and isinstance(den, AppointmentAggregate)
        and num.kind == "count"
        and den.kind == "count"
        and not num.query.refines(den.query)
    ):
        raise _fail(
            m.id,
            "the numerator counts appointments that are not in the denominator",
            hint="build the numerator from the denominator's appointments with .where(...), same window",
        )


_COMPARABLE = {("int", "int"), ("int", "float"), ("float", "int"), ("float", "float"), ("date", "date"), ("str", "str")}


def _check_tree(measure_id: str, part: str, node: Node) -> None:
    for n in walk(node):
        if isinstance(n, Compare):
            pair = (type_of(n.left), type_of(n.right))
            if pair not in _COMPARABLE:
                raise _fail(measure_id, f"the {part} compares a {pair[0]} with a {pair[1]}")
        elif isinstance(n, (And, Or)):
            if type_of(n.left) != "bool" or type_of(n.right) != "bool":
                raise _fail(measure_id, f"the {part} combines with and/or something that is not true/false")
        elif isinstance(n, Not):
            if type_of(n.operand) != "bool":
                raise _fail(measure_id, f"the {part} negates something that is not true/false")
        elif isinstance(n, Add):
            if type_of(n.left) not in ("int", "float") or type_of(n.right) not in ("int", "float"):
                raise _fail(measure_id, f"the {part} adds something that is not a number")
        elif isinstance(n, Aggregate):
            if n.query.table not in EVENT_TABLES:
                raise _fail(measure_id, f"unknown event table {n.query.table!r}")
            near = n.query.near
            if near is not None and (n.kind != "exists" or n.query.window != Window()):
                raise _fail(measure_id, f"the {part} asks rows near a first date for something other than exists()")
            if near is not None and (near.days_before < 0 or near.days_after < 0):
                raise _fail(measure_id, f"the {part} needs non-negative days around the first date")
        elif isinstance(n, DateAddDays) and type_of(n.date) != "date":
            raise _fail(measure_id, f"the {part} adds days to something that is not a date")
        elif isinstance(n, AsInt) and type_of(n.operand) != "bool":
            raise _fail(measure_id, f"the {part} counts something that is not true/false")
        elif isinstance(n, CoPrescribed) and n.within_days < 0:
            raise _fail(measure_id, "co-prescribing needs a non-negative number of days")
