"""The audit log's database-level guard on SQLite.

On SQLite, triggers (migration 0003) refuse UPDATE and DELETE of audit events
whenever the SQL function ``qiloop_audit_append_only()`` is true. The
workbench registers that function on every SQLite connection it opens and it
is always true, except inside :func:`allow_emptying`, which exists only so a
test database can be emptied between tests (Django's flush deletes every
row). Another program opening the SQLite file has no such function, so its
UPDATE or DELETE fails too ("no such function"). On PostgreSQL a trigger
refuses them unconditionally (migration 0002); TRUNCATE empties test tables.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

FUNCTION = "qiloop_audit_append_only"
_state = threading.local()


def _append_only() -> int:
    return 0 if getattr(_state, "emptying", False) else 1


def register(sender: Any, connection: Any, **_kwargs: Any) -> None:
    """Django's connection_created signal: give a new SQLite connection the guard's function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(FUNCTION, 0, _append_only)


@contextmanager
def allow_emptying() -> Iterator[None]:
    """Let this thread delete audit rows (for emptying a test database only)."""
    _state.emptying = True
    try:
        yield
    finally:
        _state.emptying = False
