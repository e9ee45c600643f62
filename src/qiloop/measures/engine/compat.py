"""Compatibility between ibis-framework 12 and duckdb 2.

duckdb 2 renamed ``fetch_arrow_table``/``fetch_record_batch`` on connections
to ``to_arrow_table``/``to_arrow_reader``; Ibis 12 still calls the old names.
Restore them as aliases (only when missing) so Ibis runs on either version.
"""

from __future__ import annotations

import warnings
from typing import Any


def patch_duckdb() -> None:
    import duckdb

    cls: Any = duckdb.DuckDBPyConnection
    if not hasattr(cls, "fetch_arrow_table") and hasattr(cls, "to_arrow_table"):
        cls.fetch_arrow_table = lambda self, *args, **kwargs: self.to_arrow_table(*args, **kwargs)
    if not hasattr(cls, "fetch_record_batch") and hasattr(cls, "to_arrow_reader"):
        cls.fetch_record_batch = lambda self, *args, **kwargs: self.to_arrow_reader(*args, **kwargs)
    warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)
