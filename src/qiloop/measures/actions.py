"""Action lists: patients in a measure's denominator who are not (yet) in its numerator, with why.

Patient-level: for use inside the patient's own practice only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from qiloop.errors import QiloopError
from qiloop.measures import model as m
from qiloop.measures.dates import Interval
from qiloop.measures.describe import conjuncts, describe
from qiloop.measures.engine.compiler import Compiler, _Expressions
from qiloop.measures.engine.store import open_store
from qiloop.measures.run import parse_month, resolve_measures


def action_list(
    store: Any,
    measure: m.Measure | str,
    practice_id: str,
    *,
    on: str | dt.date | None = None,
    engine: str = "duckdb",
) -> pd.DataFrame:
    """Patients of ``practice_id`` in the denominator but not the numerator on ``on`` (default: today).

    Columns: ``patient_id``, ``reason`` (the parts of the numerator not met),
    then one column per feature the measure uses (dates, values, counts),
    named by its description. Sorted by patient_id.
    """
    (chosen,) = resolve_measures([measure])
    day = parse_month(on, end=True) if on is not None else dt.date.today()
    opened = open_store(store, engine)
    try:
        opened.require(chosen.tables, chosen.id)
        compiler = Compiler(opened, [Interval(day.replace(day=1), day)], [chosen])
        compiled = compiler.compile(chosen)
        frame = compiled.frame
        practices = frame.filter(frame.practice_id == practice_id).count().to_pandas()
        if not practices:
            raise QiloopError(
                f"no patients registered at practice {practice_id!r} on {day}",
                hint="check the practice code (qiloop measures run lists practices) and the date",
            )
        expressions = _Expressions(frame, compiled.feature_columns)
        parts = conjuncts(chosen.numerator) if m.type_of(chosen.numerator) == "bool" else []
        extra = {f"part_{i}": expressions.value(p) for i, p in enumerate(parts)}
        wanted = frame.mutate(**extra).filter(
            (frame.practice_id == practice_id) & frame.in_denominator & (frame.numerator_value == 0)
        )
        labels = {name: describe(node) for node, name in compiled.feature_columns.items()}
        table = wanted.select("patient_id", *extra, *labels).to_pandas()
    finally:
        if opened is not store:
            opened.close()
    if parts:
        reasons = [
            "; ".join(f"not met: {describe(p)}" for i, p in enumerate(parts) if not row[f"part_{i}"])
            for row in table.to_dict("records")
        ]
    else:
        reasons = [f"{describe(chosen.numerator)} is 0 or missing"] * len(table)
    out = pd.DataFrame({"patient_id": table["patient_id"], "reason": reasons})
    for name, label in labels.items():
        out[label] = table[name].values
    return out.sort_values("patient_id").reset_index(drop=True)
