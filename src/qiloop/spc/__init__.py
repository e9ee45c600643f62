"""Statistical process control: run charts, XmR, P/P′, U/U′, C, G, T, Xbar/S and MR charts.

Call :func:`qiloop.spc.spc` (signature: ``spc(y, *, x=None, n=None, chart='xmr',
profile='mdc', improvement='neither', target=None, splits=None, freeze=None,
exclude=None, measure_name=None, **profile_overrides) -> SpcResult``); the result
type is in :mod:`qiloop.spc.result`. :func:`qiloop.spc.choose_chart` chooses the chart
from counts and :func:`qiloop.spc.read_counts` reads a measure's counts as news
(chosen chart, start-up months left out, latest signal, proposed recalculation).
See docs/spc.md.
"""

from qiloop.spc.batch import XmrBatch, xmr_batch
from qiloop.spc.choose import ChartChoice, choose_chart
from qiloop.spc.engine import spc
from qiloop.spc.news import Reading, Recalculation, SignalPeriod, read_counts
from qiloop.spc.profiles import PROFILES, RuleProfile, get_profile
from qiloop.spc.result import PhaseSummary, SpcResult, SpcSummary

__all__ = [
    "PROFILES",
    "ChartChoice",
    "Reading",
    "Recalculation",
    "SignalPeriod",
    "PhaseSummary",
    "RuleProfile",
    "SpcResult",
    "SpcSummary",
    "XmrBatch",
    "choose_chart",
    "get_profile",
    "read_counts",
    "spc",
    "xmr_batch",
]
