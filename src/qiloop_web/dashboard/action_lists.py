"""Action lists for the pages: kept while the results they belong to last, in memory and in a private file.

A list is looked for, in turn:

1. in this process's memory (keyed by the results fingerprint ``Results.key``, the practice and the measure);
2. in the private cache file of its measure, ``var/cache/action-lists/RESULTS/MEASURE.pickle``, where RESULTS names
   the results and the code that makes lists (:func:`code_fingerprint`), so a new import (new results) or changed
   action-list code never reads an old file;
3. otherwise it is computed for every practice at once (one query, about the cost of one list), written to that
   file and kept in memory.

Step 3 runs under a lock per measure — a thread lock in the process and a file lock (``MEASURE.lock``) between
processes — so 20 people asking for one measure at once cause one computation: the others wait for it and read
what it wrote. After the charts are drawn, ``start`` and ``serve`` run :func:`warm` in one separate, lower-priority
process (``python -m qiloop_web warm_action_lists``) that goes through every measure the same way, so the lists are
ready before anyone asks and the server's own threads never compute them; a later start with the same results
finds every file and computes nothing.

Action lists are patient-level, so the files are kept as privately as the store: folders 0700 and files 0600
(whatever the umask), only under the workbench's state folder, written whole (a temporary file renamed into
place), and the folders of older results are removed when new ones are made. Nothing here reaches the chart memo
(``memo.py``, aggregates only). The pages that show a list stay ``no-store`` in the browser, and the permission
check runs before any list is looked up.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import pickle
import shutil
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from qiloop.errors import QiloopError
from qiloop.measures.actions import ActionList

MAX_KEPT = 5000
"""At most this many lists per process (the least recently used go first): every measure for ~120 practices."""

FOLDER = "action-lists"
"""The action lists' folder in the workbench's cache folder (``var/cache``)."""

FORMAT = 1

_lock = threading.Lock()
_results_key = ""
_lists: OrderedDict[tuple[str, str], ActionList] = OrderedDict()
_measure_locks: dict[tuple[str, str], threading.Lock] = {}
_counts = {"hits": 0, "misses": 0, "read": 0, "computed": 0}


def kept(results_key: str | None, practice_id: str, measure_id: str, make: Callable[[], ActionList]) -> ActionList:
    """The action list for this practice and measure under the results ``results_key``: made once, then kept in
    memory.

    Without results (``None``) nothing is kept: the list is made for each request. An error from ``make``
    is raised, never kept.
    """
    if results_key is None:
        return make()
    found = _in_memory(results_key, practice_id, measure_id)
    if found is not None:
        return found
    listed = make()  # outside the lock: a list takes a moment
    _keep(results_key, {practice_id: listed}, measure_id)
    return listed


def kept_with_the_others(
    results_key: str | None,
    practice_id: str,
    measure_id: str,
    make: Callable[[], ActionList],
    make_all: Callable[[], dict[str, ActionList]],
    *,
    folder: Path | None = None,
) -> ActionList:
    """As :func:`kept`, but a list not in memory is read from the measure's file in ``folder`` (the results'
    folder, :func:`results_folder`), or made for every practice at once (``make_all``) under the measure's lock
    and written there; every practice's list of the measure is then kept in memory. A practice ``make_all``
    leaves out is made on its own (``make``), which says what is wrong. Without ``folder`` nothing is written."""
    if results_key is None:
        return make()
    found = _in_memory(results_key, practice_id, measure_id)
    if found is not None:
        return found
    with _measure_lock(results_key, measure_id):  # one computation per measure in this process ...
        found = _in_memory(results_key, practice_id, measure_id, count=False)
        if found is None:
            lists = read_or_make(results_key, measure_id, make_all, folder)  # ... and between processes
            _keep(results_key, lists, measure_id)
            found = lists.get(practice_id)
    return found if found is not None else kept(results_key, practice_id, measure_id, make)


def read_or_make(
    results_key: str, measure_id: str, make_all: Callable[[], dict[str, ActionList]], folder: Path | None
) -> dict[str, ActionList]:
    """Every practice's list of the measure: read from its file in ``folder`` when there, else made with
    ``make_all`` and written there, under the measure's file lock (a second process asking meanwhile waits,
    then reads). An error from ``make_all`` is raised and nothing is written."""
    if folder is None:
        return _made(make_all)
    with _file_lock(folder, measure_id):
        lists = read(folder, results_key, measure_id)
        if lists is not None:
            with _lock:
                _counts["read"] += 1
            return lists
        lists = _made(make_all)
        write(folder, results_key, measure_id, lists)
        return lists


def warm(
    results_key: str,
    folder: Path,
    measure_ids: Iterable[str],
    make_all_for: Callable[[str], Callable[[], dict[str, ActionList]]],
    *,
    keep_going: Callable[[], bool] = lambda: True,
) -> tuple[int, int]:
    """Make sure every measure in ``measure_ids`` has its file in ``folder`` (``make_all_for(measure_id)`` makes
    its lists), one measure at a time, each under its lock; stops early when ``keep_going()`` turns false.
    Returns (measures computed, measures already there). A measure whose lists cannot be made (the store lacks
    its tables) is left for its page to explain."""
    computed = present = 0
    for measure_id in measure_ids:
        if not keep_going():
            break
        with _file_lock(folder, measure_id):
            if _file(folder, measure_id).is_file():
                present += 1
                continue
            try:
                lists = _made(make_all_for(measure_id))
            except QiloopError:
                continue
            write(folder, results_key, measure_id, lists)
            computed += 1
    return computed, present


# --- the files -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The code that makes action lists: the whole measures package (engine, library, code lists, the lists
    themselves) and the rule choosing the months. A file is read only by the same code."""
    import qiloop

    library = Path(qiloop.__file__).parent
    sources = sorted((library / "measures").rglob("*")) + [library / "records" / "data_span.py"]
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    for source in sources:
        if source.is_file() and source.suffix in {".py", ".csv", ".json", ".yaml", ".yml", ".txt"}:
            digest.update(str(source.relative_to(library)).encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def results_folder(cache_dir: Path, results_key: str) -> Path:
    """The folder of one set of results' action lists in the workbench's cache folder (``var/cache``)."""
    name = hashlib.sha256(f"{results_key}|{code_fingerprint()}".encode()).hexdigest()[:24]
    return Path(cache_dir) / FOLDER / name


def _file(folder: Path, measure_id: str) -> Path:
    return folder / f"{measure_id}.pickle"


def _private_folder(folder: Path) -> None:
    """Make ``folder`` (0700, as its parents up to the cache folder) and remove the folders of other results."""
    folder = Path(folder)
    if folder.is_dir():
        return
    folder.mkdir(parents=True, exist_ok=True)
    for made in (folder, folder.parent):
        made.chmod(0o700)
    for other in folder.parent.iterdir():
        if other != folder and other.is_dir() and not other.is_symlink():
            shutil.rmtree(other, ignore_errors=True)


@contextlib.contextmanager
def _file_lock(folder: Path, measure_id: str) -> Iterator[None]:
    _private_folder(folder)
    descriptor = os.open(folder / f"{measure_id}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield
    finally:
        os.close(descriptor)  # closing releases the lock


def write(folder: Path, results_key: str, measure_id: str, lists: dict[str, ActionList]) -> Path:
    """Write one measure's lists to its file in ``folder`` (0600, whole or not at all)."""
    _private_folder(folder)
    payload = {
        "format": FORMAT,
        "results_key": results_key,
        "measure": measure_id,
        "lists": {
            practice: (listed.on, listed.denominator, listed.table)
            for practice, listed in lists.items()
            if listed.measure.id == measure_id
        },
    }
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=f".{measure_id}-")  # 0600
    try:
        with os.fdopen(descriptor, "wb") as out:
            pickle.dump(payload, out, protocol=pickle.HIGHEST_PROTOCOL)
        os.chmod(temporary, 0o600)
        os.replace(temporary, _file(folder, measure_id))
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return _file(folder, measure_id)


def read(folder: Path, results_key: str, measure_id: str) -> dict[str, ActionList] | None:
    """One measure's lists from its file in ``folder``; None when there is none, or it is of other results,
    another measure or unreadable."""
    from qiloop.measures import all_measures

    try:
        saved = pickle.loads(_file(folder, measure_id).read_bytes())  # noqa: S301 - our own 0600 file in var/
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(saved, dict) or (saved.get("format"), saved.get("results_key"), saved.get("measure")) != (
        FORMAT,
        results_key,
        measure_id,
    ):
        return None
    measure = all_measures().get(measure_id)
    if measure is None:
        return None
    return {
        practice: ActionList(measure, practice, on, denominator, table)
        for practice, (on, denominator, table) in saved["lists"].items()
    }


# --- memory ------------------------------------------------------------------------------------------------------


def _in_memory(results_key: str, practice_id: str, measure_id: str, *, count: bool = True) -> ActionList | None:
    key = (practice_id, measure_id)
    with _lock:
        if results_key == _results_key and key in _lists:
            _lists.move_to_end(key)
            if count:
                _counts["hits"] += 1
            return _lists[key]
        if count:
            _counts["misses"] += 1
    return None


def _keep(results_key: str, lists: dict[str, ActionList], measure_id: str) -> None:
    global _results_key
    with _lock:
        if results_key != _results_key:
            _results_key = results_key
            _lists.clear()
        for practice, listed in lists.items():
            _lists[(practice, measure_id)] = listed
            _lists.move_to_end((practice, measure_id))
        while len(_lists) > MAX_KEPT:
            _lists.popitem(last=False)


def _measure_lock(results_key: str, measure_id: str) -> threading.Lock:
    with _lock:
        return _measure_locks.setdefault((results_key, measure_id), threading.Lock())


def _made(make_all: Callable[[], dict[str, ActionList]]) -> dict[str, ActionList]:
    lists = make_all()
    with _lock:
        _counts["computed"] += 1
    return lists


def rows_html(listed: ActionList) -> SafeString:
    """The list's table rows as HTML (escaped), made once and kept with the list for as long as it is kept: a
    long list takes tens of milliseconds through the template engine, every time it is shown."""
    kept_html = vars(listed).get("_rows_html")  # beside ``rows``, which the list itself keeps the same way
    if kept_html is None:
        kept_html = format_html_join(
            "",
            '<tr class="nhsuk-table__row"><th class="nhsuk-table__header" scope="row">{}</th>{}</tr>',
            (
                (row[0], format_html_join("", '<td class="nhsuk-table__cell">{}</td>', ((cell,) for cell in row[1:])))
                for row in listed.rows
            ),
        )
        vars(listed)["_rows_html"] = kept_html
    return SafeString(kept_html)


def counts() -> dict[str, int]:
    """Since the process started: lists found in memory ("hits") or not ("misses"), measures read from their
    file ("read") and measures computed ("computed")."""
    with _lock:
        return dict(_counts)


def forget(cache_dir: Path | None = None) -> None:
    """Drop every list kept in memory (tests; a results change does this by itself); with ``cache_dir`` (the
    workbench's ``var/cache``), their files too."""
    global _results_key
    with _lock:
        _results_key = ""
        _lists.clear()
        _measure_locks.clear()
        if cache_dir is not None:
            shutil.rmtree(Path(cache_dir) / FOLDER, ignore_errors=True)


def measures_to_warm(measure_ids: Iterable[str]) -> list[str]:
    """The measures of ``measure_ids`` (those the results hold) that exist, those the dashboard shows first
    (the audit variants' lists are asked for less)."""
    from qiloop.measures import all_measures
    from qiloop_web.dashboard.pages import shown_measures

    wanted = set(measure_ids)
    shown = [m for m in shown_measures() if m in wanted]
    return shown + sorted(m for m in wanted if m in all_measures() and m not in shown)


def make_all_for(store: Path, practice_ids: list[str], on: str | None) -> Callable[[str], Callable[[], Any]]:
    """For :func:`warm` and the pages: the function that makes every practice's list of a measure."""
    from qiloop.measures.actions import compute_action_lists

    def for_measure(measure_id: str) -> Callable[[], dict[str, ActionList]]:
        return lambda: compute_action_lists(str(store), measure_id, practice_ids, on=on)

    return for_measure
