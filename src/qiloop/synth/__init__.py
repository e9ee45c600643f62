"""Synthetic GP practice networks for demos, tests and benchmarks.

:func:`generate_network` writes one file per canonical table plus
``truth.json``; see ``docs/synth.md``.
"""

from qiloop.synth.network import DEFAULT_END, DEFAULT_START, NetworkSummary, generate_network

__all__ = ["DEFAULT_END", "DEFAULT_START", "NetworkSummary", "generate_network"]
