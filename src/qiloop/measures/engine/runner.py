"""The one-thread queue a DuckDB run's statements go through, dropping stored tables after their last use.

One thread runs every statement of a run, in the order given: the stored population and event rows, each
feature table and each counting query. Turning the next measures into SQL (Python, holds the GIL) therefore
overlaps DuckDB computing the previous ones (which releases it). With ``QILOOP_PROFILE`` set, the time of
every statement is written to standard error, named by its label and the measure being compiled.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from qiloop import settings

_QUOTED_NAME = re.compile(r'"(qiloop_[A-Za-z0-9_]+)"')


class Runner:
    """Runs statements on ``executor`` (one thread) through ``execute``, the connection's only user meanwhile."""

    def __init__(self, executor: Executor, execute: Callable[[str], Any]) -> None:
        self.executor = executor
        self.execute = execute
        self.context = ""  # what is being compiled, named in QILOOP_PROFILE's lines
        self._queued: list[Future[Any]] = []
        # Every queued statement's SQL, the tables stored, and once every statement is queued, (last statement
        # using it, table) in order: the runner drops each table as soon as it is unused.
        self._statements: list[str] = []
        self._stored: list[str] = []
        self._drops: list[tuple[int, str]] | None = None
        self._next_drop = 0

    def submit(self, label: str, function: Callable[..., Any], *args: Any) -> Future[Any]:
        """Queue ``function(*args)``; with ``QILOOP_PROFILE`` set, its time is written to stderr.

        After it runs, the stored tables no later statement uses are dropped (once ``plan_drops`` has been called).
        """
        index = len(self._statements)
        self._statements.append(" ".join(a for a in args if isinstance(a, str)))
        profile = settings.current().profile
        label = f"{label} ({self.context})" if self.context else label

        def run() -> Any:
            started = time.perf_counter()
            try:
                return function(*args)
            finally:
                if profile:
                    print(f"profile {time.perf_counter() - started:8.3f} s  {label}", file=sys.stderr, flush=True)
                self._drop_unused(index)

        return self.executor.submit(run)

    def store(self, name: str, statement: str) -> None:
        """Queue ``statement``, which stores the table ``name``; a failure is raised by ``settle``."""
        self._stored.append(name)
        self._queued.append(self.submit(name, self.execute, statement))

    def plan_drops(self) -> None:
        """Once the run's last statement is queued: drop each stored table after the last statement that uses it.

        Stored tables otherwise hold DuckDB's memory until the run ends, and a large run then spills to disk.
        A statement uses a table when its SQL names it (Ibis quotes every name; ours are unique per run).
        """
        stored = set(self._stored)
        last: dict[str, int] = {}
        for index, sql in enumerate(self._statements):
            for name in set(_QUOTED_NAME.findall(sql)) & stored:
                last[name] = index
        self._drops = sorted((index, name) for name, index in last.items())
        self.executor.submit(self._drop_unused, len(self._statements))  # what statements already run left behind

    def _drop_unused(self, index: int) -> None:
        """(Runner thread) drop the stored tables whose last use is at or before statement ``index``."""
        drops = self._drops
        if drops is None:
            return
        while self._next_drop < len(drops) and drops[self._next_drop][0] <= index:
            name = drops[self._next_drop][1]
            self._next_drop += 1
            self.execute(f'drop table if exists "{name}"')  # name: ours

    def settle(self) -> None:
        """Wait for the statements that store tables; raise the first one's error."""
        queued, self._queued = self._queued, []
        for future in queued:
            future.result()
