"""The codes the spec tables use are in (or out of) the lists they stand for."""

from __future__ import annotations

import pytest

from qiloop.codelists import load

from .codes import IN_LIST, NOT_IN_LIST


@pytest.mark.parametrize(("code", "name"), sorted(IN_LIST.items()))
def test_code_is_in_its_list(code, name):
    assert code in load(name)


@pytest.mark.parametrize(("code", "name"), sorted(NOT_IN_LIST.items()))
def test_code_is_not_in_the_list(code, name):
    assert code not in load(name)
