"""The accepted phases a practice's charts are drawn with (reads only; writes are in ``dashboard.actions``)."""

from __future__ import annotations

import datetime as dt
import hashlib

from qiloop_web.dashboard.models import ChartPhase


def accepted(practice_code: str) -> dict[str, tuple[dt.date, ...]]:
    """Each measure's accepted phase starts at the practice, in date order (measures without any are absent)."""
    out: dict[str, list[dt.date]] = {}
    rows = ChartPhase.objects.filter(practice__code=practice_code).order_by("measure_id", "starts")
    for measure_id, starts in rows.values_list("measure_id", "starts"):
        out.setdefault(measure_id, []).append(starts)
    return {measure_id: tuple(starts) for measure_id, starts in out.items()}


def of_measure(practice_code: str, measure_id: str) -> list[ChartPhase]:
    return list(
        ChartPhase.objects.filter(practice__code=practice_code, measure_id=measure_id)
        .select_related("accepted_by")
        .order_by("starts")
    )


def cache_parts(practice_code: str, measure_id: str | None = None) -> tuple[str, ...]:
    """A part for page-fragment cache keys that changes whenever the phases change (none when there are none)."""
    phases = accepted(practice_code)
    if measure_id is not None:
        phases = {measure_id: phases[measure_id]} if measure_id in phases else {}
    if not phases:
        return ()
    text = repr(sorted(phases.items()))
    return ("phases-" + hashlib.sha256(text.encode()).hexdigest()[:16],)
