"""Learning from events without the web: LFPSE v5 value sets, learning responses, the stage machine, the LFPSE sheet.

Modules:

* :mod:`qiloop.learning.taxonomy` – the LFPSE v5 value sets with their national codes, and the SEIPS
  contributory-factor categories.
* :mod:`qiloop.learning.responses` – the PSIRF/SEA learning responses and the questions each asks.
* :mod:`qiloop.learning.workflow` – the stages ``reported → triaged → analysed → actions_agreed →
  monitoring → closed``, what each needs before it is left, and the rules on an event's answers.
* :mod:`qiloop.learning.sheet` – ``lfpse_sheet(event)``: every answer beside its LFPSE question id.
* :mod:`qiloop.learning.themes` – thematic review: counts over a period, days between events.

Pure Python over plain values; the workbench (``qiloop_web.learning``) stores events and calls these.
See docs/learning.md.
"""

from qiloop.learning.sheet import lfpse_sheet
from qiloop.learning.workflow import Stage, TransitionError, check_transition

__all__ = ["Stage", "TransitionError", "check_transition", "lfpse_sheet"]
