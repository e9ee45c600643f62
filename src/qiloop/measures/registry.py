"""The measures qiloop knows: the built-in library (``qiloop.measures.library.all_measures()``) and any registered here."""

from __future__ import annotations

import difflib
import importlib

from qiloop.errors import QiloopError
from qiloop.measures.model import Measure

_EXTRA: dict[str, Measure] = {}


def register(measure: Measure) -> None:
    """Make ``measure`` available by id (for tests and local measures)."""
    _EXTRA[measure.id] = measure


def all_measures() -> dict[str, Measure]:
    """Every known measure by id: the built-in library (if installed) plus registered ones."""
    out: dict[str, Measure] = {}
    try:
        library = importlib.import_module("qiloop.measures.library")
    except ModuleNotFoundError as exc:
        if exc.name not in ("qiloop.measures.library",):
            raise
        library = None
    if library is not None and hasattr(library, "all_measures"):
        out.update(library.all_measures())
    out.update(_EXTRA)
    return out


def get_measure(measure_id: str) -> Measure:
    known = all_measures()
    if measure_id in known:
        return known[measure_id]
    close = difflib.get_close_matches(measure_id, list(known), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else "list the measures with: qiloop measures list"
    raise QiloopError(f"unknown measure {measure_id!r}", hint=hint)
