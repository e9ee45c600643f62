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


def test_the_floor_reads_every_source_row_of_the_mapped_tables(tmp_path, capsys):
    """--floor: reading only the mapped fields is measured on the same layout, and reads every row the converter
    reads (counted against the canonical store it gives); its figures are printed with the conversion's."""
    import pytest

    from qiloop.bench import floor
    from qiloop.bench.import_ import prepare

    cache = tmp_path / "cache"
    for kind in floor.KINDS:
        argv = ["bench", "import", "--from", kind, "--patients", "300", "--cache", str(cache), "--floor"]
        assert main(argv) == 0, kind
        out = capsys.readouterr().out
        assert re.search(r"reading only the fields the converter maps +wall +[0-9.]+ s +CPU +[0-9.]+ s", out), kind
        assert re.search(r"the import of the converted tables alone +wall +[0-9.]+ s +CPU +[0-9.]+ s", out), kind
        assert re.search(r"can cost less than reading \+ importing: CPU [0-9.]+ s = [0-9.]+×", out), kind
        _, layout, _ = prepare(kind, 300, 1, 1, cache)
        read = floor.read_mapped(kind, layout)
        statements = floor.reads(kind, layout)
        assert len(statements) == len(read) >= 3, kind
        # each table's rows: as many as the canonical table it gives, or more (dropped rows, other resources)
        by_name = {name.lower(): rows for name, rows in read.items()}
        appointments = next(rows for name, rows in by_name.items() if "appointment" in name and "session" not in name)
        assert appointments > 100, (kind, read)
        for name, sql, _ in statements:
            assert "count(" in sql, (kind, name)
            # the floor reads what the converter reads: never names, addresses or telephone numbers
            for field in (
                "GivenName",
                "Surname",
                "Postcode",
                "'name'",
                "'address'",
                "'telecom'",
                "HomePhone",
                "MobilePhone",
            ):
                assert field.lower() not in sql.lower(), (kind, name, field)
    with pytest.raises(ValueError, match="no floor"):
        floor.reads("ehrql", tmp_path)


def test_floor_for_a_kind_without_one_is_refused_before_anything_is_made(tmp_path, capsys):
    argv = ["bench", "import", "--from", "ehrql", "--patients", "300", "--cache", str(tmp_path), "--floor"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "--floor: not measured for 'ehrql'" in err and "fhir, emis, systmone" in err
    assert not any(tmp_path.iterdir())
