"""NHS numbers: validated, masked in messages, replaced by keyed pseudonyms, never stored."""

from __future__ import annotations

import hashlib
import hmac

import duckdb
import pytest
from records_fixtures import valid_extract, write_csv, write_parquet

from qiloop.errors import InputError
from qiloop.records import pseudonym
from qiloop.records.importer import import_extract
from qiloop.records.sql import connect

KEY = b"practice-secret-key-0123456789abcdef"
VALID = ["9434765919", "9434765870", "943 476 5919"]


def _reference_check_digit_ok(number: str) -> bool:
    """The modulus-11 rule worked long-hand: weights 10..2, remainder, 11 minus it, 11 -> 0, 10 invalid."""
    weights = [10, 9, 8, 7, 6, 5, 4, 3, 2]
    total = 0
    for weight, digit in zip(weights, number[:9], strict=True):
        total += weight * int(digit)
    remainder = total % 11
    check = 11 - remainder
    if check == 11:
        check = 0
    if check == 10:
        return False
    return check == int(number[9])


@pytest.mark.parametrize("number", VALID)
def test_known_valid_numbers(number):
    assert pseudonym.is_valid_nhs_number(number)


@pytest.mark.parametrize("number", ["9434765918", "943476591", "94347659190", "943476591X", "", "１２３４５６７８９０"])
def test_invalid_numbers(number):
    assert not pseudonym.is_valid_nhs_number(number)


def test_python_and_sql_validity_agree_with_the_long_hand_rule():
    con = duckdb.connect()
    numbers = [f"{i:010d}" for i in range(4000000000, 4000000000 + 3000 * 7919, 7919)]
    sql = pseudonym.sql_is_valid("n")
    got = dict(con.execute(f"SELECT n, {sql} FROM unnest(?) t(n)", [numbers]).fetchall())
    for n in numbers:
        expected = _reference_check_digit_ok(n)
        assert pseudonym.is_valid_nhs_number(n) == expected
        assert got[n] == expected
    assert any(got.values()) and not all(got.values())


def test_sql_hmac_equals_python_hmac_for_short_and_long_keys():
    con = connect()
    for key in [KEY, b"k" * 100]:
        inner, outer = pseudonym.hmac_pads(key)
        sql = pseudonym.sql_pseudonym("n", "$inner", "$outer")
        got = con.execute(f"SELECT {sql} FROM (SELECT '9434765919' AS n)", {"inner": inner, "outer": outer}).fetchone()
        assert got == (hmac.new(key, b"9434765919", hashlib.sha256).hexdigest(),)


def test_mask_shows_only_the_first_three_digits():
    assert pseudonym.mask("943 476 5918") == "943*******"
    assert pseudonym.mask("12345") == "*****"


def _extract_with_nhs_numbers(numbers):
    extract = valid_extract()
    header, rows = extract["patients"]
    extract["patients"] = (header + ["nhs_number"], [r + [n] for r, n in zip(rows, numbers, strict=True)])
    return extract


@pytest.mark.parametrize("writer", [write_csv, write_parquet])
def test_import_replaces_numbers_by_hmac_and_stores_neither_numbers_nor_key(tmp_path, writer):
    numbers = ["9434765919", "943 476 5870", "", "9434765919"]
    source = writer(tmp_path / "extract", _extract_with_nhs_numbers(numbers))
    store = tmp_path / "store.duckdb"
    result = import_extract(source, store, key=KEY)
    assert result.pseudonymised == ("patients",)
    con = duckdb.connect(str(store), read_only=True)
    got = [r[0] for r in con.execute("SELECT nhs_number_pseudonym FROM patients").fetchall()]
    expected_first = hmac.new(KEY, b"9434765919", hashlib.sha256).hexdigest()
    assert got == [
        expected_first,
        hmac.new(KEY, b"9434765870", hashlib.sha256).hexdigest(),
        None,
        expected_first,  # the same number always gives the same pseudonym
    ]
    columns = [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns").fetchall()]
    assert "nhs_number" not in columns
    every_text = " ".join(
        str(v)
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        for row in con.execute(f'SELECT * FROM "{table}"').fetchall()
        for v in row
    )
    con.close()
    raw = store.read_bytes()
    for secret in [b"9434765919", b"9434765870", KEY, KEY[:16]]:
        assert secret not in raw
        assert secret.decode() not in every_text


def test_invalid_number_is_masked_in_the_error(tmp_path):
    source = write_csv(tmp_path / "extract", _extract_with_nhs_numbers(["9434765919", "9434765918", "", "12"]))
    with pytest.raises(InputError) as info:
        import_extract(source, tmp_path / "store.duckdb", key=KEY)
    text = str(info.value)
    assert (
        "\npatients.csv:3: column nhs_number: '943*******' is not a valid NHS number "
        "(10 digits, the last a modulus-11 check digit); correct it or leave the cell empty\n"
    ) in text
    assert "\npatients.csv:5: column nhs_number: '**' is not a valid NHS number" in text
    assert "9434765918" not in text and "9434765919" not in text


def test_missing_key_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv(pseudonym.KEY_ENV_VAR, raising=False)
    source = write_csv(tmp_path / "extract", _extract_with_nhs_numbers(["9434765919", "", "", ""]))
    with pytest.raises(InputError, match="patients.csv: has an nhs_number column but no pseudonymisation key"):
        import_extract(source, tmp_path / "store.duckdb", key=pseudonym.load_key(None))
    assert not (tmp_path / "store.duckdb").exists()


def test_key_file_takes_precedence_over_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(pseudonym.KEY_ENV_VAR, "environment-key-0123456789")
    key_file = tmp_path / "key"
    key_file.write_text("file-key-0123456789abcdef\n")
    assert pseudonym.load_key(key_file) == b"file-key-0123456789abcdef"
    assert pseudonym.load_key(None) == b"environment-key-0123456789"


def test_short_key_is_refused(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("short")
    with pytest.raises(InputError, match="too short"):
        pseudonym.load_key(key_file)
