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

from qiloop_reference import REFERENCE_DIR

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _qiloop_environment_restored():
    """Each test ends with the QILOOP_ environment variables it began with. Some commands set them for the
    processes they start (``qiloop bench measures`` sets QILOOP_SPARK_DRIVER_MEMORY), and a bad value one test
    gave them made every later test in the same process that read the settings fail."""
    before = {k: v for k, v in os.environ.items() if k.startswith("QILOOP_")}
    yield
    for name in [k for k in os.environ if k.startswith("QILOOP_") and k not in before]:
        del os.environ[name]
    os.environ.update(before)


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if REFERENCE_DIR is None:
        pytest.skip(
            "published reference data not found: expected ../shared/reference beside the checkout "
            "(or set QILOOP_REFERENCE_DIR); external validation tests skipped"
        )
    return REFERENCE_DIR
