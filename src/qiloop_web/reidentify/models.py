"""A practice's pseudonymisation key, held in the workbench only when the practice chooses.

One row per practice that holds its key here. The key itself is never stored
as entered: ``sealed`` is its encryption (``sealing.py``); it is never shown
again once entered. Who entered it and when is kept here and in the audit log.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from qiloop_web.organisations.models import Organisation


class PracticeKey(models.Model):
    practice = models.OneToOneField(Organisation, on_delete=models.CASCADE, related_name="held_key")
    sealed = models.TextField()
    entered_by = models.CharField(max_length=254, blank=True)  # the e-mail address, as it was at the time
    entered_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"key held for {self.practice.code}"
