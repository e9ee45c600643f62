"""The long results table shared by every engine."""

from __future__ import annotations

import json

import pandas as pd

from qiloop.measures.model import Measure

RESULT_COLUMNS = [
    "measure",
    "interval_start",
    "interval_end",
    "practice_id",
    "numerator",
    "denominator",
    "ratio",
    "measure_version",
    "codelist_versions",
]


def codelist_versions_text(measure: Measure) -> str:
    """The code lists a measure uses and their versions, as compact JSON (name → version)."""
    return json.dumps(measure.codelist_versions, separators=(",", ":"), sort_keys=True)


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator, and no ratio (missing) where the denominator is 0: not 0%, and not infinity.

    >>> ratio(pd.Series([1, 0, 3]), pd.Series([4, 0, 0])).tolist()
    [0.25, nan, nan]
    """
    return numerator / denominator.where(denominator > 0)


def sort_results(table: pd.DataFrame, measure_ids: list[str], breakdowns: tuple[str, ...]) -> pd.DataFrame:
    """Rows in measure order (as given), then interval, practice and breakdown values."""
    order = {mid: i for i, mid in enumerate(measure_ids)}
    keyed = table.assign(_order=table["measure"].map(order))
    keyed = keyed.sort_values(["_order", "interval_start", "practice_id", *breakdowns], kind="stable")
    return keyed.drop(columns="_order").reset_index(drop=True)
