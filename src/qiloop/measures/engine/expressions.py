"""Model node → Ibis column: one dispatch on the node's type (``functools.singledispatch``).

A frame (population rows with feature columns) and the name of each feature's column are all a node needs:
:class:`Expressions` gives a feature its column, with the model's missing-value rule (false, 0 or missing),
and every other node its column through :func:`column`, one function per node type.

>>> import ibis
>>> from qiloop.measures import language as q
>>> rows = ibis.table({"age": "int64", "sex": "string"}, name="rows")
>>> Expressions(rows, {}).value(((q.age >= 65) & (q.sex == "female")).node).type().is_boolean()
True
"""

from __future__ import annotations

import datetime as dt
import operator
from functools import singledispatch
from typing import Any

import ibis
import ibis.expr.types as ir

from qiloop.measures import model as m

_COMPARE = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
    "eq": operator.eq,
    "ne": operator.ne,
}


class Expressions:
    """The Ibis columns of series nodes over ``frame``; ``features`` names each feature node's column."""

    def __init__(self, frame: ir.Table, features: dict[m.Node, str]) -> None:
        self.frame = frame
        self.features = features

    def value(self, node: m.Node) -> Any:
        if node in self.features:
            return _feature(node, self.frame[self.features[node]])
        return column(node, self)


def _feature(node: m.Node, values: Any) -> Any:
    """A feature's column, missing where a patient has no row: false for true/false, 0 for a count."""
    if m.type_of(node) == "bool":
        return values.fill_null(False)
    if isinstance(node, (m.Aggregate, m.AppointmentAggregate)) and node.kind == "count":
        return values.fill_null(0)
    return values


@singledispatch
def column(node: m.Node, on: Expressions) -> Any:
    """The column of ``node`` over ``on``'s frame (a feature not joined to it cannot be compiled)."""
    raise TypeError(f"cannot compile {node!r}")


@column.register
def _(node: m.Constant, on: Expressions) -> Any:
    if isinstance(node.value, dt.date):
        return ibis.literal(node.value, type="date")
    return ibis.literal(node.value)


@column.register
def _(node: m.ReferenceDate, on: Expressions) -> Any:
    return on.frame[node.offset.column]


@column.register
def _(node: m.Age, on: Expressions) -> Any:
    return on.frame.age


@column.register
def _(node: m.Sex, on: Expressions) -> Any:
    return on.frame.sex


@column.register
def _(node: m.RegistrationStart, on: Expressions) -> Any:
    return on.frame.registration_start


@column.register
def _(node: m.Compare, on: Expressions) -> Any:
    return _COMPARE[node.op](on.value(node.left), on.value(node.right)).fill_null(False)


@column.register
def _(node: m.IsIn, on: Expressions) -> Any:
    return on.value(node.operand).isin(sorted(node.values, key=str)).fill_null(False)


@column.register
def _(node: m.And, on: Expressions) -> Any:
    return on.value(node.left) & on.value(node.right)


@column.register
def _(node: m.Or, on: Expressions) -> Any:
    return on.value(node.left) | on.value(node.right)


@column.register
def _(node: m.Not, on: Expressions) -> Any:
    return ~on.value(node.operand)


@column.register
def _(node: m.DateAddDays, on: Expressions) -> Any:
    return on.value(node.date) + ibis.interval(days=node.days)


@column.register
def _(node: m.AsInt, on: Expressions) -> Any:
    return on.value(node.operand).cast("int64")


@column.register
def _(node: m.Add, on: Expressions) -> Any:
    return on.value(node.left) + on.value(node.right)
