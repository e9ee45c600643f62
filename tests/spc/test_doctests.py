"""The examples in the SPC modules' docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "qiloop.spc.engine",
        "qiloop.spc.rules",
        "qiloop.spc.batch",
        "qiloop.spc.profiles",
        "qiloop.spc.choose",
        "qiloop.measures.lookback",
    ],
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
