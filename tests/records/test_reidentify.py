"""From an action list to patients: the practice's own NHS numbers matched to the store's keyed pseudonyms."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from records_fixtures import valid_extract, write_csv, write_parquet

from qiloop.errors import InputError
from qiloop.records import reidentify as r
from qiloop.records.importer import import_extract
from synthetic_nhs_numbers import synthetic_nhs_numbers, valid_nhs_numbers

KEY = b"riverside-practice-key-0123456789"
OTHER_KEY = b"hill-street-practice-key-987654321"
# valid_extract(): patients 1, 2 and 3 were registered at P1, patients 3 and 4 at P2.
NUMBERS = synthetic_nhs_numbers(4)
ACTIONS = pd.DataFrame({"patient_id": [1, 2, 3], "reason": ["review", "review", "review"]})


def spaced(number: str) -> str:
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def _extract(numbers):
    extract = valid_extract()
    header, rows = extract["patients"]
    extract["patients"] = (header + ["nhs_number"], [row + [n] for row, n in zip(rows, numbers, strict=True)])
    return extract


@pytest.fixture
def store(tmp_path):
    """Patients 1, 2 and 4 imported with NHS numbers under KEY; patient 3 without one."""
    source = write_csv(tmp_path / "extract", _extract([NUMBERS[0], NUMBERS[1], "", NUMBERS[3]]))
    path = tmp_path / "store.duckdb"
    import_extract(source, path, key=KEY)
    return path


def _plain(tmp_path, text: str, name: str = "numbers.txt"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("writer", [write_csv, write_parquet])
def test_the_extract_patients_file_gives_each_patient_their_number(store, tmp_path, writer):
    source = writer(tmp_path / "again", _extract([NUMBERS[0], NUMBERS[1], "", NUMBERS[3]]))
    patients = next(source.glob("patients.*"))
    found = r.reidentify(ACTIONS, store, "P1", KEY, patients)
    assert found.table["nhs_number"].tolist() == [spaced(NUMBERS[0]), spaced(NUMBERS[1]), ""]
    assert found.table["nhs_number_note"].tolist() == ["", "", r.NOT_IMPORTED]
    assert list(found.table.columns) == ["patient_id", "nhs_number", "reason", "nhs_number_note"]
    assert (found.matched, found.unmatched, found.numbers_read) == (2, 1, 3)


def test_a_plain_list_with_header_spaces_hyphens_and_blank_lines(store, tmp_path):
    text = f"NHS Number\n{spaced(NUMBERS[1])}\n\n{NUMBERS[0][:3]}-{NUMBERS[0][3:6]}-{NUMBERS[0][6:]}\n"
    found = r.reidentify(ACTIONS, store, "P1", KEY, _plain(tmp_path, text))
    assert found.table["nhs_number"].tolist() == [spaced(NUMBERS[0]), spaced(NUMBERS[1]), ""]


def test_bytes_with_a_name_read_like_the_file(store):
    found = r.reidentify(ACTIONS, store, "P1", KEY, f"{NUMBERS[0]}\r\n".encode(), name="upload.csv")
    assert found.table["nhs_number"].tolist() == [spaced(NUMBERS[0]), "", ""]


def test_patients_whose_number_is_not_in_the_file_are_kept_and_flagged(store, tmp_path):
    found = r.reidentify(ACTIONS, store, "P1", KEY, _plain(tmp_path, NUMBERS[1] + "\n"))
    assert found.table["patient_id"].tolist() == [1, 2, 3]
    assert found.table["nhs_number"].tolist() == ["", spaced(NUMBERS[1]), ""]
    assert found.table["nhs_number_note"].tolist() == [r.NOT_IN_FILE, "", r.NOT_IMPORTED]
    assert found.matched == 1


def test_the_wrong_key_is_refused(store, tmp_path):
    with pytest.raises(InputError, match="wrong key or a file from another practice") as error:
        r.reidentify(ACTIONS, store, "P1", OTHER_KEY, _plain(tmp_path, "\n".join(NUMBERS)))
    assert not any(n in str(error.value) for n in NUMBERS)


def test_another_practices_numbers_are_refused(store, tmp_path):
    """Patient 4 is registered at P2 only: its number matches no patient of P1."""
    with pytest.raises(InputError, match="none of the 1 NHS numbers in numbers.txt is a patient of practice 'P1'"):
        r.reidentify(ACTIONS, store, "P1", KEY, _plain(tmp_path, NUMBERS[3]))


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("", "numbers.txt", "numbers.txt: no valid NHS number found (no values in it)"),
        ("NHS number\n", "numbers.txt", "numbers.txt: no valid NHS number found (no values in it)"),
        ("patient_id,sex\n1,female\n", "patients.csv", "patients.csv: line 1: no nhs_number column in the header"),
        ("nhs_number,sex\n,female\n", "patients.csv", "patients.csv: no valid NHS number found (no values in it)"),
        ("Ann Smith\n12345\n", "list.txt", "list.txt: no valid NHS number found (first values: line 2: '*****')"),
    ],
)
def test_a_file_without_nhs_numbers_says_what_was_expected(store, tmp_path, text, name, expected):
    with pytest.raises(InputError) as error:
        r.reidentify(ACTIONS, store, "P1", KEY, _plain(tmp_path, text, name))
    assert str(error.value).startswith(expected)
    assert "one NHS number per line" in str(error.value)


def test_a_parquet_file_without_an_nhs_number_column(store, tmp_path):
    path = tmp_path / "patients.parquet"
    pq.write_table(pa.table({"patient_id": [1]}), path)
    with pytest.raises(InputError, match=r"patients.parquet: no nhs_number column \(columns: patient_id\)"):
        r.reidentify(ACTIONS, store, "P1", KEY, path)


def test_invalid_numbers_are_named_by_line_and_masked(store, tmp_path):
    bad = NUMBERS[0][:9] + str((int(NUMBERS[0][9]) + 1) % 10)
    # A quoted cell holding a line break: the next record starts on line 5, not 4.
    text = f'nhs_number,note\n{NUMBERS[1]},"two\nlines"\n{bad},x\n{NUMBERS[0]}1,y\n'
    with pytest.raises(InputError) as error:
        r.reidentify(ACTIONS, store, "P1", KEY, _plain(tmp_path, text, "patients.csv"))
    message = str(error.value)
    assert message.splitlines()[1:3] == [
        f"patients.csv: line 4: '{bad[:3]}*******' is not a valid NHS number (10 digits, the last a modulus-11 check digit)",
        f"patients.csv: line 5: '{bad[:3]}********' is not a valid NHS number (10 digits, the last a modulus-11 check digit)",
    ]
    assert "2 of 3 NHS numbers are not valid; nothing was written" in message
    for secret in (bad, NUMBERS[0], NUMBERS[1]):
        assert secret not in message


def test_a_store_imported_without_nhs_numbers_is_refused(tmp_path):
    path = tmp_path / "plain.duckdb"
    import_extract(write_csv(tmp_path / "extract", valid_extract()), path)
    with pytest.raises(InputError, match="has no NHS number pseudonyms: its extract was imported without"):
        r.reidentify(ACTIONS, path, "P1", KEY, _plain(tmp_path, NUMBERS[0]))


def test_a_practice_whose_patients_have_no_pseudonyms_is_refused(tmp_path):
    source = write_csv(tmp_path / "extract", _extract(["", "", "", NUMBERS[3]]))
    path = tmp_path / "store.duckdb"
    import_extract(source, path, key=KEY)
    with pytest.raises(InputError, match="no NHS number pseudonyms for practice 'P1'"):
        r.reidentify(ACTIONS, path, "P1", KEY, _plain(tmp_path, NUMBERS[0]))


def test_a_parquet_directory_store(store, tmp_path):
    import duckdb

    folder = tmp_path / "parquet-store"
    folder.mkdir()
    with duckdb.connect(str(store), read_only=True) as con:
        for table in ("patients", "practice_registrations"):
            con.execute(f"COPY {table} TO '{folder / table}.parquet' (FORMAT parquet)")
    found = r.reidentify(ACTIONS, folder, "P1", KEY, _plain(tmp_path, NUMBERS[0]))
    assert found.table["nhs_number"].tolist() == [spaced(NUMBERS[0]), "", ""]


@settings(max_examples=60, deadline=None)
@given(
    numbers=st.lists(valid_nhs_numbers, min_size=1, max_size=8, unique=True),
    key=st.binary(min_size=16, max_size=100),
    separator=st.sampled_from(["", " ", "-"]),
)
def test_any_valid_number_round_trips_through_pseudonym_and_reidentify(numbers, key, separator):
    """What the importer stores (HMAC-SHA256 under the key, computed here with Python's hmac) comes back as the
    number, whatever the key and however the number is written."""
    pseudonyms = pd.DataFrame(
        {
            "patient_id": range(1, len(numbers) + 1),
            "pseudonym": [hmac.new(key, n.encode(), hashlib.sha256).hexdigest() for n in numbers],
        }
    )
    written = "\n".join(separator.join((n[:3], n[3:6], n[6:])) for n in numbers)
    listed = r.read_nhs_numbers(written.encode(), name="list.txt")
    actions = pd.DataFrame({"patient_id": list(range(len(numbers), 0, -1))})
    found = r.reidentify_table(actions, pseudonyms, listed, key, "P1")
    assert found.table["nhs_number"].tolist() == [spaced(n) for n in reversed(numbers)]
    assert found.matched == len(numbers)
