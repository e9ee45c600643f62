"""The value sets equal the LFPSE v5 code tables (the fixture beside this file, typed from the spec)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qiloop.learning import taxonomy
from qiloop.learning.taxonomy import FACTOR_CATEGORIES, LFPSE_VALUE_SETS, SERVICE_AREA, STAFF_TYPE_BY_ROLE

FIXTURE = json.loads((Path(__file__).parent / "lfpse_v5_codes.json").read_text())
TABLES = {key: value for key, value in FIXTURE.items() if not key.startswith("_") and "(" not in key}


def test_every_value_set_in_the_fixture_is_in_the_library_and_back():
    assert set(TABLES) == set(LFPSE_VALUE_SETS)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_codes_and_words_and_order_equal_the_v5_table(name):
    assert [list(pair) for pair in LFPSE_VALUE_SETS[name].codes] == TABLES[name]


def test_service_area_is_gp_17():
    assert [list(pair) for pair in SERVICE_AREA.codes] == FIXTURE["service-type-5 (GP only)"]


def test_codes_are_unique_within_each_set():
    for vs in LFPSE_VALUE_SETS.values():
        codes = [code for code, _ in vs.codes]
        assert len(codes) == len(set(codes)), vs.id


def test_an_unknown_code_is_refused_with_the_question_named():
    with pytest.raises(ValueError, match="'6' is not a code of Physical harm"):
        taxonomy.PHYSICAL_HARM.label("6")


@pytest.mark.parametrize(
    ("physical", "psychological", "expected"),
    [
        ("5", "4", False),
        ("4", "3", False),
        ("3", "4", True),
        ("2", None, True),
        ("1", None, True),
        ("5", "2", True),
        ("5", "1", True),
        (None, None, False),
        ("", "", False),
    ],
)
def test_moderate_or_worse(physical, psychological, expected):
    assert taxonomy.is_moderate_or_worse(physical_harm=physical, psychological_harm=psychological) is expected


def test_every_practice_role_but_patient_representative_has_a_staff_type():
    assert set(STAFF_TYPE_BY_ROLE) == {
        "gp",
        "practice_nurse",
        "healthcare_assistant",
        "pharmacist",
        "practice_manager",
        "receptionist",
        "health_secretary",
    }
    assert all(code in taxonomy.STAFF_TYPE for code in STAFF_TYPE_BY_ROLE.values())
    assert STAFF_TYPE_BY_ROLE["gp"] == "4" and STAFF_TYPE_BY_ROLE["practice_nurse"] == "5"


def test_factor_categories_are_seips_plus_communication_and_each_fills_a_fishbone_category():
    assert [f.key for f in FACTOR_CATEGORIES] == [
        "person",
        "tasks",
        "tools_technology",
        "organisation",
        "internal_environment",
        "external_environment",
        "communication",
    ]
    fishbone = {f.key: f.fishbone for f in FACTOR_CATEGORIES}
    assert fishbone == {
        "person": "people",
        "tasks": "methods",
        "tools_technology": "equipment",
        "organisation": "policies",
        "internal_environment": "environment",
        "external_environment": "environment",
        "communication": "materials",
    }


SHARED = Path("/work/shared/reference/lfpse")


@pytest.mark.skipif(not SHARED.is_dir(), reason="no LFPSE code tables under shared/reference/lfpse")
def test_value_sets_equal_the_shared_reference_tables():  # pragma: no cover - only where the reference exists
    for path in SHARED.glob("*.json"):
        table = json.loads(path.read_text())
        if path.stem in LFPSE_VALUE_SETS:
            assert dict(LFPSE_VALUE_SETS[path.stem].codes) == {str(k): v for k, v in dict(table).items()}
