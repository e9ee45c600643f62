"""Which system and table a delimited file's header row comes from.

When a file given as one kind of extract does not look like it, the converter asks this module whether it
looks like another, so the error can say "this is an EMIS Web CareRecord_Observation file, not SystmOne".

Each converter module ``qiloop.records.from_<kind>`` may expose ``HEADER_SIGNATURES``: a mapping from a
table's name in that system to the headers that mark it (a few distinctive column names, compared without
case, spaces or underscores). A file is recognised as the table whose signature it holds most completely,
provided it holds at least three quarters of it.

>>> recognise(["PatientGuid", "OrganisationGuid", "Deleted"], only=())
>>> normalised("Date Of Birth")
'dateofbirth'
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The kinds whose converters may declare signatures, and how a person names them.
SYSTEMS: dict[str, str] = {
    "emis": "an EMIS Web bulk extract",
    "systmone": "a SystmOne Strategic Reporting extract",
    "ehrql": "an ehrQL table",
    "canonical": "a qiloop canonical extract",
}
MIN_SHARE = 0.75


@dataclass(frozen=True)
class Recognised:
    """A file recognised as ``table`` of the ``kind`` of extract, holding ``share`` of its signature."""

    kind: str
    table: str
    share: float

    def describe(self) -> str:
        system = SYSTEMS.get(self.kind, self.kind)
        return f"it looks like {system}'s {self.table} file"


def normalised(header: str) -> str:
    return "".join(ch for ch in header.lower() if ch.isalnum())


def signatures(only: Iterable[str] | None = None) -> dict[tuple[str, str], frozenset[str]]:
    """Every declared signature, keyed by (kind, table); ``only`` limits the kinds asked."""
    found: dict[tuple[str, str], frozenset[str]] = {}
    for kind in SYSTEMS if only is None else only:
        try:
            module = importlib.import_module(f"qiloop.records.from_{kind}")
        except ModuleNotFoundError as exc:
            if exc.name == f"qiloop.records.from_{kind}":
                continue
            raise
        declared: Mapping[str, Iterable[str]] = getattr(module, "HEADER_SIGNATURES", {})
        for table, headers in declared.items():
            found[(kind, table)] = frozenset(normalised(h) for h in headers)
    return found


def recognise(headers: Iterable[str], *, only: Iterable[str] | None = None) -> Recognised | None:
    """The (kind, table) whose signature these headers hold most completely, or None."""
    have = {normalised(h) for h in headers}
    best: Recognised | None = None
    for (kind, table), wanted in signatures(only).items():
        if not wanted:
            continue
        share = len(have & wanted) / len(wanted)
        if share >= MIN_SHARE and (best is None or share > best.share):
            best = Recognised(kind, table, share)
    return best


def wrong_kind_hint(headers: Iterable[str], expected_kind: str) -> str | None:
    """A sentence naming what the file looks like when it is another kind's, else None."""
    found = recognise(headers)
    if found is None or found.kind == expected_kind:
        return None
    return f"{found.describe()}; import it with --from {found.kind}"
