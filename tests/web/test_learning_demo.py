"""The demo practice's worked learning events: built through the actions, once, a few of each type."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from qiloop.learning.workflow import check_answers
from qiloop_web.audit.models import AuditEvent
from qiloop_web.learning.demo import create_demo_events
from qiloop_web.learning.models import LearningEvent

TODAY = dt.date(2026, 11, 26)


def test_demo_events_are_built_once_through_the_actions(universe):
    made = create_demo_events(universe.practice, universe.people, today=TODAY)
    again = create_demo_events(universe.practice, universe.people, today=TODAY)
    assert {e.pk for e in again} == {e.pk for e in made}
    events = LearningEvent.objects.filter(practice=universe.practice)
    assert events.count() == len(made) == 11
    assert set(Counter(events.values_list("event_type", flat=True))) == {"incident", "outcome", "risk", "good_care"}
    assert set(events.values_list("stage", flat=True)) == {
        "reported",
        "triaged",
        "analysed",
        "actions_agreed",
        "monitoring",
        "closed",
    } - {"triaged"}
    assert events.filter(restricted=True).count() == 1 and events.filter(share_learning=True).count() == 1
    reported = AuditEvent.objects.filter(action="learning_event.reported").count()
    assert reported == 11
    for event in events:
        assert check_answers(event.fields(), today=TODAY) == []
