"""What a condition says without evaluating it: the features it cannot hold without, and its age bounds.

A condition's **driving features** are the features at least one of which must have a row for it to be true:
a measure whose denominator has one starts from that feature's rows, not from the whole population.

>>> from qiloop.measures import language as q
>>> copd = q.clinical_events(["copd"]).exists()
>>> drivers(((q.age >= 40) & copd).node) == [copd.node], age_bound((q.age > 64).node)
(True, ('ge', 65))
"""

from __future__ import annotations

from qiloop.measures import model as m


def continuity_sum(den: m.Node, num: m.Node) -> bool:
    """Whether the measure is a continuity index over the patients who have one (``index >= 0``)."""
    return (
        isinstance(num, m.AppointmentAggregate)
        and num.kind in ("upc", "coc")
        and isinstance(den, m.Compare)
        and den.op == "ge"
        and isinstance(den.left, m.AppointmentAggregate)
        and den.left.kind in ("upc", "coc")
        and den.left.query == num.query
        and isinstance(den.right, m.Constant)
        and den.right.value == 0
    )


def nested_counts(den: m.Node, num: m.Node) -> bool:
    """Whether ``den`` and ``num`` count appointments and every appointment ``num`` counts, ``den`` counts."""
    return (
        isinstance(den, m.AppointmentAggregate)
        and isinstance(num, m.AppointmentAggregate)
        and den.kind == num.kind == "count"
        and num.query.refines(den.query)
    )


def age_bound(condition: m.Node) -> tuple[str, int] | None:
    """("ge", c) for a condition meaning age ≥ c, ("le", c) for age ≤ c, else None."""
    if not isinstance(condition, m.Compare):
        return None
    op: str = condition.op
    left, right = condition.left, condition.right
    if isinstance(right, m.Age) and isinstance(left, m.Constant):
        op, left, right = m.FLIPPED[condition.op], right, left
    if not (isinstance(left, m.Age) and isinstance(right, m.Constant)):
        return None
    value = right.value
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return {"ge": ("ge", value), "gt": ("ge", value + 1), "le": ("le", value), "lt": ("le", value - 1)}.get(op)


_COUNTS = (m.Aggregate, m.AppointmentAggregate)


def _is_count(node: m.Node) -> bool:
    return isinstance(node, _COUNTS) and node.kind == "count"


def _requires_positive(op: m.CompareOp, constant: m.Node, count_on_left: bool) -> bool:
    """Whether ``count <op> constant`` (or ``constant <op> count``) can only hold for a count above 0."""
    if not isinstance(constant, m.Constant) or isinstance(constant.value, bool):
        return False
    if not isinstance(constant.value, (int, float)):
        return False
    c = constant.value
    if not count_on_left:
        op = m.FLIPPED[op]
    return (op == "ge" and c >= 1) or (op == "gt" and c >= 0) or (op == "eq" and c >= 1)


def driver(node: m.Node) -> m.Node | None:
    """A feature that must have a row for ``node`` to be true (or, for a count, above 0), if there is one.

    Measures start from that feature's rows instead of the whole population: same result, far fewer rows.
    """
    if isinstance(node, (m.Unresolved, m.CoPrescribed)):
        return node
    if isinstance(node, _COUNTS) and node.kind in ("exists", "count"):
        return node
    if isinstance(node, m.And):
        return driver(node.left) or driver(node.right)
    if isinstance(node, m.Compare):
        for side, other, on_left in ((node.left, node.right, True), (node.right, node.left, False)):
            if isinstance(side, m.FEATURE_TYPES):
                if not _is_count(side) and not (isinstance(side, _COUNTS) and side.kind == "exists"):
                    return side  # a missing date or value makes the comparison false
                if _is_count(side) and _requires_positive(node.op, other, on_left):
                    return side
    return None


def drivers(node: m.Node) -> list[m.Node]:
    """Features at least one of which must have a row for ``node`` to be true (empty: no such set).

    For an ``Or`` this is every branch's driving feature (the candidate set); otherwise ``driver``'s one feature.
    """
    if isinstance(node, m.Or):
        left, right = drivers(node.left), drivers(node.right)
        if not left or not right:
            return []
        return list(dict.fromkeys([*left, *right]))
    if isinstance(node, m.And):
        left, right = drivers(node.left), drivers(node.right)
        options = [d for d in (left, right) if d]
        return min(options, key=len) if options else []
    found = driver(node)
    return [found] if found is not None else []
