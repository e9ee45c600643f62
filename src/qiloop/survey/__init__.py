"""The staff QI survey without the web: the instrument, the national figures, and scoring.

Modules:

* :mod:`qiloop.survey.instrument` – the questions (version ``igps2017-derived-v1``), reconstructed from the
  published tables of the 2017 national survey of GPs and practice managers (its questionnaire is available
  only on request from its authors), and the scored indicators;
* :mod:`qiloop.survey.national` – the published national GP and practice-manager figures, as data;
* :mod:`qiloop.survey.scoring` – % with Wilson 95% intervals, "differs from the national figure", and the
  small-number rules.

Pure Python over plain dicts; the workbench (``qiloop_web.survey``) stores rounds and responses and calls
these functions. See docs/survey.md.
"""

from qiloop.survey.instrument import INDICATORS, QUESTIONS, VERSION
from qiloop.survey.scoring import MIN_RESPONSES, score, wilson

__all__ = ["INDICATORS", "MIN_RESPONSES", "QUESTIONS", "VERSION", "score", "wilson"]
