"""Accepted phases: where a practice recalculated a measure chart's average and limits.

When a shift has lasted, the chart proposes a recalculation from its first month
(``qiloop.spc.read_counts``); a practice member who may (``RECALCULATE_CHARTS``)
accepts it, and that practice's charts of the measure start a new phase there from
then on. Rows are written and removed only through ``dashboard.actions``
(``accept_phase``, ``undo_phase``), each with an audit event; the audit log keeps
the history after a phase is undone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from qiloop_web.organisations.models import Organisation


class ChartPhase(models.Model):
    practice = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="chart_phases")
    measure_id = models.CharField(max_length=64)
    starts = models.DateField()  # the first day of the month the new phase starts
    reason = models.CharField(max_length=500, blank=True)  # the proposal as the person who accepted it read it
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["practice", "measure_id", "starts"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "measure_id", "starts"], name="chart_phase_once_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.measure_id} from {self.starts:%B %Y}"
