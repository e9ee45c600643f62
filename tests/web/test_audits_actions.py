"""Clinical audit actions: a whole two-round cycle from the NSAID template on the measured store, every refusal
changing nothing, audit-log events naming fields never text, and collections that a re-import never changes."""

from __future__ import annotations

import json
import shutil
from datetime import date

import duckdb
import pytest
from audits_universe import build_audit

from qiloop.audit.collect import collect
from qiloop_web.audit.models import AuditEvent
from qiloop_web.audits import actions
from qiloop_web.audits.actions import AuditError
from qiloop_web.audits.models import AuditChange, ClinicalAudit, Collection, CollectionCount, Frozen
from qiloop_web.teamwork.models import Task

ROUND1, CHANGE_ON, ROUND2 = date(2025, 3, 31), date(2025, 4, 1), date(2025, 9, 30)
SECRET = "Dr Example's searches and PPI prompt"


def events(audit) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(detail__audit=audit.pk).order_by("id"))


def test_a_whole_cycle_from_the_nsaid_template(universe, measured):
    store = str(measured[0])
    gp, manager = universe.people["gp"], universe.people["practice_manager"]
    audit = actions.create_audit(practice=universe.practice, template_key="pincer_nsaid", by=gp)
    (criterion,) = audit.criteria.all()
    assert (criterion.measure_id, criterion.standard_percent) == ("pincer_a_audit", 90)
    assert actions.move_to(audit=audit, stage="first_collection", by=gp) == []
    collection, warnings = actions.record_collection(audit=audit, reference_date=ROUND1, by=gp)
    expected = collect(store, "pincer_a_audit", "A00001", ROUND1)
    (count,) = collection.counts.all()
    assert (count.met, count.eligible, count.excluded) == (expected.met, expected.eligible, expected.excluded)
    assert count.kind == "computed" and count.measure_version == expected.measure_version
    assert count.codelist_versions == dict(expected.codelist_versions)
    assert collection.store_fingerprint == expected.store_fingerprint and collection.round == 1
    with pytest.raises(AuditError, match="The first collection is recorded"):
        actions.record_collection(audit=audit, reference_date=ROUND1, by=gp)
    actions.move_to(audit=audit, stage="change", by=gp)
    change = actions.record_change(audit=audit, description=SECRET, implemented_on=CHANGE_ON, by=gp,
                                   task_owner=universe.people["receptionist"])  # fmt: skip
    assert change.task is not None and change.task.title == f"Audit change: {audit.title}"
    assert actions.plan_reaudit(audit=audit, on=date(2025, 5, 15), by=gp) == [
        "The re-audit on 15 May 2025 is under three months after the change on 1 April 2025: too soon for the "
        "change to show."
    ]
    assert actions.plan_reaudit(audit=audit, on=ROUND2, by=gp) == []
    actions.move_to(audit=audit, stage="re_audit", by=gp)
    with pytest.raises(AuditError, match=r"must be after the change \(1 April 2025\)"):
        actions.record_collection(audit=audit, reference_date=date(2025, 3, 1), by=gp)
    second, _ = actions.record_collection(audit=audit, reference_date=ROUND2, by=manager)
    assert second.round == 2
    with pytest.raises(AuditError, match="write the conclusion"):
        actions.move_to(audit=audit, stage="complete", by=gp)
    actions.write_conclusion(audit=audit, conclusion="Most are protected now.", next_steps="", by=gp)
    actions.move_to(audit=audit, stage="complete", by=gp)
    audit.refresh_from_db()
    assert audit.stage == "complete" and audit.completed_at is not None
    names = [e.action for e in events(audit)]
    assert names == [
        "clinical_audit.created", "clinical_audit.stage_changed", "clinical_audit.collection_recorded",
        "clinical_audit.stage_changed", "clinical_audit.change_recorded", "clinical_audit.reaudit_planned",
        "clinical_audit.reaudit_planned", "clinical_audit.stage_changed", "clinical_audit.collection_recorded",
        "clinical_audit.conclusion_written", "clinical_audit.stage_changed",
    ]  # fmt: skip
    every_detail = json.dumps([e.detail for e in AuditEvent.objects.all()])
    assert "Dr Example" not in every_detail and "protected" not in every_detail
    assert events(audit)[-2].detail["fields"] == ["conclusion"]
    # another cycle: back to change, which needs a new change after round 2
    actions.move_to(audit=audit, stage="change", by=gp)
    with pytest.raises(AuditError, match="record the change you made after collection 2"):
        actions.move_to(audit=audit, stage="re_audit", by=gp)


def test_a_collection_never_changes_after_a_reimport(universe, measured, tmp_path):
    store = tmp_path / "store.duckdb"
    shutil.copy(measured[0], store)
    gp = universe.people["gp"]
    audit = actions.create_audit(practice=universe.practice, template_key="pincer_nsaid", by=gp)
    actions.move_to(audit=audit, stage="first_collection", by=gp)
    collection, _ = actions.record_collection(audit=audit, reference_date=ROUND1, by=gp, store=store)
    before = list(CollectionCount.objects.values_list("met", "eligible", "excluded", "measure_version"))
    fingerprint = collection.store_fingerprint
    con = duckdb.connect(str(store))  # a "re-import": the practice's prescriptions are gone, the metadata changes
    try:
        con.execute("DELETE FROM medications")
        con.execute("UPDATE _qiloop_import SET source_sha256 = 'changed'")
    finally:
        con.close()
    with pytest.raises(Exception, match="no patients met the criterion's population"):
        collect(store, "pincer_a_audit", "A00001", ROUND1)
    assert list(CollectionCount.objects.values_list("met", "eligible", "excluded", "measure_version")) == before
    collection.refresh_from_db()
    assert collection.store_fingerprint == fingerprint
    with pytest.raises(Frozen):
        collection.save()
    with pytest.raises(Frozen):
        collection.counts.first().save()


def test_refusals_change_nothing(universe):
    made = build_audit(universe)
    audit, gp = made.audit, universe.people["gp"]
    count = AuditEvent.objects.count()
    refusals = [
        (lambda: actions.add_criterion(audit=audit, statement="x", reference="y", standard_percent=120, by=gp),
         "The standard must be a percentage from 0 to 100, not 120. Enter the share of patients who should meet the "
         "criterion, e.g. 90."),
        (lambda: actions.add_criterion(audit=audit, statement="x", reference="", standard_percent=90, by=gp),
         "Enter the evidence reference (guideline and section)."),
        (lambda: actions.add_criterion(audit=audit, statement="x", reference="y", standard_percent=90,
                                       measure_id="pincer_a", by=gp),
         "Measure 'pincer_a' counts a hazard (low is good), so it cannot say who met a criterion. Use its audit "
         "variant pincer_a_audit, which counts the patients who received the care."),
        (lambda: actions.move_to(audit=audit, stage="change", by=gp),
         "An audit at planning can move only to first collection, not to change."),
        (lambda: actions.record_collection(audit=audit, reference_date=ROUND1, by=gp),
         "You can record a collection only at first collection or re-audit; this audit is at planning."),
        (lambda: actions.create_audit(practice=universe.practice, template_key="nope", by=gp),
         "There is no audit template called 'nope'; choose one from the list."),
        (lambda: actions.create_audit(practice=universe.pcn, title="x", reason="other", by=gp),
         "Clinical audits belong to a GP practice; choose a practice."),
    ]  # fmt: skip
    for write, message in refusals:
        with pytest.raises(AuditError) as caught:
            write()
        assert str(caught.value) == message
    actions.move_to(audit=audit, stage="first_collection", by=gp)
    count = AuditEvent.objects.count()
    c = made.criterion.pk
    for counts, message in [
        ({c: (11, 10, 0)}, "Criterion 1: 11 patients met the criterion but only 10 were eligible. Met counts "
                           "patients among the eligible: it cannot be more than eligible."),
        ({c: (0, 0, 0)}, "Criterion 1: no patients met the criterion's population on that date — choose another "
                         "date or criterion."),
        ({}, "Criterion 1: enter how many patients met it and how many were eligible."),
    ]:  # fmt: skip
        with pytest.raises(AuditError) as caught:
            actions.record_collection(audit=audit, reference_date=ROUND1, manual_counts=counts, by=gp)
        assert str(caught.value) == message
    with pytest.raises(AuditError, match="in the future"):
        actions.record_collection(audit=audit, reference_date=date(2999, 1, 1), manual_counts={c: (1, 2, 0)}, by=gp)
    assert AuditEvent.objects.count() == count
    assert not Collection.objects.exists() and not AuditChange.objects.exists() and not Task.objects.exists()
    assert ClinicalAudit.objects.count() == 1


def test_a_manual_cycle_and_the_change_date_rules(universe):
    made = build_audit(universe)
    audit, gp, c = made.audit, universe.people["gp"], made.criterion.pk
    actions.move_to(audit=audit, stage="first_collection", by=gp)
    actions.record_collection(audit=audit, reference_date=ROUND1, manual_counts={c: (30, 60, 2)}, by=gp)
    actions.move_to(audit=audit, stage="change", by=gp)
    with pytest.raises(AuditError, match="must start on or after collection 1"):
        actions.record_change(audit=audit, description="x", implemented_on=date(2025, 3, 1), by=gp)
    with pytest.raises(AuditError, match="Record the change first"):
        actions.plan_reaudit(audit=audit, on=ROUND2, by=gp)
    actions.record_change(audit=audit, description="Calls", implemented_on=CHANGE_ON, by=gp)
    with pytest.raises(AuditError, match="less than a month after the change"):
        actions.plan_reaudit(audit=audit, on=date(2025, 4, 20), by=gp)
    actions.plan_reaudit(audit=audit, on=ROUND2, by=gp)
    actions.move_to(audit=audit, stage="re_audit", by=gp)
    second, warnings = actions.record_collection(audit=audit, reference_date=date(2025, 6, 1),
                                                 manual_counts={c: (50, 60, 0)}, by=gp)  # fmt: skip
    assert warnings and "too soon for the change to show" in warnings[0]
    assert [(n.met, n.eligible, n.kind) for n in second.counts.all()] == [(50, 60, "manual")]


def test_a_task_for_someone_outside_the_practice_is_refused_and_nothing_is_saved(universe):
    made = build_audit(universe)
    audit, gp, c = made.audit, universe.people["gp"], made.criterion.pk
    actions.move_to(audit=audit, stage="first_collection", by=gp)
    actions.record_collection(audit=audit, reference_date=ROUND1, manual_counts={c: (30, 60, 2)}, by=gp)
    actions.move_to(audit=audit, stage="change", by=gp)
    before = AuditEvent.objects.count()
    with pytest.raises(AuditError, match="is not a member of Riverside Surgery"):
        actions.record_change(audit=audit, description="x", implemented_on=CHANGE_ON, by=gp,
                              task_owner=universe.people["other_gp"])  # fmt: skip
    assert not AuditChange.objects.exists() and not Task.objects.exists() and AuditEvent.objects.count() == before


def test_another_cycle_adds_round_three(universe):
    made = build_audit(universe)
    audit, gp, c = made.audit, universe.people["gp"], made.criterion.pk
    actions.move_to(audit=audit, stage="first_collection", by=gp)
    actions.record_collection(audit=audit, reference_date=ROUND1, manual_counts={c: (30, 60, 0)}, by=gp)
    actions.move_to(audit=audit, stage="change", by=gp)
    actions.record_change(audit=audit, description="Calls", implemented_on=CHANGE_ON, by=gp)
    actions.plan_reaudit(audit=audit, on=ROUND2, by=gp)
    actions.move_to(audit=audit, stage="re_audit", by=gp)
    actions.record_collection(audit=audit, reference_date=ROUND2, manual_counts={c: (40, 60, 0)}, by=gp)
    actions.write_conclusion(audit=audit, conclusion="Better, not there yet.", next_steps="Texts too.", by=gp)
    actions.move_to(audit=audit, stage="complete", by=gp)
    actions.move_to(audit=audit, stage="change", by=gp)
    audit.refresh_from_db()
    assert audit.reaudit_planned_on is None  # another cycle plans its own re-audit
    with pytest.raises(AuditError, match="must start on or after collection 2"):
        actions.record_change(audit=audit, description="Texts", implemented_on=date(2025, 9, 1), by=gp)
    actions.record_change(audit=audit, description="Texts", implemented_on=date(2025, 10, 1), by=gp)
    actions.plan_reaudit(audit=audit, on=date(2026, 1, 31), by=gp)
    actions.move_to(audit=audit, stage="re_audit", by=gp)
    third, _ = actions.record_collection(audit=audit, reference_date=date(2026, 1, 31),
                                         manual_counts={c: (54, 60, 0)}, by=gp)  # fmt: skip
    with pytest.raises(AuditError, match="The re-audit is recorded"):
        actions.record_collection(audit=audit, reference_date=date(2026, 2, 28), manual_counts={c: (1, 2, 0)}, by=gp)
    actions.move_to(audit=audit, stage="complete", by=gp)
    assert third.round == 3 and list(audit.collections.values_list("round", flat=True)) == [1, 2, 3]
    assert list(audit.changes.values_list("after_round", flat=True)) == [1, 2]
