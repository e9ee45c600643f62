"""The examples in the qiloop.audit docstrings run."""

from __future__ import annotations

import doctest

import pytest

from qiloop.audit import model, reading, stages


@pytest.mark.parametrize("module", [model, reading, stages])
def test_doctests(module):
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
