"""User-facing errors.

A :class:`QiloopError` is a mistake a user can fix (bad input, a missing
file, an unknown measure). The CLI prints it without a traceback and exits
with :data:`EXIT_BAD_INPUT`. Messages never contain patient-level values
beyond the offending cell of an input file the user supplied.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class QiloopError(Exception):
    """A problem the user can fix. ``hint`` says what to do next."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class InputError(QiloopError):
    """Bad input data: names the file, line and column where it can."""


_VALUES_HIDDEN: contextvars.ContextVar[bool] = contextvars.ContextVar("qiloop_values_hidden", default=False)


@contextmanager
def values_hidden() -> Iterator[None]:
    """Inside the block, messages about an input file's cells name the file, line and column but not the value.

    The CLI shows the offending cell to the person who gave the file; the workbench keeps its messages
    (a job's status, the audit log) and shows them to others, so it reads extracts inside this block.
    """
    token = _VALUES_HIDDEN.set(True)
    try:
        yield
    finally:
        _VALUES_HIDDEN.reset(token)


def showing_values() -> bool:
    """Whether messages may quote the cells of an input file (not inside :func:`values_hidden`)."""
    return not _VALUES_HIDDEN.get()
