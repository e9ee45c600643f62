"""Statistical process control: run charts, XmR, P/P′, U/U′, C, G, T, Xbar/S and MR charts.

Call :func:`qiloop.spc.spc` (signature: ``spc(y, *, x=None, n=None, chart='xmr',
profile='mdc', improvement='neither', target=None, splits=None, freeze=None,
exclude=None, measure_name=None, **profile_overrides) -> SpcResult``); the result
type is in :mod:`qiloop.spc.result`. See docs/spc.md.
"""

from qiloop.spc.batch import XmrBatch, xmr_batch
from qiloop.spc.engine import spc
from qiloop.spc.profiles import PROFILES, RuleProfile, get_profile
from qiloop.spc.result import PhaseSummary, SpcResult, SpcSummary

__all__ = [
    "PROFILES",
    "PhaseSummary",
    "RuleProfile",
    "SpcResult",
    "SpcSummary",
    "XmrBatch",
    "get_profile",
    "spc",
    "xmr_batch",
]
