"""Clinical audit cycles without the web: criteria and standards, collections, the stage machine and the reading.

Modules:

* :mod:`qiloop.audit.model` – an audit's reason, criteria (statement, evidence reference, standard, source),
  collections (round 1, 2, …), changes and conclusion, with the checks on what a user enters.
* :mod:`qiloop.audit.stages` – ``planning → first_collection → change → re_audit → complete`` (and another
  cycle): what is missing before each step, in plain English.
* :mod:`qiloop.audit.reading` – each round's met share with its Wilson interval against the standard, the change
  between rounds with Newcombe's interval, and a sentence.
* :mod:`qiloop.audit.collect` – a criterion from a library measure, the right way round, and a collection
  computed from the records at one date (with the versions that make it reproducible).
* :mod:`qiloop.audit.templates` – ready-made audits (PINCER NSAID, methotrexate monitoring, COPD review, missed
  appointments).

Everything here is plain Python; the workbench (``qiloop_web.audits``) stores the records and calls these
functions. See docs/audit.md.
"""
