"""The built-in code lists: loading by name, the manifest, and every known code."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, cast

from qiloop.codelists.model import CODING_SYSTEMS, Codelist, CodingSystem
from qiloop.codelists.reader import read_codelist_csv
from qiloop.errors import InputError, QiloopError

DATA_DIR = Path(__file__).resolve().parent / "data"
MANIFEST = DATA_DIR / "manifest.json"
REQUIRED_FIELDS = ("name", "title", "system", "source", "version", "description")


@cache
def manifest() -> dict[str, dict[str, Any]]:
    """Manifest entries of the built-in code lists, by name (id, title, system, source, version...)."""
    try:
        data = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise QiloopError(f"{MANIFEST}: cannot read the code-list manifest: {exc}") from exc
    entries: dict[str, dict[str, Any]] = {}
    for position, entry in enumerate(data.get("codelists", []), start=1):
        missing = [f for f in REQUIRED_FIELDS if not entry.get(f)]
        if missing:
            raise QiloopError(f"{MANIFEST}: entry {position} lacks {', '.join(missing)}")
        if entry["system"] not in CODING_SYSTEMS:
            raise QiloopError(f"{MANIFEST}: {entry['name']}: unknown coding system {entry['system']!r}")
        if entry["name"] in entries:
            raise QiloopError(f"{MANIFEST}: code list {entry['name']} is listed twice")
        entries[entry["name"]] = entry
    return entries


def names() -> list[str]:
    """Names of every built-in code list, sorted."""
    return sorted(manifest())


@cache
def load(name: str) -> Codelist:
    """The built-in code list called ``name``.

    >>> load("pincer_nsaid").system
    'dmd'

    Raises :class:`~qiloop.errors.QiloopError` for an unknown name.
    """
    entries = manifest()
    if name not in entries:
        raise QiloopError(
            f"unknown code list {name!r}",
            hint=f"built-in code lists: {', '.join(sorted(entries))}",
        )
    entry = entries[name]
    terms = read_codelist_csv(DATA_DIR / f"{name}.csv")
    return Codelist(
        name=name,
        system=cast(CodingSystem, entry["system"]),
        version=entry["version"],
        source=entry["source"],
        codes=frozenset(terms),
        terms=MappingProxyType(terms),
        title=entry["title"],
        description=entry["description"],
    )


def load_file(path: Path, *, name: str, system: CodingSystem, version: str = "local", source: str = "") -> Codelist:
    """A code list from the user's own ``code,term`` CSV file (e.g. a practice's local list)."""
    if system not in CODING_SYSTEMS:
        raise InputError(f"unknown coding system {system!r}", hint="use snomedct or dmd")
    terms = read_codelist_csv(Path(path))
    return Codelist(
        name=name,
        system=system,
        version=version,
        source=source or str(path),
        codes=frozenset(terms),
        terms=MappingProxyType(terms),
    )


def all_codelists() -> dict[str, Codelist]:
    """Every built-in code list, by name."""
    return {name: load(name) for name in names()}


@cache
def all_known_codes() -> dict[str, frozenset[str]]:
    """Every code in any built-in list, by coding system: ``{"snomedct": ..., "dmd": ...}``.

    The data-quality report uses this to flag codes in an extract that no measure looks at.
    """
    known: dict[str, set[str]] = {system: set() for system in CODING_SYSTEMS}
    for codelist in all_codelists().values():
        known[codelist.system] |= codelist.codes
    return {system: frozenset(codes) for system, codes in known.items()}
