"""``qiloop bench spc``: XmR charts with Making Data Count rules over many series.

Default: 180,000 series of 60 monthly points (30 measures × 6,000 practices),
synthetic values with a shift in a tenth of the series, computed in chunks by
:func:`qiloop.spc.batch.xmr_batch` on one core. Prints series/s and wall time.
Target: ≤ 30 s for the default size (docs/spc.md).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from qiloop.progress import bar
from qiloop.spc.batch import xmr_batch

CHUNK = 20_000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--series", type=int, default=180_000, help="number of series (default 180000)")
    parser.add_argument("--points", type=int, default=60, help="points per series (default 60)")
    parser.add_argument("--profile", default="mdc", help="rule profile (default mdc)")
    parser.add_argument("--seed", type=int, default=20251126, help="random seed of the synthetic data")


def synthetic_series(n_series: int, n_points: int, rng: np.random.Generator) -> np.ndarray:
    """Rates around a per-series level, a tenth of them shifting up for the last third."""
    level = rng.uniform(5, 60, size=(n_series, 1))
    values = level + rng.normal(0, 1, size=(n_series, n_points)) * np.sqrt(level)
    shifted = rng.random(n_series) < 0.1
    values[shifted, (2 * n_points) // 3 :] += 2 * np.sqrt(level[shifted])
    return np.round(values, 1)


def run(args: argparse.Namespace) -> int:
    if args.series < 1 or args.points < 2:
        print("qiloop bench spc: --series must be at least 1 and --points at least 2")
        return 2
    rng = np.random.default_rng(args.seed)
    compute = 0.0
    special = 0
    improving_last = 0
    start = time.perf_counter()
    with bar(args.series, "XmR series", "series") as progress:
        for first in range(0, args.series, CHUNK):
            size = min(CHUNK, args.series - first)
            values = synthetic_series(size, args.points, rng)
            t0 = time.perf_counter()
            out = xmr_batch(values, profile=args.profile, improvement="up")
            compute += time.perf_counter() - t0
            special += int(np.count_nonzero(out.variation))
            improving_last += int(np.count_nonzero(out.variation[:, -1] == 1))
            progress.update(size)
    wall = time.perf_counter() - start
    points = args.series * args.points
    print(f"series:           {args.series:,} x {args.points} points ({points:,} points), profile {args.profile}")
    print(f"SPC compute time: {compute:.2f} s  ({args.series / compute:,.0f} series/s)")
    print(f"wall time:        {wall:.2f} s including synthetic data ({args.series / wall:,.0f} series/s)")
    print(f"special-cause points: {special:,}; series improving at the last point: {improving_last:,}")
    return 0
