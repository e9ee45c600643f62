"""The measure results the pages read, kept in memory until the files change.

The results are computed by the library (``qiloop.measures.results_store.compute_results``: every measure for
every practice and month, with the latest month's breakdowns and a manifest of what they came from). Pages
call :func:`load_results`, which reads them (``read_results``) once per computed set.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from qiloop.measures.results_store import read_results


@dataclass(frozen=True, eq=False)  # compared (and hashed) by identity: one object per computed set
class Results:
    """The results tables in memory, and when they were computed."""

    results: pd.DataFrame
    breakdowns: pd.DataFrame
    manifest: dict[str, object]

    @property
    def key(self) -> str:
        """Names this set of results in cache keys: their fingerprint and when they were computed."""
        return f"{self.manifest.get('digest', '')}-{self.manifest.get('computed_at', '')}"

    def practice_ids(self) -> set[str]:
        return set(self.results["practice_id"].unique())


_cache: dict[Path, tuple[float, Results]] = {}
_lock = threading.Lock()


def load_results(directory: Path) -> Results | None:
    """The results in ``directory`` (None when there are none yet), re-read only when the manifest changes."""
    manifest_path = Path(directory) / "manifest.json"
    try:
        stamp = manifest_path.stat().st_mtime
    except OSError:
        return None
    with _lock:
        cached = _cache.get(manifest_path)
        if cached and cached[0] == stamp:
            return cached[1]
        loaded = Results(*read_results(manifest_path.parent))
        _cache[manifest_path] = (stamp, loaded)
        return loaded
