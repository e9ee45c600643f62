import pytest

from qiloop.errors import QiloopError
from qiloop.measures.actions import action_list
from qiloop.measures.language import age, clinical_events, measure

from .data import D, Store

REVIEW = clinical_events(["review"]).in_last(months=12)
BP = clinical_events(["bp"]).in_last(months=12).latest_value()
CONTROLLED = measure(
    id="controlled",
    title="Reviewed with BP 140 or less",
    denominator=age >= 18,
    numerator=REVIEW.exists() & (BP <= 140),
)


def _store():
    store = Store().patient(1).patient(2).patient(3).patient(4, practice="B").patient(5, dob=D(2015, 1, 1))
    store.event(1, D(2024, 1, 5), "review").event(1, D(2024, 1, 5), "bp", 130.0)  # met
    store.event(2, D(2024, 1, 5), "review").event(2, D(2024, 2, 1), "bp", 150.0)  # BP too high
    store.event(4, D(2023, 1, 1), "review")  # other practice
    return store.tables()


def test_action_list_lists_unmet_patients_with_reasons_and_values():
    out = action_list(_store(), CONTROLLED, "A", on="2024-03-31")
    assert out["patient_id"].tolist() == [2, 3]  # 1 met, 4 elsewhere, 5 is a child
    reasons = dict(zip(out["patient_id"], out["reason"], strict=True))
    assert reasons[2] == "not met: latest value of inline: bp events in the last 12 months ≤ 140"
    assert "any inline: review events" in reasons[3] and "≤ 140" in reasons[3]
    latest = [c for c in out.columns if c.startswith("latest value")][0]
    assert out[latest].tolist()[0] == 150.0


def test_action_list_unknown_practice():
    with pytest.raises(QiloopError, match="no patients registered at practice 'Z'"):
        action_list(_store(), CONTROLLED, "Z", on="2024-03-31")
