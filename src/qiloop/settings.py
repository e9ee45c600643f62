"""Every ``QILOOP_*`` environment variable the library reads, in one place, parsed once.

Nothing else in ``qiloop`` reads ``os.environ`` for a ``QILOOP_*`` name (``tests/test_settings.py`` checks);
code asks :func:`current` instead. A value that cannot be used is refused with the variable's name and what
to write instead, before any work starts.

>>> s = parse({"QILOOP_SPARK_PARTITIONS": "8", "QILOOP_PROGRESS": "0"})
>>> s.spark_partitions, s.progress
(8, False)
>>> parse({}).spark_master, parse({}).progress is None, parse({}).duckdb_memory_limit is None
('local[2]', True, True)
>>> parse({"QILOOP_DUCKDB_MEMORY_LIMIT": " 12gb "}).duckdb_memory_limit
'12GB'
>>> parse({"QILOOP_SPARK_PARTITIONS": "none"})
Traceback (most recent call last):
...
qiloop.errors.InputError: QILOOP_SPARK_PARTITIONS='none' is not a whole number of at least 1...
>>> parse({"QILOOP_DUCKDB_MEMORY_LIMIT": "lots"})
Traceback (most recent call last):
...
qiloop.errors.InputError: QILOOP_DUCKDB_MEMORY_LIMIT='lots' is not a memory size...
>>> "secret" in repr(parse({"QILOOP_PSEUDONYM_KEY": "secret" * 4}))
False
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from qiloop.errors import InputError

# name -> what it does (docs/settings.md is written from this; a test keeps them equal)
VARIABLES: dict[str, str] = {
    "QILOOP_PSEUDONYM_KEY": "the practice's pseudonymisation key for NHS numbers, when no --key-file is given "
    "(at least 16 characters; never stored)",
    "QILOOP_PROGRESS": "1 shows progress bars on stderr even when it is not a terminal; 0 never shows them "
    "(default: shown on a terminal)",
    "QILOOP_DUCKDB_MEMORY_LIMIT": "the most memory DuckDB may use computing measures, e.g. 6GB (past it, it spills "
    "to a temporary folder); default: DuckDB's own, 80% of the machine's memory",
    "QILOOP_SPARK_MASTER": "the Spark master for --engine spark (default local[2])",
    "QILOOP_SPARK_PARTITIONS": "Spark's shuffle partitions and default parallelism (default 4)",
    "QILOOP_SPARK_DRIVER_MEMORY": "the memory of the Spark driver qiloop starts for --engine spark, e.g. 8GB (in local "
    "mode it does all the work); default: Spark's own, 1 GB",
    "QILOOP_PROFILE": "1 writes each engine step's time and each feature built to stderr (default: off)",
}

_FALSE = ("0", "", "false", "no", "off")
_SIZE = re.compile(r"(\d+(\.\d+)?)\s*(KB|MB|GB|TB|KIB|MIB|GIB|TIB|B)", re.IGNORECASE)


@dataclass(frozen=True)
class Settings:
    """The library's settings; see :data:`VARIABLES` for what each does."""

    pseudonym_key: str | None = field(default=None, repr=False)
    progress: bool | None = None  # None: shown when stderr is a terminal
    duckdb_memory_limit: str | None = None
    spark_master: str = "local[2]"
    spark_partitions: int = 4
    spark_driver_memory: str | None = None
    profile: bool = False


def _flag(value: str) -> bool:
    return value.strip().lower() not in _FALSE


def _memory(name: str, value: str) -> str:
    match = _SIZE.fullmatch(value.strip())
    if not match:
        raise InputError(f"{name}={value!r} is not a memory size", hint=f"write a size such as 6GB or 500MB in {name}")
    return f"{match.group(1)}{match.group(3).upper()}"


def _positive(name: str, value: str) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        number = 0
    if number < 1:
        raise InputError(f"{name}={value!r} is not a whole number of at least 1", hint=f"set {name} to e.g. 4")
    return number


def parse(environ: Mapping[str, str]) -> Settings:
    """The settings given by ``environ`` (unset variables take their defaults)."""
    get = environ.get
    key = get("QILOOP_PSEUDONYM_KEY")
    progress = get("QILOOP_PROGRESS")
    limit = get("QILOOP_DUCKDB_MEMORY_LIMIT")
    partitions = get("QILOOP_SPARK_PARTITIONS")
    driver = get("QILOOP_SPARK_DRIVER_MEMORY")
    return Settings(
        pseudonym_key=None if key is None else key.strip(),
        progress=None if progress is None else _flag(progress),
        duckdb_memory_limit=_memory("QILOOP_DUCKDB_MEMORY_LIMIT", limit) if limit and limit.strip() else None,
        spark_master=(get("QILOOP_SPARK_MASTER") or "").strip() or "local[2]",
        spark_partitions=4 if partitions is None else _positive("QILOOP_SPARK_PARTITIONS", partitions),
        spark_driver_memory=_memory("QILOOP_SPARK_DRIVER_MEMORY", driver) if driver and driver.strip() else None,
        profile=_flag(get("QILOOP_PROFILE") or ""),
    )


@functools.lru_cache(maxsize=8)
def _parsed(values: tuple[str | None, ...]) -> Settings:
    return parse({name: value for name, value in zip(VARIABLES, values, strict=True) if value is not None})


def current() -> Settings:
    """The settings of this process's environment, parsed once for each set of values (so a bench or a test
    that changes a variable gets the new value, and nothing parses twice)."""
    return _parsed(tuple(os.environ.get(name) for name in VARIABLES))


def markdown() -> str:
    """docs/settings.md."""
    lines = [
        "# Settings",
        "",
        "The library reads these environment variables, and no others (`qiloop.settings`; generated by",
        "`python -m qiloop.settings > docs/settings.md`, and `tests/test_settings.py` fails when this file is",
        "out of date). A value that cannot be used is refused, naming the variable, before any work starts.",
        "The workbench reads further variables of its own in its Django settings (docs/workbench.md).",
        "",
        "| Variable | What it does |",
        "|---|---|",
    ]
    lines += [f"| `{name}` | {text} |" for name, text in VARIABLES.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
