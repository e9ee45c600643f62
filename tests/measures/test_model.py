"""The model is immutable and validated at construction; errors name the measure and the problem."""

import dataclasses
import datetime as dt

import pytest

from qiloop.errors import QiloopError
from qiloop.measures.codes import Codes
from qiloop.measures.describe import describe
from qiloop.measures.language import age, appointments, clinical_events, measure, medications, sex

NSAID = Codes("oral_nsaid", frozenset({"329653008"}), version="2024-01", system="dmd")


def _ok(**kwargs):
    base = dict(
        id="m", title="A measure", denominator=age >= 65, numerator=medications(NSAID).exists(), low_is_good=True
    )
    base.update(kwargs)
    return measure(**base)


def test_measure_is_immutable():
    m = _ok()
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.title = "changed"  # type: ignore[misc]


def test_codelist_versions_are_recorded():
    assert _ok().codelist_versions == {"oral_nsaid": "2024-01"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": "Bad Id"}, "lower case"),
        ({"title": " "}, "title is empty"),
        ({"denominator": clinical_events(["x"]).latest_value()}, "denominator must be"),
        ({"numerator": clinical_events(["x"]).last_date()}, "numerator must be"),
        ({"denominator": appointments().count(), "numerator": appointments().exists()}, "count denominator"),
        ({"numerator": age >= 65}, "same as the denominator"),
        ({"exclusions": clinical_events(["x"]).count()}, "exclusions must be true/false"),
        (
            {"numerator": clinical_events(["x"]).count(), "exclusions": clinical_events(["x"]).exists()},
            "exclusions",
        ),
        ({"numerator": age >= sex}, "compares a int with a str"),
        ({"per": 0}, "per must be"),
        ({"review_date": "2025-01-01"}, "review_date"),
    ],
)
def test_invalid_measures_are_rejected_with_the_measure_named(kwargs, message):
    with pytest.raises(QiloopError, match=message) as info:
        _ok(**kwargs)
    assert str(kwargs.get("id", "m")) in str(info.value)


def test_appointment_numerator_must_be_inside_its_denominator():
    month = appointments().in_last(months=1)
    measure(
        id="ok",
        title="t",
        denominator=month.count(),
        numerator=month.where(status="did_not_attend").count(),
        low_is_good=False,
    )
    with pytest.raises(QiloopError, match="not in the denominator"):
        measure(
            id="bad",
            title="t",
            denominator=month.where(mode="telephone").count(),
            numerator=month.where(status="did_not_attend").count(),
            low_is_good=False,
        )
    with pytest.raises(QiloopError, match="not in the denominator"):
        measure(
            id="bad",
            title="t",
            denominator=month.count(),
            numerator=appointments().in_last(months=2).count(),
            low_is_good=False,
        )


def test_code_system_mismatch_is_an_error():
    with pytest.raises(QiloopError, match="coded in dmd"):
        clinical_events(NSAID)


def test_empty_codelist_is_an_error():
    with pytest.raises(QiloopError, match="empty"):
        medications([])


def test_python_and_or_not_are_refused():
    with pytest.raises(QiloopError, match="& | ~"):
        _ = (age >= 65) and (age <= 80)


def test_unknown_appointment_status_is_an_error():
    with pytest.raises(QiloopError, match="unknown appointment status"):
        appointments(status="no_show")


def test_description_reads_as_english():
    text = describe(((age >= 65) & ~medications(NSAID).in_last(months=3).exists()).node)
    assert text == "age ≥ 65 and not any oral_nsaid issues in the last 3 months"


def test_a_model_measure_without_a_direction_is_refused():
    from qiloop.measures.model import Measure

    built = _ok()
    with pytest.raises(QiloopError, match="'m': it does not say which direction is better"):
        Measure(id="m", title="A measure", numerator=built.numerator, denominator=built.denominator)


def test_review_date_accepts_a_date():
    assert _ok(review_date=dt.date(2026, 4, 1)).review_date == dt.date(2026, 4, 1)
