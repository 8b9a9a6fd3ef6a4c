"""Optimizer steps and seconds until >= 99 % annuli test accuracy, evaluated every 5 steps,
median over seeds, for every model at default settings.

A run that has not reached the target after ``--max-steps`` counts as ``> max-steps`` (the
median is then reported as such). Steps do not depend on the machine's load; seconds do.
Run: .venv/bin/python benchmarks/time_to_accuracy.py [--models ncode_open] [--seeds 5]
     [--set training.batch_size=1024 ...]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._timing import print_table  # noqa: E402
from ncode_core import MODELS, Trainer, apply_overrides  # noqa: E402

TARGET = 0.99
EVALUATE_EVERY = 5


def steps_to_target(model: str, seed: int, max_steps: int,
                    overrides: list[str]) -> tuple[float, float, float]:
    """(steps, training seconds, steps/s) until the test accuracy first reaches TARGET;
    steps and seconds are ``inf`` when it never does within ``max_steps``."""
    raw = apply_overrides({"task": "annuli", "model": model, "device": "cpu", "seed": seed},
                          overrides)
    trainer = Trainer(raw)
    training_s = 0.0
    while trainer.step_count < max_steps:
        training_s += trainer.step()["step_s"]
        if trainer.step_count % EVALUATE_EVERY == 0:
            if trainer.evaluate()["test_accuracy"] >= TARGET:
                return trainer.step_count, training_s, trainer.step_count / training_s
    return math.inf, math.inf, trainer.step_count / training_s


def describe(values: list[float], unreached: str, digits: int = 0, unit: str = "") -> str:
    """Median of ``values``, or ``unreached`` when the median run never reached the target."""
    median = statistics.median(values)
    return unreached if math.isinf(median) else f"{median:.{digits}f}{unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override as in the CLI")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for model in args.models:
        runs = [steps_to_target(model, seed, args.max_steps, args.overrides)
                for seed in range(args.seeds)]
        steps = [run[0] for run in runs]
        reached = sum(not math.isinf(s) for s in steps)
        rows.append([model, describe(steps, f"> {args.max_steps}"),
                     " ".join("-" if math.isinf(s) else str(int(s)) for s in steps),
                     f"{reached}/{args.seeds}",
                     describe([run[1] for run in runs], "-", digits=2, unit=" s"),
                     f"{statistics.median(run[2] for run in runs):.1f}"])
    print(f"annuli, steps until test accuracy >= {TARGET:.0%} (evaluated every {EVALUATE_EVERY}"
          f" steps), {args.seeds} seeds, {args.threads} thread(s); overrides: "
          f"{args.overrides or 'none (defaults)'}")
    print_table(["model", "median steps", "per seed", "reached", "median train s",
                 "steps/s"], rows)


if __name__ == "__main__":
    main()
