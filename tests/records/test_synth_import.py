"""The synthetic generator's output imports cleanly, and the quality report finds the mess it planted.

The generator counts the messy records it plants (truth.json), an independent
tally to check the report against.
"""

from __future__ import annotations

import json

import pytest

from qiloop.records.importer import import_extract
from qiloop.records.quality import quality_report
from qiloop.synth import DEFAULT_END, generate_network


@pytest.fixture(scope="module")
def synthetic_store(tmp_path_factory):
    base = tmp_path_factory.mktemp("synth")
    summary = generate_network(base / "extract", practices=3, patients=6000, seed=11, fmt="csv")
    result = import_extract(base / "extract", base / "store.duckdb")
    truth = json.loads(summary.truth_path.read_text())
    return summary, result, truth


def test_every_generated_row_is_imported(synthetic_store):
    summary, result, _ = synthetic_store
    assert result.tables == summary.rows


def test_planted_mess_is_reported(synthetic_store):
    _, result, truth = synthetic_store
    report = quality_report(result.store, as_of=DEFAULT_END)
    planted = truth["messy_records"]["counts"]
    overlaps = sum(f.count for f in report.finding("overlapping_registrations"))
    assert overlaps == planted["overlapping_registrations"]
    after_death = sum(f.count for f in report.finding("after_death", "clinical_events"))
    assert after_death >= planted["events_after_death"]  # planted ones, plus any the generator made by chance
