"""docs/improvement.md stays true to the code: templates, thresholds, stage rules."""

from __future__ import annotations

from pathlib import Path

from qiloop.improvement.change import MIN_AFTER, MIN_BEFORE
from qiloop.improvement.pdsa import REQUIRED
from qiloop.improvement.templates import templates

DOC = (Path(__file__).resolve().parents[2] / "docs" / "improvement.md").read_text()


def test_every_template_and_library_measure_is_documented():
    for item in templates():
        row = next(line for line in DOC.splitlines() if line.startswith(f"| `{item.key}` |"))
        assert item.title in row
        for measure in item.measures:
            if measure.library_id:
                assert f"`{measure.library_id}`" in row, (item.key, measure.library_id)


def test_thresholds_are_documented():
    assert f"| `MIN_BEFORE` | {MIN_BEFORE} |" in DOC
    assert f"| `MIN_AFTER` | {MIN_AFTER} |" in DOC


def test_stage_rules_are_documented():
    for stage, fields in REQUIRED.items():
        if fields:
            row = next(line for line in DOC.splitlines() if line.startswith(f"| {stage.value} |"))
            for name in fields:
                assert name in row, (stage, name)
