"""Criteria from the measure library, the right way round, and collections computed from the records.

A criterion is met by the patients who **received the care**: its eligible patients are the measure's denominator
and the met ones its numerator, so only measures where high is good can be criteria. A hazard measure (PINCER,
low is good) counts the patients harmed; its complement ("over-65s without gastro-protection who are not on an
NSAID") is no audit population. The library holds audit variants for those
(:mod:`qiloop.measures.library.audit_variants`, e.g. ``pincer_a_audit``: over-65s on an oral NSAID, met when
gastro-protected); :func:`criterion_measure` names the variant when a hazard is chosen.

:func:`collect` runs the engine at one reference date for one practice and records met, eligible and excluded with
the measure's version, its code-list versions, the store's fingerprint and qiloop's version: the workbench keeps
that record as it is, so a later import never changes a past audit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from qiloop import __version__
from qiloop.audit.model import EMPTY_POPULATION, AuditInputError
from qiloop.errors import QiloopError
from qiloop.measures import model as m


@dataclass(frozen=True)
class CriterionResult:
    """One computed collection of one criterion."""

    measure_id: str
    practice_id: str
    reference_date: dt.date
    met: int
    eligible: int
    excluded: int
    measure_version: str
    codelist_versions: Mapping[str, str]
    store_fingerprint: str
    qiloop_version: str

    def as_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["reference_date"] = self.reference_date.isoformat()
        out["codelist_versions"] = dict(self.codelist_versions)
        return out


def audit_variant_of(measure_id: str) -> str | None:
    """The audit variant of a hazard measure, if the library has one."""
    from qiloop.measures.library.audit_variants import VARIANT_OF

    return VARIANT_OF.get(measure_id)


def criterion_measure(measure: m.Measure | str) -> m.Measure:
    """The measure, when it can be an audit criterion: high is good, a count of patients over patients."""
    from qiloop.measures.registry import get_measure

    chosen = measure if isinstance(measure, m.Measure) else get_measure(measure)
    if chosen.low_is_good:
        variant = audit_variant_of(chosen.id)
        hint = (
            f"use its audit variant {variant}, which counts the patients who received the care"
            if variant
            else "choose a measure where high is good, or enter the counts by hand"
        )
        raise AuditInputError(
            f"measure {chosen.id!r} counts a hazard (low is good), so it cannot say who met a criterion", hint=hint
        )
    if chosen.per != 1 or m.type_of(chosen.numerator) != "bool" or m.type_of(chosen.denominator) != "bool":
        raise AuditInputError(
            f"measure {chosen.id!r} is not a share of patients, so it cannot be an audit criterion",
            hint="choose a measure that counts patients who received care among eligible patients",
        )
    return chosen


def store_fingerprint(store: Any) -> str:
    """A short fingerprint of the data a collection was computed from.

    A qiloop store file: the SHA-256 of its tables' source hashes and row counts (from its metadata); a mapping of
    tables: the hash of their contents; anything else: its type only.
    """
    digest = hashlib.sha256()
    if isinstance(store, (str, Path)) and Path(store).is_file():
        from qiloop.records.store import read_store_info

        info = read_store_info(Path(store))
        for name in sorted(info.tables):
            table = info.tables[name]
            digest.update(f"{name}:{table.source_sha256}:{table.rows};".encode())
        return "sha256:" + digest.hexdigest()[:16]
    if isinstance(store, Mapping):
        for name in sorted(store):
            frame = store[name]
            digest.update(name.encode())
            if isinstance(frame, pd.DataFrame):
                digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        return "sha256:" + digest.hexdigest()[:16]
    return f"unrecorded ({type(store).__name__})"


def _counts(store: Any, measure: m.Measure, practice_id: str, day: dt.date) -> tuple[int, int]:
    from qiloop.measures.actions import _one_practice
    from qiloop.measures.dates import Interval
    from qiloop.measures.engine.connection import open_store
    from qiloop.measures.run import _run

    opened = open_store(store, "duckdb")
    try:
        opened.require(measure.tables, measure.id)
        # The store seen through the practice (as its action list is): the same counts, a fraction of the work.
        try:
            results = _run(_one_practice(opened, practice_id), [measure], [Interval(day.replace(day=1), day)], ())
        except QiloopError:  # nobody registered in the practice's view of the store
            results = pd.DataFrame({"practice_id": []})
    finally:
        if opened is not store:
            opened.close()
    rows = results[results["practice_id"].astype(str) == practice_id]
    if rows.empty:
        raise AuditInputError(
            f"no patients registered at practice {practice_id!r} on {day:%-d %B %Y}",
            hint="check the practice code and the date",
        )
    row = rows.iloc[0]
    return _int(row["numerator"]), _int(row["denominator"])


def _int(value: Any) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def collect(store: Any, measure: m.Measure | str, practice_id: str, reference_date: dt.date | str) -> CriterionResult:
    """Met, eligible and excluded for one practice at ``reference_date``, with what makes it reproducible.

    ``excluded`` counts the patients the measure's exclusions (QOF personalised care adjustments) removed.
    """
    chosen = criterion_measure(measure)
    day = dt.date.fromisoformat(reference_date) if isinstance(reference_date, str) else reference_date
    met, eligible = _counts(store, chosen, practice_id, day)
    excluded = 0
    if chosen.exclusions is not None:
        everyone = dataclasses.replace(chosen, exclusions=None, choices=())  # its choices name the exclusions
        excluded = _counts(store, everyone, practice_id, day)[1] - eligible
    if eligible == 0:
        raise AuditInputError(f"{EMPTY_POPULATION} ({chosen.id} at {practice_id} on {day:%-d %B %Y})")
    return CriterionResult(
        measure_id=chosen.id,
        practice_id=practice_id,
        reference_date=day,
        met=met,
        eligible=eligible,
        excluded=excluded,
        measure_version=chosen.version,
        codelist_versions=chosen.codelist_versions,
        store_fingerprint=store_fingerprint(store),
        qiloop_version=__version__,
    )


def monthly_series(
    store: Any, measure: m.Measure | str, practice_id: str, start: dt.date, end: dt.date
) -> tuple[list[str], list[int], list[int]]:
    """The practice's monthly (month ends, met, eligible) for a criterion measure, for the SPC chart between rounds."""
    from qiloop.measures.run import run_measures

    chosen = criterion_measure(measure)
    results = run_measures(store, [chosen], start=start, end=end)
    rows = results[results["practice_id"].astype(str) == practice_id].sort_values("interval_end")
    x = [str(v)[:10] for v in rows["interval_end"]]
    return x, [_int(v) for v in rows["numerator"]], [_int(v) for v in rows["denominator"]]
