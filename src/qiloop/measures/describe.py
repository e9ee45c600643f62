"""Plain-English descriptions of measure expressions (for ``qiloop measures describe`` and action lists)."""

from __future__ import annotations

from qiloop.measures import model as m

_OPS = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "eq": "=", "ne": "≠"}
_EVENT_KINDS = {
    "exists": "any",
    "count": "number of",
    "first_date": "first date of",
    "last_date": "last date of",
    "latest_value": "latest value of",
    "latest_value_date": "date of the latest value of",
}
_TABLE_NOUNS = {"clinical_events": "events", "medications": "issues"}


def describe(node: m.Node) -> str:
    """A one-line description of a series for an analyst."""
    if isinstance(node, m.Constant):
        return str(node.value)
    if isinstance(node, m.ReferenceDate):
        return "the reference date" if node.offset == m.REFERENCE else f"{node.offset.label} before the reference date"
    if isinstance(node, m.Age):
        return "age"
    if isinstance(node, m.Sex):
        return "sex"
    if isinstance(node, m.RegistrationStart):
        return "registration start date"
    if isinstance(node, m.Aggregate):
        q = node.query
        values = "".join(f" with value {_OPS[op]} {bound:g}" for op, bound in q.value_conditions)
        if q.near is not None:
            values += (
                f" from {q.near.days_before} days before to {q.near.days_after} days after the first"
                f" {q.near.anchor.name} event"
            )
        return f"{_EVENT_KINDS[node.kind]} {q.codes.name} {_TABLE_NOUNS[q.table]}{values} {q.window.label}"
    if isinstance(node, m.AppointmentAggregate):
        return f"{_appointment_kind(node.kind)} {_appointments(node.query)}"
    if isinstance(node, m.Unresolved):
        return f"on the {node.diagnosis.name} register (not resolved by {node.resolved.name})"
    if isinstance(node, m.CoPrescribed):
        return (
            f"{node.first.name} and {node.second.name} issued at most {node.within_days} days apart {node.window.label}"
        )
    if isinstance(node, m.Compare):
        return f"{describe(node.left)} {_OPS[node.op]} {describe(node.right)}"
    if isinstance(node, m.IsIn):
        return f"{describe(node.operand)} is one of {', '.join(sorted(map(str, node.values)))}"
    if isinstance(node, m.And):
        return " and ".join(_wrapped(part) for part in conjuncts(node))
    if isinstance(node, m.Or):
        return " or ".join(_wrapped(part) for part in _disjuncts(node))
    if isinstance(node, m.Not):
        return f"not {_wrapped(node.operand)}"
    if isinstance(node, m.DateAddDays):
        sign = "+" if node.days >= 0 else "−"
        return f"{describe(node.date)} {sign} {abs(node.days)} days"
    if isinstance(node, m.AsInt):
        return f"1 if {describe(node.operand)} else 0"
    if isinstance(node, m.Add):
        return f"{describe(node.left)} + {describe(node.right)}"
    return repr(node)


def _wrapped(node: m.Node) -> str:
    text = describe(node)
    return f"({text})" if isinstance(node, (m.And, m.Or)) else text


def _disjuncts(node: m.Node) -> list[m.Node]:
    if isinstance(node, m.Or):
        return _disjuncts(node.left) + _disjuncts(node.right)
    return [node]


def _appointment_kind(kind: str) -> str:
    return {
        "exists": "any",
        "count": "number of",
        "upc": "UPC continuity index over",
        "coc": "COC continuity index over",
    }[kind]


def _appointments(q: m.AppointmentQuery) -> str:
    parts = ["appointments"]
    for name in ("status", "mode", "hcp_role"):
        values = getattr(q, name)
        if values is not None:
            parts.append(f"with {name} {'/'.join(sorted(values))}")
    if q.booked_date_known:
        parts.append("with a booking date")
    if q.min_lead_days is not None:
        parts.append(f"booked at least {q.min_lead_days} days ahead")
    if q.max_lead_days is not None:
        parts.append(f"booked at most {q.max_lead_days} days ahead")
    parts.append(q.window.label)
    return " ".join(parts)


def conjuncts(node: m.Node) -> list[m.Node]:
    """The parts of an ``a & b & c`` expression (the node itself when it is not an And)."""
    if isinstance(node, m.And):
        return conjuncts(node.left) + conjuncts(node.right)
    return [node]
