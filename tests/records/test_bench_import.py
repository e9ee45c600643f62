"""``qiloop bench import --from KIND`` end to end on a tiny network: every figure printed, the counts agree."""

from __future__ import annotations

import re

from qiloop.cli import main


def test_bench_import_from_fhir_prints_both_imports_and_the_ratio(tmp_path, capsys):
    keep = tmp_path / "stores"
    argv = ["bench", "import", "--from", "fhir", "--patients", "300", "--cache", str(tmp_path / "cache")]
    assert main([*argv, "--keep", str(keep)]) == 0
    out = capsys.readouterr().out
    assert "import bench: 300 patients, 1 practice, seed 1" in out
    assert re.search(r"fhir layout .* MB; written in [0-9.]+ s, not timed\)", out)
    for name in ("canonical", "fhir     "):
        assert re.search(rf"{name} import  wall +[0-9.]+ s  CPU +[0-9.]+ s  peak memory +[0-9,]+ MB", out), name
    assert re.search(r"ratio fhir/canonical  wall [0-9.]+×  CPU [0-9.]+×  peak memory [0-9.]+×", out)
    counts = re.findall(r"rows (\w+) +canonical +([0-9,]+)  fhir +([0-9,]+)", out)
    assert [name for name, _, _ in counts] == [
        "patients",
        "practice_registrations",
        "clinical_events",
        "medications",
        "appointments",
    ]
    assert all(a == b and a != "0" for _, a, b in counts), counts
    assert "row counts agree" in out and "load average before" in out and "load average after" in out
    assert (keep / "canonical.duckdb").exists() and (keep / "fhir.duckdb").exists()
    # a second run reuses the layout written by the first
    assert main(argv) == 0
    assert re.search(r"fhir layout .*; reused, not timed\)", capsys.readouterr().out)


def test_a_kind_without_a_layout_writer_is_a_clear_error(tmp_path, capsys):
    assert main(["bench", "import", "--from", "gpad", "--patients", "300", "--cache", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "'gpad': no layout writer" in err and "fhir" in err
    assert not any(tmp_path.iterdir())  # nothing generated


def test_an_unknown_kind_is_refused_too(tmp_path, capsys):
    assert main(["bench", "import", "--from", "nonsense", "--cache", str(tmp_path)]) == 1
    assert "no layout writer" in capsys.readouterr().err


def test_bench_import_from_emis_expects_the_rows_its_layout_gives(tmp_path, capsys, monkeypatch):
    """EMIS keeps a patient record per registration and no cancelled appointments: those counts are expected to
    differ from the canonical import's, and the bench says so and succeeds; any other difference fails it."""
    argv = ["bench", "import", "--from", "emis", "--patients", "300", "--cache", str(tmp_path / "cache")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    counts = {name: (a, b) for name, a, b in re.findall(r"rows (\w+) +canonical +([0-9,]+)  emis +([0-9,]+)", out)}
    a, b = counts["appointments"]
    assert int(b.replace(",", "")) < int(a.replace(",", ""))  # the synthetic network has cancellations
    assert re.search(r"rows appointments .*\(as expected for the emis layout\)", out)
    assert counts["clinical_events"][0] == counts["clinical_events"][1]
    assert "row counts as expected for the emis layout" in out and "DIFFER" not in out

    from qiloop.bench.layouts import emis

    real = emis.expected_rows
    monkeypatch.setattr(
        emis, "expected_rows", lambda extract, canonical: {**real(extract, canonical), "medications": 1}
    )
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert re.search(r"rows medications .* DIFFER \(expected 1\)", out) and "row counts DIFFER" in out
