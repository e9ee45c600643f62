"""Progress bars for long work, written to stderr.

Shown when stderr is a terminal or QILOOP_PROGRESS=1; silent otherwise
(QILOOP_PROGRESS=0 always silences them).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

from qiloop import settings

T = TypeVar("T")


def progress_enabled() -> bool:
    setting = settings.current().progress
    return sys.stderr.isatty() if setting is None else setting


def bar(total: float | None = None, desc: str = "", unit: str = "it") -> tqdm:
    """A progress bar; call ``.update(n)`` and ``.close()`` (or use ``with``)."""
    return tqdm(total=total, desc=desc, unit=unit, disable=not progress_enabled(), file=sys.stderr, leave=False)


def track(items: Iterable[T], desc: str = "", total: int | None = None, unit: str = "it") -> Iterator[T]:
    yield from tqdm(
        items, desc=desc, total=total, unit=unit, disable=not progress_enabled(), file=sys.stderr, leave=False
    )
