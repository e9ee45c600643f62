"""The demo's example clinical audit: one completed cycle, two computed rounds with a change between, made through
the actions (so it is in the audit log), once only."""

from __future__ import annotations

from qiloop.audit.collect import collect
from qiloop_web.audit.models import AuditEvent
from qiloop_web.audits.demo import CHANGE, create_demo_audit, latest_month_end
from qiloop_web.audits.models import ClinicalAudit


def test_the_demo_audit_is_a_completed_two_round_cycle(universe, measured):
    store = measured[0]
    audit = create_demo_audit(universe.practice, universe.people, store=store)
    assert audit is not None and audit.stage == "complete" and audit.template_key == "pincer_nsaid"
    first, second = audit.collections.order_by("round")
    assert second.reference_date == latest_month_end(store)
    assert (second.reference_date.year * 12 + second.reference_date.month) - (
        first.reference_date.year * 12 + first.reference_date.month
    ) == 6
    (change,) = audit.changes.all()
    assert first.reference_date < change.implemented_on < second.reference_date
    assert change.task is not None and change.task.owner == universe.people["pharmacist"]
    for collection in (first, second):
        (count,) = collection.counts.all()
        expected = collect(store, "pincer_a_audit", "A00001", collection.reference_date)
        assert (count.met, count.eligible, count.kind) == (expected.met, expected.eligible, "computed")
    actions_logged = list(
        AuditEvent.objects.filter(detail__audit=audit.pk).order_by("id").values_list("action", flat=True)
    )
    assert actions_logged[0] == "clinical_audit.created" and actions_logged[-1] == "clinical_audit.stage_changed"
    assert CHANGE not in str(list(AuditEvent.objects.values_list("detail", flat=True)))
    assert create_demo_audit(universe.practice, universe.people, store=store) == audit
    assert ClinicalAudit.objects.count() == 1
