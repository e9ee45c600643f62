"""``qiloop measures actions … --reidentify-from FILE --key-file K [--out FILE]``: exit codes, nothing written on error."""

import csv
import hashlib
import hmac

import duckdb
import pytest

from qiloop.cli import main
from qiloop.measures import registry
from qiloop.measures.language import age, measure, medications
from synthetic_nhs_numbers import synthetic_nhs_numbers

from .spec import D, Store, write_duckdb

KEY = b"riverside-practice-key-0123456789"
NSAID = measure(
    id="test_nsaid_65",
    title="Test: NSAID at 65 and over",
    denominator=age >= 65,
    numerator=medications(["n"]).in_last(months=3).exists(),
    low_is_good=True,
    why_it_matters="test measure",
)
NUMBERS = dict(zip(range(1, 11), synthetic_nhs_numbers(10), strict=True))  # patient_id -> NHS number


@pytest.fixture(autouse=True)
def registered_measures(monkeypatch):
    monkeypatch.setattr(registry, "_EXTRA", {NSAID.id: NSAID})


@pytest.fixture
def store_path(tmp_path):
    """Ten patients of practice A aged over 65, nine on an NSAID, imported with NHS numbers under KEY
    (the pseudonyms computed here with Python's hmac, as the importer must)."""
    store = Store()
    for pid in range(1, 11):
        store.patient(pid, dob=D(1940, 1, 1))
        if pid <= 9:
            store.med(pid, D(2024, 2, 1), "n")
    path = tmp_path / "store.duckdb"
    write_duckdb(store, path)
    with duckdb.connect(str(path)) as con:
        con.execute("ALTER TABLE patients ADD COLUMN nhs_number_pseudonym VARCHAR")
        for pid, number in NUMBERS.items():
            digest = hmac.new(KEY, number.encode(), hashlib.sha256).hexdigest()
            con.execute("UPDATE patients SET nhs_number_pseudonym = ? WHERE patient_id = ?", [digest, pid])
    return path


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "practice.key"
    path.write_bytes(KEY + b"\n")
    return path


def _args(store_path, *extra):
    return ["measures", "actions", "test_nsaid_65", "--store", str(store_path), "--practice", "A",
            "--on", "2024-02", *map(str, extra)]  # fmt: skip


def _plain_list(tmp_path, numbers):
    path = tmp_path / "numbers.txt"
    path.write_text("NHS Number\n" + "\n".join(f"{n[:3]} {n[3:6]} {n[6:]}" for n in numbers) + "\n")
    return path


def test_out_file_holds_every_patient_with_their_own_number(store_path, key_file, tmp_path, capsys):
    out = tmp_path / "list.csv"
    code = main(_args(store_path, "--reidentify-from", _plain_list(tmp_path, NUMBERS.values()),
                      "--key-file", key_file, "--out", out))  # fmt: skip
    assert code == 0, capsys.readouterr().err
    rows = list(csv.DictReader(out.open()))
    assert rows, "the action list should not be empty"
    for row in rows:
        number = NUMBERS[int(row["patient_id"])]
        assert row["nhs_number"] == f"{number[:3]} {number[3:6]} {number[6:]}"
        assert row["nhs_number_note"] == ""
    assert list(rows[0])[:2] == ["patient_id", "nhs_number"]
    printed = capsys.readouterr().out
    assert f"wrote {len(rows)} patients: {len(rows)} with an NHS number, 0 without" in printed
    assert not any(n in printed for n in NUMBERS.values())


def test_patients_missing_from_the_file_are_kept_and_flagged(store_path, key_file, tmp_path, capsys):
    listed = {pid: n for pid, n in NUMBERS.items() if pid % 2}  # odd patients only
    code = main(_args(store_path, "--reidentify-from", _plain_list(tmp_path, listed.values()),
                      "--key-file", key_file, "--csv"))  # fmt: skip
    assert code == 0
    captured = capsys.readouterr()
    rows = list(csv.DictReader(captured.out.splitlines()))
    for row in rows:
        pid = int(row["patient_id"])
        if pid in listed:
            assert row["nhs_number"].replace(" ", "") == listed[pid] and row["nhs_number_note"] == ""
        else:
            assert row["nhs_number"] == "" and row["nhs_number_note"] == "not in the file of NHS numbers given"
    assert "without (see nhs_number_note)" in captured.err


def test_wrong_key_exits_1_and_writes_nothing(store_path, tmp_path, capsys):
    wrong = tmp_path / "other.key"
    wrong.write_text("another-practice-key-9876543210\n")
    out = tmp_path / "list.csv"
    code = main(_args(store_path, "--reidentify-from", _plain_list(tmp_path, NUMBERS.values()),
                      "--key-file", wrong, "--out", out))  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "wrong key or a file from another practice" in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".qiloop")] == []


def test_a_file_without_nhs_numbers_exits_1_and_writes_nothing(store_path, key_file, tmp_path, capsys):
    wrong_file = tmp_path / "patients.csv"
    wrong_file.write_text("patient_id,sex\n1,female\n")
    out = tmp_path / "list.csv"
    code = main(_args(store_path, "--reidentify-from", wrong_file, "--key-file", key_file, "--out", out))
    assert code == 1
    err = capsys.readouterr().err
    assert "patients.csv: line 1: no nhs_number column" in err
    assert not out.exists()


def test_invalid_numbers_are_named_by_line_and_masked(store_path, key_file, tmp_path, capsys):
    first = NUMBERS[1]
    broken = first[:9] + str((int(first[9]) + 1) % 10)  # the check digit no longer fits
    source = tmp_path / "numbers.txt"
    source.write_text(f"{first}\n{broken}\n")
    out = tmp_path / "list.csv"
    code = main(_args(store_path, "--reidentify-from", source, "--key-file", key_file, "--out", out))
    assert code == 1
    err = capsys.readouterr().err
    assert f"numbers.txt: line 2: '{broken[:3]}*******' is not a valid NHS number" in err
    assert broken not in err and first not in err
    assert not out.exists()


def test_a_store_imported_without_nhs_numbers_is_refused(tmp_path, key_file, capsys):
    store = Store()
    store.patient(1, dob=D(1940, 1, 1)).med(1, D(2024, 2, 1), "n")  # data in the month asked for
    path = tmp_path / "plain.duckdb"
    write_duckdb(store, path)
    code = main(_args(path, "--reidentify-from", _plain_list(tmp_path, NUMBERS.values()), "--key-file", key_file))
    assert code == 1
    assert "has no NHS number pseudonyms" in capsys.readouterr().err


def test_a_key_file_without_a_file_of_numbers_is_refused(store_path, key_file, capsys):
    assert main(_args(store_path, "--key-file", key_file)) == 1
    assert "--key-file is only used with --reidentify-from" in capsys.readouterr().err


def test_no_key_is_refused(store_path, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("QILOOP_PSEUDONYM_KEY", raising=False)
    code = main(_args(store_path, "--reidentify-from", _plain_list(tmp_path, NUMBERS.values())))
    assert code == 1
    assert "no pseudonymisation key" in capsys.readouterr().err
