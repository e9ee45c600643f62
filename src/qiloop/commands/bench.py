"""``qiloop bench NAME``: benchmarks that print their figures.

Each benchmark is a module ``qiloop.bench.NAME`` (``import_`` for ``import``) exposing
``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib

BENCHMARKS: dict[str, str] = {
    "synth": "generate a synthetic network (and import it); prints patients/s, rows, wall time, peak memory",
    "spc": "XmR charts with Making Data Count rules over many series; prints series/s",
    "measures": "the whole measure library over 60 monthly intervals; prints wall time, memory and ratios",
    "import": "a synthetic network imported from a source system's layout (--from fhir) and from qiloop's own;"
    " prints wall time, CPU time and peak memory of each and the ratio",
    "web": "the workbench on loopback with 20, then 50 signed-in users for 60 s each; prints requests/s, p50/p95/p99,"
    " the dashboard's size and time to first byte, action lists, errors, against the budgets",
}

MODULES = {"import": "import_"}  # a module cannot be named after a keyword


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="run a benchmark and print its figures",
        description="Run a benchmark and print its figures. Targets are stated in docs/benchmarks.md.",
    )
    inner = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    for name, help_text in BENCHMARKS.items():
        try:
            module = importlib.import_module(f"qiloop.bench.{MODULES.get(name, name)}")
        except ModuleNotFoundError as exc:
            if exc.name == f"qiloop.bench.{MODULES.get(name, name)}":
                continue
            raise
        sub = inner.add_parser(name, help=help_text, description=help_text)
        module.add_arguments(sub)
        sub.set_defaults(func=module.run)
