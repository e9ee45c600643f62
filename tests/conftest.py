"""Shared test fixtures.

``reference_dir`` is ``../shared/reference`` beside the checkout: published
test data (SPC expected outputs, code lists, released aggregates) that the
project validates against but does not copy. Tests that need it skip with a
clear message when it is not there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qiloop_reference import REFERENCE_DIR

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if REFERENCE_DIR is None:
        pytest.skip(
            "published reference data not found: expected ../shared/reference beside the checkout "
            "(or set QILOOP_REFERENCE_DIR); external validation tests skipped"
        )
    return REFERENCE_DIR
