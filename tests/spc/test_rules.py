"""A flat series is never a signal, however its mean rounds (regression: twelve 0.1s average to 0.0999…)."""

import numpy as np
import pytest

from qiloop.spc import spc
from qiloop.spc.batch import xmr_batch
from qiloop.spc.rules import outside_flags, side_of


@pytest.mark.parametrize("value", [0.1, 1 / 3, 0.7, 2 / 3, 1e-7, 123456.789])
@pytest.mark.parametrize("improvement", ["up", "down"])
def test_flat_series_shows_only_common_cause(value, improvement):
    result = spc([value] * 18, improvement=improvement)
    assert not result.points["sigma_signal"].any()
    assert set(result.points["variation"]) == {"common_cause"}
    assert not result.summary.sigma_signal


def test_rounding_is_on_the_line_but_a_real_difference_is_not():
    cl = np.array([np.mean([0.1] * 12)] * 3)
    assert cl[0] != 0.1  # the rounding this guards against
    assert side_of(np.array([0.1, 0.1000001, 0.0999999]), cl).tolist() == [0, 1, -1]
    above, below = outside_flags(np.array([0.1, 0.11, np.nan]), cl - 0.0, cl + 0.0)
    assert above.tolist() == [False, True, False]
    assert below.tolist() == [False, False, False]


@pytest.mark.parametrize("improvement", ["up", "down"])
def test_batch_agrees_on_a_flat_series(improvement):
    batch = xmr_batch(np.full((2, 18), 0.1), improvement=improvement)
    for row in range(2):
        assert set(batch.variation_labels(row)) == {"common_cause"}
