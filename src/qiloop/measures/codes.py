"""Code lists as the measure model sees them: a name, a version, a coding system and a frozen set of codes.

The language accepts a :class:`Codes`, any object with ``codes`` (and
optionally ``name``/``id``, ``version``, ``system``) such as the code lists of
:mod:`qiloop.codelists`, or a plain iterable of code strings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from qiloop.errors import QiloopError

SYSTEMS = ("snomedct", "dmd")


@dataclass(frozen=True)
class Codes:
    name: str
    codes: frozenset[str]
    version: str = "unversioned"
    system: str | None = None

    def __post_init__(self) -> None:
        if not self.codes:
            raise QiloopError(f"code list {self.name!r} is empty", hint="a measure needs at least one code")

    def __repr__(self) -> str:
        return f"Codes({self.name!r}, {len(self.codes)} codes, version {self.version!r})"


def as_codes(value: Any, *, expected_system: str) -> Codes:
    """Normalise ``value`` into :class:`Codes`, checking its coding system when it states one."""
    if isinstance(value, Codes):
        codes = value
    elif hasattr(value, "codes"):
        raw = value.codes
        if isinstance(raw, dict):
            raw = raw.keys()
        name = getattr(value, "name", None) or getattr(value, "id", None) or "unnamed"
        version = getattr(value, "version", None) or "unversioned"
        system = getattr(value, "system", None) or getattr(value, "coding_system", None)
        codes = Codes(str(name), frozenset(str(c) for c in raw), str(version), _system_name(system))
    elif isinstance(value, str):
        codes = Codes(value, frozenset([value]))
    elif isinstance(value, Iterable):
        items = frozenset(str(c) for c in value)
        codes = Codes("inline: " + ", ".join(sorted(items)[:3]) + ("…" if len(items) > 3 else ""), items)
    else:
        raise QiloopError(f"expected a code list, got {type(value).__name__}")
    if codes.system is not None and codes.system != expected_system:
        raise QiloopError(
            f"code list {codes.name!r} is coded in {codes.system}, but this table is coded in {expected_system}",
            hint="clinical_events use SNOMED CT (snomedct); medications use dm+d (dmd)",
        )
    return codes


def _system_name(system: Any) -> str | None:
    if system is None:
        return None
    text = str(getattr(system, "value", system)).lower().replace("-", "").replace("+", "").replace("_", "")
    if text in ("snomedct", "snomed", "sct"):
        return "snomedct"
    if text in ("dmd",):
        return "dmd"
    return text
