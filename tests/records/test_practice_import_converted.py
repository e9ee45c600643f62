"""A practice's extract converted from another system keeps the practice's PCN, ICB and name in the store: the
source systems do not hold them, and the converted practices table says 'unknown' (and, for FHIR and ehrQL,
names the practice by its code)."""

from __future__ import annotations

import pytest

from qiloop.bench.import_ import prepare
from qiloop.records.convert import import_from
from qiloop.records.sql import connect


def practices(store):
    con = connect(str(store), read_only=True)
    try:
        return con.execute("SELECT * FROM practices ORDER BY practice_id").fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("kind", ["fhir", "emis", "systmone"])
def test_the_store_keeps_what_it_knows_of_the_practice(kind, tmp_path):
    extract, layout, _ = prepare(kind, 300, 1, 1, tmp_path / "cache")
    store = tmp_path / "store.duckdb"
    import_from("canonical", extract, store)
    before = practices(store)
    ((code, name, pcn, _, icb, _),) = before
    assert pcn.lower() != "unknown" and icb.lower() != "unknown" and name != code
    outcome = import_from(kind, layout, store, practice=code)
    assert outcome.report is not None
    assert "practices.pcn_id, pcn_name, icb_id, icb_name" in " ".join(outcome.report.mappings)  # it said unknown
    assert practices(store) == before


def test_a_practice_new_to_the_store_says_what_the_extract_says(tmp_path):
    extract, layout, _ = prepare("fhir", 300, 1, 1, tmp_path / "cache")
    store = tmp_path / "store.duckdb"
    import_from("canonical", extract, store)
    ((code, *_),) = practices(store)
    con = connect(str(store))
    try:
        con.execute("UPDATE practices SET practice_id = 'Z99999'")  # the store knows another practice only
        con.execute("UPDATE practice_registrations SET practice_id = 'Z99999'")
        con.execute("UPDATE appointments SET practice_id = 'Z99999'")
    finally:
        con.close()
    import_from("fhir", layout, store, practice=code)
    assert (code, code, "unknown", "unknown", "unknown", "unknown") in practices(store)


def test_another_practices_emis_extract_is_refused_naming_the_practice_it_holds(tmp_path):
    from qiloop.errors import InputError

    extract, layout, _ = prepare("emis", 300, 1, 1, tmp_path / "cache")
    store = tmp_path / "store.duckdb"
    import_from("canonical", extract, store)
    before = store.read_bytes()
    ((code, *_),) = practices(store)
    with pytest.raises(InputError) as refused:
        import_from("emis", layout, store, practice="Z99999")
    assert (
        f"no organisation with the ODS code 'Z99999' in Admin_Organisation (it holds {code})" in refused.value.message
    )
    assert "import Z99999's own extract" in (refused.value.hint or "")
    assert store.read_bytes() == before
