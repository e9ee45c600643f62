"""Where the published reference data is: ``../shared/reference`` beside the checkout.

A module with a unique name (not ``conftest``) so test modules in any folder can
import ``REFERENCE_DIR`` without clashing with the per-folder conftest files.
"""

from __future__ import annotations

import os
from pathlib import Path

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
