"""Progress from evidence: five steps, each done or not, with a reason."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qiloop.improvement.progress import progress

KEYS = ["aim", "baseline", "cycles", "improvement", "sustained"]


def test_a_new_project_has_done_nothing():
    steps = progress(
        aim_ok=False, measures_with_baseline=0, measures=0, cycles_done=0, cycles=0, improvement=False, sustained=False
    )
    assert [s.key for s in steps] == KEYS
    assert [s.done for s in steps] == [False] * 5
    assert steps[0].detail == "Finish the aim: say what will improve, by how much and by when."
    assert steps[1].detail == "Add a measure: outcome, process or balancing."
    assert steps[2].detail == "Plan a first PDSA cycle to test a change idea."


def test_a_project_that_worked():
    steps = progress(
        aim_ok=True, measures_with_baseline=2, measures=3, cycles_done=2, cycles=3, improvement=True, sustained=True
    )
    assert [s.done for s in steps] == [True] * 5
    assert steps[1].detail == "2 of 3 measures have a baseline."
    assert steps[2].detail == "2 of 3 cycles run to Act or Done."
    assert steps[4].detail.startswith("The improvement has held")


def test_details_for_partial_evidence():
    steps = progress(
        aim_ok=True, measures_with_baseline=0, measures=1, cycles_done=0, cycles=2, improvement=False, sustained=False
    )
    assert (
        steps[1].detail == "The measure has not got enough points yet to set a baseline (12 before the first change)."
    )
    assert steps[2].detail == "2 cycles started, none finished yet: take one through Study and Act."
    assert steps[3].detail == "No measure shows special-cause improvement since a change yet."


def test_negative_counts_are_refused():
    with pytest.raises(ValueError, match="cannot be negative"):
        progress(
            aim_ok=True,
            measures_with_baseline=-1,
            measures=1,
            cycles_done=0,
            cycles=0,
            improvement=False,
            sustained=False,
        )


@given(
    st.booleans(),
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(0, 5),
    st.integers(0, 5),
    st.booleans(),
    st.booleans(),
)
def test_each_step_is_done_exactly_when_its_evidence_is_there(aim, with_base, measures, done, cycles, better, held):
    steps = {
        s.key: s
        for s in progress(
            aim_ok=aim,
            measures_with_baseline=with_base,
            measures=measures,
            cycles_done=done,
            cycles=cycles,
            improvement=better,
            sustained=held,
        )
    }
    assert steps["aim"].done is aim
    assert steps["baseline"].done is (measures > 0 and with_base > 0)
    assert steps["cycles"].done is (cycles > 0 and done > 0)
    assert steps["improvement"].done is better
    assert steps["sustained"].done is (better and held)
    assert all(s.detail and s.label for s in steps.values())
