"""The England comparator on a practice's access measure pages, from NHS England's GP appointments data (GPAD).

When the store holds GPAD (``qiloop import --from gpad``, docs/importers.md) and the measure has a GPAD
comparator, the measure page shows, month by month, England's figure (pooled over every practice in the
files) and the practice's own GPAD figure, with how GPAD's definition differs from the measure's. GPAD is
published aggregate data: nothing here is patient-level.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from qiloop.errors import QiloopError
from qiloop.records.gpad import DEFINITIONS, comparator, has_comparator

MONTHS_SHOWN = 12


def england_context(store: Path, measure_id: str, practice_id: str) -> dict[str, Any]:
    """``{"england": {...}}`` for the measure page, or ``{"england": None}`` when there is nothing to show."""
    if measure_id not in DEFINITIONS:
        return {"england": None}
    try:
        stamp = store.stat().st_mtime_ns
    except OSError:
        return {"england": None}
    return {"england": _england(str(store), stamp, measure_id, practice_id)}


@functools.lru_cache(maxsize=64)
def _england(store: str, stamp: int, measure_id: str, practice_id: str) -> dict[str, Any] | None:
    """Kept while the store file is unchanged (``stamp`` is its modification time)."""
    try:
        if not has_comparator(store):
            return None
        found = comparator(store, measure_id, practice_id=practice_id)
    except (QiloopError, OSError):
        return None
    own = {f.month: f for f in found.practice}
    rows = []
    for figure in sorted(found.national, key=lambda f: f.month, reverse=True)[:MONTHS_SHOWN]:
        mine = own.get(figure.month)
        rows.append(
            {
                "month": figure.month.strftime("%B %Y"),
                "england": _percent(figure.value),
                "practice": _percent(mine.value) if mine else "not in the data",
                "provisional": figure.provisional,
                "practices": len(found.practices.get(figure.month, [])),
            }
        )
    if not rows:
        return None
    return {"rows": rows, "definition": found.definition, "differences": found.differences}


def _percent(value: float | None) -> str:
    return "no appointments" if value is None else f"{100 * value:.1f}%"
