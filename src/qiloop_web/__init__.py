"""The qiloop workbench: a Django project on the NHS design system.

The workbench calls the ``qiloop`` library; the library never imports it.
Start it with ``python -m qiloop_web serve`` (see docs/workbench.md).
"""
