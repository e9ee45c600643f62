"""Issue 21, "results unchanged": the demo network's results, row for row, as the engine before the restructure.

The golden files in ``tests/measures/golden/`` were written by the code before merge d900a83 ("a frozen
RunPlan, the engine split by question"), that is ``d900a83^1``, from the full demo network (``qiloop demo``'s
defaults: 20 practices, 40,000 patients, seed 1; the generator and importer are unchanged by the merge, and
the store the old code read is checked here by its row counts, and by a digest of every row when a comparison
fails). This module builds the same store with the current code and compares:

* ``test_results_unchanged``: the long results table: all 42 library measures × 20 practices × 60 months
  (April 2021 to March 2026, every month the store covers in earnest; the dashboard shows the latest 48):
  50,400 rows of numerator, denominator, ratio, measure version and code-list versions;
* ``test_breakdowns_unchanged``: the latest month crossed by age band, sex, ethnicity and deprivation (as the
  dashboard computes it), summed to one table per breakdown: 16,548 rows;
* ``test_action_lists_unchanged``: the action lists of every practice at the latest month for
  ``ACTION_LIST_MEASURES`` (each rule and each records table): the denominator, the number listed, and digests of
  the listed patients and of the whole table. The golden file holds all 42 measures; computing them all takes
  about a minute, so set ``QILOOP_GOLDEN_ALL_ACTION_LISTS=1`` to compare every one.

Measures added to the library after d900a83^1 have no "before" and are not compared (none so far: the library
was the same 42 measures before and after). A measure in the golden files that the library no longer has fails.

Counts, versions and digests compare exactly. The continuity indices are float sums whose last bits vary from
run to run (DuckDB adds in parallel: two runs of the old code differ by up to 5e-15 relative, two of the new
code by up to 4e-15, old and new by up to 3.5e-15), so numerators and ratios compare to 1e-9 relative. On a difference the failure names the first
differing rows: key, column, before, after.

Time: about 32 s of CPU for the module (building the store about 5 s, then results > breakdowns > action lists);
70 s of wall time on a 2-core machine busy with other work (load 13).

Regenerating (``scripts/golden-results``) is right only when a change of results is intended and reviewed: it
makes this test pass whatever the engine now computes.
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

from .golden_results import KEYS, build_store, differences, read, store_fingerprint

pytestmark = pytest.mark.slow

# one or more of each action-list rule (numerator / denominator not numerator / by value) and records table
ACTION_LIST_MEASURES = ["pincer_a", "pincer_k", "hyp008", "dna_rate", "continuity_upc", "pincer_me_fbc_audit"]
SHOWN = 20  # differing rows printed on failure


@pytest.fixture(scope="module")
def golden():
    return read()


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("golden-demo"))


@pytest.fixture(scope="module")
def compared(golden):
    """The golden measures the library still has (all of them, or the test fails)."""
    from qiloop.measures import all_measures

    tables, meta = golden
    known = all_measures()
    assert [m for m in meta["measures"] if m not in known] == [], "golden measures no longer in the library"
    return list(meta["measures"])


def _store_rows(store) -> dict[str, int]:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        return {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in _TABLES}
    finally:
        con.close()


_TABLES = ("practices", "patients", "practice_registrations", "clinical_events", "medications", "appointments")


def test_the_demo_store_has_the_golden_row_counts(golden, demo_store):
    _, meta = golden
    assert _store_rows(demo_store) == {name: meta["store"][name]["rows"] for name in _TABLES}


def _check(name: str, before: pd.DataFrame, after: pd.DataFrame, store, meta) -> None:
    found = differences(before, after, KEYS[name])
    if found.empty:
        return
    fingerprint = store_fingerprint(store)
    same_store = fingerprint == meta["store"]
    by_measure = found.groupby("measure").size().sort_values(ascending=False)
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.max_colwidth", 70):
        shown = found.head(SHOWN).to_string(index=False)
    pytest.fail(
        f"{name}: {len(found):,} of {len(before):,} golden rows differ "
        f"({', '.join(f'{m} {n}' for m, n in by_measure.items())}).\n"
        + (
            "The demo store is the one the golden files were computed from: the engine's answers changed.\n"
            if same_store
            else "The demo store itself differs from the golden one (generator or importer changed): "
            f"{ {k: v for k, v in fingerprint.items() if meta['store'].get(k) != v} }\n"
        )
        + f"First differing rows (before = golden, d900a83^1):\n{shown}",
        pytrace=False,
    )


def test_results_unchanged(golden, demo_store, compared):
    from .golden_results import months, results_table

    tables, meta = golden
    first, last = months(demo_store)
    assert (first, last) == (meta["months"]["first"], meta["months"]["last"])
    after = results_table(demo_store, compared, first, last)
    before = tables["results"][tables["results"]["measure"].isin(compared)]
    _check("results", before.reset_index(drop=True), after, demo_store, meta)


def test_breakdowns_unchanged(golden, demo_store, compared):
    from .golden_results import breakdowns_table, months

    tables, meta = golden
    _, last = months(demo_store)
    after = breakdowns_table(demo_store, compared, last)
    before = tables["breakdowns"][tables["breakdowns"]["measure"].isin(compared)]
    _check("breakdowns", before.reset_index(drop=True), after, demo_store, meta)


def test_action_lists_unchanged(golden, demo_store, compared):
    from .golden_results import action_lists_table

    tables, meta = golden
    every = os.environ.get("QILOOP_GOLDEN_ALL_ACTION_LISTS") == "1"
    chosen = compared if every else [m for m in ACTION_LIST_MEASURES if m in compared]
    assert every or chosen == ACTION_LIST_MEASURES
    after = action_lists_table(demo_store, chosen)
    before = tables["action_lists"][tables["action_lists"]["measure"].isin(chosen)]
    _check("action_lists", before.reset_index(drop=True), after, demo_store, meta)
