"""Project templates: five practice-sized projects, each with a specific aim and real measures."""

from __future__ import annotations

from datetime import date

import pytest

from qiloop.improvement.aims import check_aim
from qiloop.improvement.templates import template, templates
from qiloop.measures.library import all_measures

KEYS = ["reduce_dna", "nsaid_over_65", "copd_reviews_mrc", "repeat_prescribing_turnaround", "continuity_frail"]


def test_the_five_templates_in_order():
    assert [t.key for t in templates()] == KEYS


def test_every_library_id_exists_and_agrees_on_direction():
    library = all_measures()
    used = 0
    for item in templates():
        for measure in item.measures:
            if measure.library_id is None:
                assert measure.unit, f"{item.key}: manual measure {measure.title!r} needs a unit"
                continue
            used += 1
            assert measure.library_id in library, f"{item.key}: {measure.library_id} is not a library measure"
            assert measure.low_is_good is library[measure.library_id].low_is_good, measure.library_id
    assert used >= 5


def test_expected_library_measures_are_used():
    ids = {m.library_id for t in templates() for m in t.measures}
    assert {"dna_rate", "pincer_a", "copd010", "continuity_upc"} <= ids


@pytest.mark.parametrize("key", KEYS)
def test_each_template_is_complete(key):
    item = template(key)
    assert [m.role for m in item.measures][0] == "outcome"
    assert {m.role for m in item.measures} == {"outcome", "process", "balancing"}
    assert item.aim_by_months > 0
    check = check_aim(item.aim_what, item.aim_how_much, date(2027, 12, 31), today=date(2026, 1, 1))
    assert check.ok, check.missing
    assert item.primary_drivers
    for primary, secondaries, ideas in item.primary_drivers:
        assert primary and secondaries and ideas


def test_unknown_key_names_the_keys():
    with pytest.raises(KeyError, match="no project template called 'x'; the templates are: reduce_dna, "):
        template("x")
