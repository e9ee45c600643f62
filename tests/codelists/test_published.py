"""Our code lists checked against the published lists they were built from.

Each manifest entry with a ``reference`` names the published file and whether our list is
``equal``, a ``subset`` or a ``superset`` of it, with the reason (see docs/codelists.md).
Skipped when the published reference data is not beside the checkout.
"""

from __future__ import annotations

import csv

import pytest

from qiloop.codelists import load, manifest

pytestmark = pytest.mark.reference

WITH_REFERENCE = sorted(name for name, entry in manifest().items() if "reference" in entry)


def published_codes(path) -> set[str]:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0][0] in {"code", "id"}
    return {r[0].strip() for r in rows[1:] if r}


def test_most_lists_have_a_published_counterpart():
    assert len(WITH_REFERENCE) >= 40


@pytest.mark.parametrize("name", WITH_REFERENCE)
def test_codes_against_published_list(reference_dir, name):
    ref = manifest()[name]["reference"]
    published = published_codes(reference_dir / "ehr" / ref["file"])
    ours = set(load(name).codes)
    relation = ref["relation"]
    if relation == "equal":
        assert ours == published, f"{name}: differs from {ref['file']} but is declared equal"
    elif relation == "subset":
        assert ours < published, f"{name}: declared a strict subset of {ref['file']}"
        assert ref["reason"], f"{name}: a subset needs a documented reason"
    elif relation == "superset":
        assert ours > published, f"{name}: declared a strict superset of {ref['file']}"
        assert ref["reason"], f"{name}: a superset needs a documented reason"
    else:
        pytest.fail(f"{name}: unknown relation {relation!r}")


def test_nsaid_difference_is_exactly_the_recorded_non_oral_forms(reference_dir):
    published = published_codes(reference_dir / "ehr/pincer/codelists/pincer-nsaid.csv")
    dropped = manifest()["pincer_nsaid"]["reference"]["dropped"]
    assert published - load("pincer_nsaid").codes == set(dropped)
    assert "766353007" in dropped  # the flurbiprofen eye drops


WITH_DROPS = [name for name in WITH_REFERENCE if "dropped" in manifest()[name]["reference"]]


@pytest.mark.parametrize("name", WITH_DROPS)
def test_recorded_drops_are_the_difference(reference_dir, name):
    ref = manifest()[name]["reference"]
    published = published_codes(reference_dir / "ehr" / ref["file"])
    assert published - set(load(name).codes) == set(ref["dropped"]), f"{name}: reference.dropped is not the difference"
    assert all(reason.strip() for reason in ref["dropped"].values())


def test_flu_superset_adds_only_the_generic_concept(reference_dir):
    published = published_codes(reference_dir / "ehr/qof/codelists/nhsd-primary-care-domain-refsets-flu_cod.csv")
    assert load("flu_vaccination").codes - published == {"822851000000102"}
