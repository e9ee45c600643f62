"""One clinical audit for the page and permission tests: made in Riverside Surgery (A00001) by the GP, in planning,
with one criterion counted by hand (no store needed)."""

from __future__ import annotations

from dataclasses import dataclass

from qiloop_web.audits import actions
from qiloop_web.audits.models import AuditCriterion, ClinicalAudit


@dataclass
class MatrixAudit:
    audit: ClinicalAudit
    criterion: AuditCriterion


def build_audit(universe) -> MatrixAudit:
    gp = universe.people["gp"]
    audit = actions.create_audit(practice=universe.practice, title="Missed appointments", reason="other", by=gp)
    criterion = actions.add_criterion(
        audit=audit, statement="Contacted within two weeks after two missed appointments",
        reference="Practice missed-appointments policy, section 2", standard_percent=80, by=gp,
    )  # fmt: skip
    return MatrixAudit(audit, criterion)


AUDIT_URL_ARGS = {
    "audits:detail": lambda m: [m.audit.pk],
    "audits:plan": lambda m: [m.audit.pk],
    "audits:stage": lambda m: [m.audit.pk],
    "audits:criterion-new": lambda m: [m.audit.pk],
    "audits:criterion-remove": lambda m: [m.audit.pk, m.criterion.pk],
    "audits:collection-new": lambda m: [m.audit.pk],
    "audits:change-new": lambda m: [m.audit.pk],
    "audits:reaudit": lambda m: [m.audit.pk],
    "audits:conclusion": lambda m: [m.audit.pk],
    "audits:results": lambda m: [m.audit.pk],
    "audits:report": lambda m: [m.audit.pk],
}


def audit_url(name: str, code: str, universe) -> str:
    """The URL of audit page ``name`` for the universe's audit (built on first use and kept on the universe), under
    practice ``code``: asked for under another practice's code it must answer 404 (audits are found within the
    practice)."""
    from django.urls import reverse

    if not hasattr(universe, "clinical_audit"):
        universe.clinical_audit = build_audit(universe)
    if name in ("audits:list", "audits:new"):
        return reverse(name, args=[code])
    return reverse(name, args=[code, *AUDIT_URL_ARGS[name](universe.clinical_audit)])
