"""A worked example clinical audit for the demo practice: one completed cycle with two rounds and a change between.

Made through the same actions a person's clicks go through (so it is in the audit log), from the PINCER NSAID
template, with both collections computed from the demo store: round 1 six months before the data's latest month
end, the change the day after, the re-audit at the latest month end. When the demo practice has no patients in the
criterion's population on those dates (a tiny store), the example uses the missed-appointments template with
counts entered by hand instead. Everything is synthetic. Development only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from qiloop.audit.stages import add_months
from qiloop_web.audits import actions
from qiloop_web.audits.actions import AuditError
from qiloop_web.audits.models import ClinicalAudit
from qiloop_web.organisations.models import Organisation
from qiloop_web.organisations.roles import Role

TEMPLATE, FALLBACK = "pincer_nsaid", "dna_follow_up"
CHANGE = "A monthly search for over-65s on an oral NSAID, reviewed by the pharmacist; a prompt to add a PPI."
CONCLUSION = (
    "The monthly search and the pharmacist's review raised gastro-protection; the prompt is now part of the "
    "repeat-prescribing routine."
)


def latest_month_end(store: Path) -> dt.date:
    from qiloop.measures.results_store import data_months

    _first, latest = data_months(store)
    return add_months(latest, 1) - dt.timedelta(days=1)


def create_demo_audit(
    practice: Organisation, people: Mapping[str, Any], *, store: Path | None = None
) -> ClinicalAudit | None:
    """Create the example audit in ``practice`` (once); ``people`` maps role values to demo users."""
    existing = ClinicalAudit.objects.filter(practice=practice, template_key__in=(TEMPLATE, FALLBACK)).first()
    if existing is not None:
        return existing
    gp = people.get(Role.GP.value)
    if gp is None:
        return None
    store = Path(store or settings.QILOOP_STORE)
    round2 = latest_month_end(store)
    round1 = add_months(round2, -6)
    try:
        with transaction.atomic():
            return _cycle(practice, gp, people, store, TEMPLATE, round1, round2, manual=None)
    except AuditError:
        with transaction.atomic():
            return _cycle(practice, gp, people, store, FALLBACK, round1, round2, manual=((31, 52), (46, 55)))


def _cycle(practice: Organisation, gp: Any, people: Mapping[str, Any], store: Path, template: str,
           round1: dt.date, round2: dt.date, manual: tuple[tuple[int, int], tuple[int, int]] | None) -> ClinicalAudit:  # fmt: skip
    manager = people.get(Role.PRACTICE_MANAGER.value, gp)
    audit = actions.create_audit(practice=practice, template_key=template, by=gp)
    actions.update_plan(audit=audit, title=audit.title, reason=audit.reason, reason_detail=audit.reason_detail,
                        preparation="The GP lead and the practice pharmacist; every patient in the population on "
                        "each collection date, from the practice's records.", by=gp)  # fmt: skip
    criteria = list(audit.criteria.all())

    def counts(which: int) -> dict[int, tuple[int, int, int]] | None:
        if manual is None:
            return None
        return {c.pk: (*manual[which], 0) for c in criteria}

    actions.move_to(audit=audit, stage="first_collection", by=gp)
    actions.record_collection(audit=audit, reference_date=round1, manual_counts=counts(0), store=store, by=gp)
    actions.move_to(audit=audit, stage="change", by=gp)
    actions.record_change(audit=audit, description=CHANGE, implemented_on=round1 + dt.timedelta(days=1), by=gp,
                          task_owner=people.get(Role.PHARMACIST.value))  # fmt: skip
    actions.plan_reaudit(audit=audit, on=round2, by=gp)
    actions.move_to(audit=audit, stage="re_audit", by=gp)
    actions.record_collection(audit=audit, reference_date=round2, manual_counts=counts(1), store=store, by=manager)
    actions.write_conclusion(audit=audit, conclusion=CONCLUSION, next_steps="Audit again in twelve months.", by=gp)
    actions.move_to(audit=audit, stage="complete", by=gp)
    return audit
