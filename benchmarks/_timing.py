"""Helpers shared by the benchmark scripts: median wall time of repeated calls, a table printer
and the command line of the seeded training benchmarks."""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Callable


def median_seconds(call: Callable[[], object], repeats: int, warmup: int = 3) -> float:
    """Median wall-clock seconds of ``call()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def print_table(headers: list[str], rows: list[list[object]]) -> None:
    """Fixed-width text table on stdout."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for index, row in enumerate(cells):
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths)))
        if index == 0:
            print("  ".join("-" * width for width in widths))


def parse_training_budget(description: str, steps: int = 100,
                          seeds: int = 3) -> argparse.Namespace:
    """``--steps``, ``--seeds`` and ``--threads`` of a benchmark that trains seeded runs; sets
    torch's thread count."""
    import torch

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--seeds", type=int, default=seeds)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    return args
