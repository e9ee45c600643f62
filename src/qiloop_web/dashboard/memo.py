"""What the pages draw from one set of results (charts, numbers, funnels, small multiples), kept while it lasts.

Everything here is built from aggregate results only — never patient-level rows — so it may be kept in
memory and saved to disk: ``start`` and ``serve`` draw every chart before their worker processes are
forked (each worker then starts with them), and save them to ``var/cache/`` so that the next start with
the same results loads them in a second or two instead of drawing them again.

The key of each item names the results it was drawn from (``Results.key``: their fingerprint and when they
were computed); when new results arrive, everything drawn from the old ones is dropped.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_results_key = ""
_items: dict[Hashable, Any] = {}
_counts = {"hits": 0, "misses": 0}


def kept(results_key: str, key: Hashable, make: Callable[[], T]) -> T:
    """The item ``key`` drawn from the results ``results_key``: made once with ``make``, then kept."""
    global _results_key, _items
    with _lock:
        if results_key != _results_key:
            _results_key, _items = results_key, {}
        if key in _items:
            _counts["hits"] += 1
            return _items[key]  # type: ignore[no-any-return]
        _counts["misses"] += 1
    value = make()  # outside the lock: drawing takes a while, and two threads making one item is harmless
    with _lock:
        if results_key == _results_key:
            _items[key] = value
    return value


def counts() -> dict[str, int]:
    """How often an item was found kept ("hits") or had to be made ("misses"), since the process started."""
    with _lock:
        return dict(_counts)


def code_fingerprint() -> str:
    """The code that draws: this app, the SPC engine, the chart specs, disclosure control. A saved file is
    used only by the same code (a changed chart or SPC rule must not come back from an older start)."""
    import qiloop
    import qiloop_web

    library = Path(qiloop.__file__).parent
    sources = [
        *sorted((Path(qiloop_web.__file__).parent / "dashboard").glob("*.py")),
        *sorted((library / "spc").glob("*.py")),
        *sorted((library / "charts").glob("*.py")),
        library / "measures" / "disclosure.py",
        library / "measures" / "lookback.py",
    ]
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def cache_file(directory: Path, results_key: str) -> Path:
    name = hashlib.sha256(f"{results_key}|{code_fingerprint()}".encode()).hexdigest()[:24]
    return Path(directory) / f"charts-{name}.pickle"


def save(directory: Path, results_key: str) -> Path | None:
    """Write what is kept for ``results_key`` to a file in ``directory`` (replacing older files); None if nothing."""
    with _lock:
        if results_key != _results_key or not _items:
            return None
        payload = pickle.dumps({"results_key": results_key, "items": dict(_items)}, protocol=pickle.HIGHEST_PROTOCOL)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = cache_file(directory, results_key)
    with tempfile.NamedTemporaryFile(dir=directory, prefix=".charts-", delete=False) as out:
        out.write(payload)
    os.replace(out.name, target)
    for old in directory.glob("charts-*.pickle"):
        if old != target:
            old.unlink(missing_ok=True)
    return target


def load(directory: Path, results_key: str) -> int:
    """Take in what a previous start saved for ``results_key``; returns how many items (0 if none or unreadable)."""
    global _results_key, _items
    try:
        saved = pickle.loads(cache_file(directory, results_key).read_bytes())  # noqa: S301 - our own file in var/
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return 0
    if not isinstance(saved, dict) or saved.get("results_key") != results_key:
        return 0
    with _lock:
        if results_key != _results_key:
            _results_key, _items = results_key, {}
        _items.update(saved["items"])
        return len(_items)
