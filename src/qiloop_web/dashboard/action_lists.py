"""Action lists for the pages, kept in this process's memory while the results they belong to last.

An action list is patient-level, so unlike ``memo.py`` (aggregates only) nothing here is ever written to disk,
pickled or shared between processes: each worker keeps the lists it has computed, in memory, keyed by the results
fingerprint (``Results.key``), the practice and the measure. New results drop every kept list. The pages that show
them stay ``no-store`` in the browser, and the permission check runs before any list is looked up.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from qiloop.measures.actions import ActionList

MAX_KEPT = 5000
"""At most this many lists per process (the least recently used go first): every measure for ~120 practices."""

_lock = threading.Lock()
_results_key = ""
_lists: OrderedDict[tuple[str, str], ActionList] = OrderedDict()
_counts = {"hits": 0, "misses": 0}


def kept(results_key: str | None, practice_id: str, measure_id: str, make: Callable[[], ActionList]) -> ActionList:
    """The action list for this practice and measure under the results ``results_key``: made once, then kept.

    Without results (``None``) nothing is kept: the list is made for each request. An error from ``make``
    is raised, never kept.
    """
    global _results_key
    if results_key is None:
        return make()
    key = (practice_id, measure_id)
    with _lock:
        if results_key != _results_key:
            _results_key = results_key
            _lists.clear()
        if key in _lists:
            _lists.move_to_end(key)
            _counts["hits"] += 1
            return _lists[key]
        _counts["misses"] += 1
    listed = make()  # outside the lock: a list takes a moment; two threads making one list is harmless
    with _lock:
        if results_key == _results_key:
            _lists[key] = listed
            while len(_lists) > MAX_KEPT:
                _lists.popitem(last=False)
    return listed


def kept_with_the_others(
    results_key: str | None,
    practice_id: str,
    measure_id: str,
    make: Callable[[], ActionList],
    make_all: Callable[[], dict[str, ActionList]],
) -> ActionList:
    """As :func:`kept`, but a list not yet kept is made for every practice at once (``make_all``: one query,
    about the cost of one list) and all are kept, so the other practices' lists of the measure are ready too.
    A practice ``make_all`` leaves out is made on its own (``make``), which says what is wrong."""
    if results_key is None:
        return make()
    with _lock:
        ready = results_key == _results_key and (practice_id, measure_id) in _lists
    if not ready:
        made = make_all()
        for practice, listed in made.items():
            kept(results_key, practice, measure_id, lambda listed=listed: listed)
    return kept(results_key, practice_id, measure_id, make)


def counts() -> dict[str, int]:
    """How often a list was found kept ("hits") or had to be made ("misses"), since the process started."""
    with _lock:
        return dict(_counts)


def forget() -> None:
    """Drop every kept list (tests; a results change does this by itself)."""
    global _results_key
    with _lock:
        _results_key = ""
        _lists.clear()
