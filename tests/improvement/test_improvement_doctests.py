"""The examples in the improvement modules' docstrings run and give what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "qiloop.improvement.aims",
    "qiloop.improvement.pdsa",
    "qiloop.improvement.templates",
    "qiloop.improvement.change",
    "qiloop.improvement.progress",
]


@pytest.mark.parametrize("module", MODULES)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
