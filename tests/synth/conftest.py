"""One calibration network per test session, shared by the calibration tests (about 60,000 patients)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from synth_reference import CALIBRATION_PATIENTS, CALIBRATION_PRACTICES, load

from qiloop.synth import NetworkSummary, generate_network

END = dt.date(2026, 3, 31)


@pytest.fixture(scope="session")
def calibration_network(tmp_path_factory: pytest.TempPathFactory) -> NetworkSummary:
    out = tmp_path_factory.mktemp("calibration") / "network"
    return generate_network(out, practices=CALIBRATION_PRACTICES, patients=CALIBRATION_PATIENTS, seed=20260331)


@pytest.fixture(scope="session")
def calibration_tables(calibration_network: NetworkSummary) -> dict[str, pd.DataFrame]:
    return load(Path(calibration_network.out_dir))
