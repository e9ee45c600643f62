"""Action lists: direction, clinical columns, formatting, order, and the edges (bad month, no patients, no direction)."""

import datetime as dt

import pytest

from qiloop.errors import QiloopError
from qiloop.measures.actions import (
    MISSING,
    action_list,
    compute_action_list,
    compute_action_lists,
    format_date,
    rule_text,
)
from qiloop.measures.language import action_spec, age, clinical_events, measure
from qiloop.measures.library import all_measures
from qiloop.measures.model import ENGINE_WORDS

from .spec import D, Store

REVIEW = clinical_events(["review"]).in_last(months=12)
BP = clinical_events(["bp"]).in_last(months=12)
LAST_REVIEW = clinical_events(["review"]).last_date()
REVIEW_LIST = action_spec(
    who="aged 18 or over without a review and a BP of 140 or less",
    action="invite them for a review",
    columns={"Last review": LAST_REVIEW, "Latest BP": BP.latest_value(), "BP date": BP.latest_value_date()},
    order_by="Last review",
    order="longest since the last review first, never reviewed at the top",
    descending=False,
    missing_first=True,
)
CONTROLLED = measure(
    id="controlled",
    title="Reviewed with BP 140 or less",
    denominator=age >= 18,
    numerator=REVIEW.exists() & (BP.latest_value() <= 140),
    low_is_good=False,
    action_list=REVIEW_LIST,
)
HIGH_BP = measure(
    id="high_bp",
    title="Latest BP above 140",
    denominator=age >= 18,
    numerator=BP.latest_value() > 140,
    low_is_good=True,
    action_list=action_spec(
        who="with a latest BP above 140",
        action="review their treatment",
        columns={"Latest BP": BP.latest_value(), "BP date": BP.latest_value_date()},
        order_by="BP date",
        order="most recent reading first",
    ),
)


def _store():
    store = Store().patient(1).patient(2).patient(3).patient(4, practice="B").patient(5, dob=D(2015, 1, 1))
    store.patient(6).patient(7)
    store.event(1, D(2024, 1, 5), "review").event(1, D(2024, 1, 5), "bp", 130.0)  # met
    store.event(2, D(2023, 6, 1), "review").event(2, D(2024, 2, 1), "bp", 150.0)  # BP too high
    store.event(4, D(2023, 1, 1), "review")  # other practice
    store.event(6, D(2021, 3, 14), "review").event(6, D(2024, 3, 14), "bp", 155.5)  # review too old
    store.event(7, D(2024, 3, 1), "review")  # reviewed, no BP
    return store.tables()


def test_high_is_good_lists_the_denominator_without_the_numerator_in_the_stated_order():
    listed = compute_action_list(_store(), CONTROLLED, "A", on="2024-03")
    # 1 meets it, 4 is elsewhere, 5 is a child; 3 was never reviewed (first), then the oldest review
    assert listed.table["patient_id"].tolist() == [3, 6, 2, 7]
    assert listed.columns == ["Patient (pseudonymous id)", "Last review", "Latest BP", "BP date"]
    assert listed.display_rows() == [
        ["3", MISSING, MISSING, MISSING],
        ["6", "14 March 2021", "155.5", "14 March 2024"],
        ["2", "1 June 2023", "150", "1 February 2024"],
        ["7", "1 March 2024", MISSING, MISSING],
    ]
    assert listed.header == (
        "4 patients aged 18 or over without a review and a BP of 140 or less — invite them for a review "
        "(longest since the last review first, never reviewed at the top)."
    )
    csv = listed.csv().splitlines()
    assert csv[0] == "patient_id,Last review,Latest BP,BP date"
    assert csv[1] == "3,,," and csv[2] == "6,2021-03-14,155.5,2024-03-14"


def test_low_is_good_lists_the_numerator():
    listed = compute_action_list(_store(), HIGH_BP, "A", on="2024-03")
    assert listed.table["patient_id"].tolist() == [6, 2]  # most recent reading first
    assert listed.header.startswith("2 patients with a latest BP above 140 — review their treatment")
    assert listed.title == "Action list for A, March 2024: Latest BP above 140"


def test_flipping_the_direction_flips_the_list():
    from dataclasses import replace

    flipped = replace(HIGH_BP, low_is_good=False)
    listed = compute_action_list(_store(), flipped, "A", on="2024-03")
    assert sorted(listed.table["patient_id"]) == [1, 3, 7]


@pytest.mark.parametrize("chosen", [CONTROLLED, HIGH_BP])
def test_every_practice_at_once_gives_each_practice_its_own_list(chosen):
    """One query for every practice (how the workbench fills its cache) equals each practice's list on its own;
    a practice with no patients is left out."""
    tables = _store()
    together = compute_action_lists(tables, chosen, ["A", "B", "NOWHERE"], on="2024-03")
    assert sorted(together) == ["A", "B"]
    for practice, listed in together.items():
        alone = compute_action_list(tables, chosen, practice, on="2024-03")
        assert listed.display_rows() == alone.display_rows() and listed.csv() == alone.csv()
        assert listed.header == alone.header
        assert listed.denominator == alone.denominator
    assert together["B"].table["patient_id"].tolist() == ([4] if chosen is CONTROLLED else [])


def test_the_dataframe_path_returns_the_table():
    table = action_list(_store(), HIGH_BP, "A", on="2024-03")
    assert table.columns.tolist() == ["patient_id", "Latest BP", "BP date"]


def test_default_month_is_the_latest_with_data():
    listed = compute_action_list(_store(), HIGH_BP, "A")
    assert listed.on == dt.date(2024, 3, 31)


def test_a_month_outside_the_data_names_the_months_there_are():
    for month in ("2026-03", "2019-12"):
        with pytest.raises(QiloopError, match="there are no data for .*: the data run from March 2021 to March 2024"):
            compute_action_list(_store(), HIGH_BP, "A", on=month)


def test_unknown_practice():
    with pytest.raises(QiloopError, match="no patients registered at practice 'Z'"):
        action_list(_store(), CONTROLLED, "Z", on="2024-03-31")


def test_an_empty_denominator_says_no_patients():
    nobody = measure(id="nobody", title="Aged 200 or over", denominator=age >= 200, numerator=REVIEW.exists(),
                     low_is_good=False)  # fmt: skip
    listed = compute_action_list(_store(), nobody, "A", on="2024-03")
    assert listed.count == 0 and listed.denominator == 0
    assert listed.header == (
        "No patients at this practice are in the denominator of “Aged 200 or over”, so there is no one to list."
    )


def test_an_empty_list_says_nothing_to_act_on():
    listed = compute_action_list(_store(), HIGH_BP, "A", on="2024-01")
    assert listed.count == 0 and listed.denominator > 0
    assert listed.header == "No patients with a latest BP above 140: nothing to act on."


def test_dates_read_as_people_write_them():
    assert format_date(dt.date(2026, 3, 14)) == "14 March 2026"
    assert format_date(dt.date(2026, 3, 4)) == "4 March 2026"


def test_a_measure_without_a_direction_is_refused():
    with pytest.raises(QiloopError, match="'undirected': it does not say which direction is better") as error:
        measure(id="undirected", title="No direction", denominator=age >= 18, numerator=REVIEW.exists())
    assert "low_is_good=True for a hazard" in str(error.value.hint)


def test_a_direction_that_is_not_true_or_false_is_refused():
    with pytest.raises(QiloopError, match="low_is_good must be True or False"):
        measure(id="odd", title="Odd", denominator=age >= 18, numerator=REVIEW.exists(), low_is_good="yes")


@pytest.mark.parametrize(
    "label",
    ["latest value of egfr events on or before 3 months", "any pincer_nsaid issues", "before the reference date"],
)
def test_engine_wording_in_a_column_label_is_refused(label):
    with pytest.raises(QiloopError, match="uses engine wording"):
        action_spec(who="x", action="y", columns={label: LAST_REVIEW}, order_by=label, order="z")
        measure(id="worded", title="Worded", denominator=age >= 18, numerator=REVIEW.exists(), low_is_good=True,
                action_list=action_spec(who="x", action="y", columns={label: LAST_REVIEW}, order_by=label,
                                        order="z"))  # fmt: skip


def test_ordering_by_a_column_the_list_does_not_have_is_refused():
    with pytest.raises(QiloopError, match="ordered by 'Nope', which is not one of its columns"):
        measure(id="unordered", title="Unordered", denominator=age >= 18, numerator=REVIEW.exists(), low_is_good=True,
                action_list=action_spec(who="x", action="y", columns={"Last review": LAST_REVIEW}, order_by="Nope",
                                        order="z"))  # fmt: skip


@pytest.mark.parametrize("measure_id", sorted(all_measures()))
def test_library_action_lists_speak_clinically(measure_id):
    library_measure = all_measures()[measure_id]
    spec = library_measure.action_list
    assert spec is not None, "every library measure has its own action-list metadata"
    for column in spec.columns:
        assert not any(word in column.label.lower() for word in ENGINE_WORDS), column.label
        assert "events" not in column.label and "issues" not in column.label
    assert spec.who and spec.action and spec.order
    rule = rule_text(library_measure)
    if library_measure.low_is_good:
        assert rule.startswith("lists the patients in the numerator")
    else:
        assert rule.startswith(("lists the patients in the denominator who are not", "lists every patient"))
