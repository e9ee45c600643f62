"""Quality-improvement projects without the web: aims, PDSA cycles, "did the change work?", progress, templates.

Modules:

* :mod:`qiloop.improvement.aims` – is an aim specific (what, how much, by when)?
* :mod:`qiloop.improvement.pdsa` – the Plan-Do-Study-Act stage machine.
* :mod:`qiloop.improvement.change` – did a change show special-cause improvement on the SPC chart?
* :mod:`qiloop.improvement.progress` – a project's progress read from its evidence.
* :mod:`qiloop.improvement.templates` – small, practice-sized project templates.

Everything here is pure Python over plain values; the workbench (``qiloop_web.projects``) stores
the records and calls these functions. See docs/improvement.md.
"""
