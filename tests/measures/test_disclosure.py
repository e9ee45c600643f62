import math

import pandas as pd
import pytest

from qiloop.measures.disclosure import apply_disclosure_control, network_totals, publish_count


@pytest.mark.parametrize(
    ("count", "published"),
    [(0, 0), (1, None), (7, None), (8, 10), (12, 10), (13, 15), (17, 15), (18, 20), (22, 20), (23, 25), (100, 100)],
)
def test_publish_count_boundaries(count, published):
    assert publish_count(count) == published


def test_ratio_recomputed_from_published_counts():
    results = pd.DataFrame(
        {
            "measure": ["m"] * 4,
            "practice_id": ["A", "B", "C", "D"],
            "numerator": [13, 3, 0, 8],
            "denominator": [22, 40, 0, 12],
            "ratio": [13 / 22, 3 / 40, math.nan, 8 / 12],
        }
    )
    out = apply_disclosure_control(results)
    assert out["numerator"].tolist()[0] == 15 and out["denominator"].tolist()[0] == 20
    assert out["ratio"].tolist()[0] == pytest.approx(0.75)
    assert pd.isna(out["numerator"].iloc[1]) and pd.isna(out["ratio"].iloc[1])  # suppressed numerator
    assert out["numerator"].iloc[2] == 0 and pd.isna(out["ratio"].iloc[2])  # zero denominator
    assert out["ratio"].iloc[3] == pytest.approx(1.0)  # 8 -> 10, 12 -> 10
    assert results["numerator"].tolist() == [13, 3, 0, 8]  # input untouched


def test_network_totals_sum_practices():
    results = pd.DataFrame(
        {
            "measure": ["m", "m"],
            "interval_start": ["2024-03-01"] * 2,
            "interval_end": ["2024-03-31"] * 2,
            "practice_id": ["A", "B"],
            "numerator": [3, 6],
            "denominator": [10, 20],
            "ratio": [0.3, 0.3],
            "measure_version": ["1", "1"],
        }
    )
    total = network_totals(results)
    assert total[["practice_id", "numerator", "denominator", "ratio"]].values.tolist() == [["network", 9, 30, 0.3]]
