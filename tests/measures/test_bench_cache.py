"""bench measures reuses a cached store only when the synthetic generator that made it is unchanged."""

from __future__ import annotations

from qiloop.bench.measures import generator_fingerprint, prepare_store


def test_the_cached_store_is_named_by_the_generator_and_reused(tmp_path, capsys):
    fingerprint = generator_fingerprint()
    assert len(fingerprint) == 10 and int(fingerprint, 16) >= 0
    assert generator_fingerprint() == fingerprint

    store = prepare_store(300, tmp_path, seed=3)
    assert store.exists()
    assert store.parent.name == f"measures-300-seed3-{fingerprint}"
    assert "generated 300 patients" in capsys.readouterr().out

    made = store.stat().st_mtime_ns
    assert prepare_store(300, tmp_path, seed=3) == store
    assert store.stat().st_mtime_ns == made
    assert "generated" not in capsys.readouterr().out

    # A store left by older generator code sits under another name and is not picked up.
    stale = tmp_path / "measures-300-seed4-0000000000" / "store.duckdb"
    stale.parent.mkdir()
    stale.write_bytes(b"not a store")
    assert prepare_store(300, tmp_path, seed=4).parent.name == f"measures-300-seed4-{fingerprint}"


def test_bench_measures_prints_its_figures_and_the_pandas_counts_agree(tmp_path, capsys, monkeypatch):
    """The whole command on a tiny network: every line of figures, and qiloop's counts equal the pandas version's."""
    from qiloop.cli import main

    monkeypatch.delenv("QILOOP_PROFILE", raising=False)
    code = main(["bench", "measures", "--patients", "400", "--months", "3", "--cache", str(tmp_path), "--seed", "5"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "store file read once before timing" in out
    assert "library: 42 measures × 3 months in " in out
    assert "floor: one aggregate scan of clinical_events + medications" in out
    assert "pincer_a + copd010 + dna_rate: qiloop" in out
    assert "counts identical" in out
