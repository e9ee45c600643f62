"""Statistical process control: run charts, XmR, P/P′, U/U′, C, G, T, Xbar/S and MR charts.

Call :func:`qiloop.spc.spc` (signature: ``spc(y, *, x=None, n=None, chart='xmr',
profile='mdc', improvement='neither', target=None, splits=None, freeze=None,
exclude=None, measure_name=None, **profile_overrides) -> SpcResult``); the result
type is in :mod:`qiloop.spc.result`. See docs/spc.md.
"""

from qiloop.spc.result import PhaseSummary, SpcResult, SpcSummary

__all__ = ["PhaseSummary", "SpcResult", "SpcSummary"]
