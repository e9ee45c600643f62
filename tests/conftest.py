"""Shared test fixtures.

``reference_dir`` is ``../shared/reference`` beside the checkout: published
test data (SPC expected outputs, code lists, released aggregates) that the
project validates against but does not copy. Tests that need it skip with a
clear message when it is not there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _find_reference() -> Path | None:
    explicit = os.environ.get("QILOOP_REFERENCE_DIR")
    candidates = [Path(explicit)] if explicit else []
    candidates += [REPO_ROOT.parent / "shared" / "reference", REPO_ROOT.parent.parent / "shared" / "reference"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None


REFERENCE_DIR = _find_reference()


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if REFERENCE_DIR is None:
        pytest.skip(
            "published reference data not found: expected ../shared/reference beside the checkout "
            "(or set QILOOP_REFERENCE_DIR); external validation tests skipped"
        )
    return REFERENCE_DIR
