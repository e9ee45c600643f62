"""Writers that put a canonical extract into another system's layout, for round-trip tests and import benchmarks.

Each module ``qiloop.bench.layouts.<kind>`` (a kind of :data:`qiloop.records.convert.KINDS`) exposes
``write(extract_dir: Path, out_dir: Path) -> None``: read the canonical tables in ``extract_dir`` (CSV or
Parquet, as ``qiloop synth`` writes them, NHS numbers included) and write the same records as that system
lays them out into ``out_dir``. They write synthetic data only and are not importers. A module whose layout
cannot carry every row also exposes ``expected_rows(extract_dir, canonical) -> dict[str, int]``: the table row
counts an import of it gives, from the canonical import's (:func:`expected_rows`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

Writer = Callable[[Path, Path], None]


def writer(kind: str) -> Writer:
    """The layout writer for ``kind``; a clear error when there is none."""
    try:
        module = importlib.import_module(f"qiloop.bench.layouts.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name != f"qiloop.bench.layouts.{kind}":
            raise
        raise ValueError(f"no layout writer for {kind!r}") from None
    found: Writer = module.write
    return found


def expected_rows(kind: str, extract_dir: Path, canonical: dict[str, int]) -> dict[str, int]:
    """The row counts an import of ``kind``'s layout of ``extract_dir`` should give (``canonical``'s, unless the
    layout says otherwise)."""
    module = importlib.import_module(f"qiloop.bench.layouts.{kind}")
    expected: Callable[[Path, dict[str, int]], dict[str, int]] | None = getattr(module, "expected_rows", None)
    return dict(canonical) if expected is None else expected(extract_dir, canonical)
