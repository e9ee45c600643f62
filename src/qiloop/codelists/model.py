"""The :class:`Codelist` value: a named, versioned set of codes in one coding system."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

CodingSystem = Literal["snomedct", "dmd"]
CODING_SYSTEMS: tuple[CodingSystem, ...] = ("snomedct", "dmd")

# The table column each coding system is matched against.
SYSTEM_COLUMNS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {"snomedct": ("clinical_events", "snomedct_code"), "dmd": ("medications", "dmd_code")}
)


@dataclass(frozen=True)
class Codelist:
    """A code list: the codes a measure looks for in one column of the record.

    ``system`` is ``snomedct`` (matched against ``clinical_events.snomedct_code``) or
    ``dmd`` (matched against ``medications.dmd_code``). ``version`` and ``source`` say
    where the codes came from, so a result can name the exact lists it used.

    >>> from qiloop.codelists import load
    >>> copd = load("copd")
    >>> "13645005" in copd
    True
    """

    name: str
    system: CodingSystem
    version: str
    source: str
    codes: frozenset[str]
    terms: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)
    title: str = field(default="", compare=False)
    description: str = field(default="", compare=False)

    def __contains__(self, code: object) -> bool:
        return code in self.codes

    def __len__(self) -> int:
        return len(self.codes)

    def term(self, code: str) -> str:
        """The human-readable term for ``code`` ("" if the list has none)."""
        return self.terms.get(code, "")

    @property
    def table(self) -> str:
        """The canonical table this list is matched against."""
        return SYSTEM_COLUMNS[self.system][0]

    @property
    def column(self) -> str:
        """The column of :attr:`table` holding codes of this system."""
        return SYSTEM_COLUMNS[self.system][1]

    @property
    def label(self) -> str:
        """``name@version``, the form results record."""
        return f"{self.name}@{self.version}"
