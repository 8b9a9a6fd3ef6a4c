"""Optimizer steps per second for every model on the annuli task (batch 512), dopri5 (tol 1e-3)
and rk4 (10 steps over [0, 1]), direct backprop vs adjoint, with forward/backward NFE.

Each row trains a fresh seeded model for ``--warmup`` steps, then times ``--steps`` more.
Target: >= 40 steps/s for open-loop N-CODE, dopri5 tol 1e-3, direct, on a 2-core CPU.
Run: .venv/bin/python benchmarks/toy_speed.py [--models ncode_open] [--threads 1] [--clock cpu]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._timing import print_table  # noqa: E402
from ncode_core import TASKS, Trainer, apply_overrides  # noqa: E402

SOLVERS = {
    "dopri5 1e-3": {"method": "dopri5", "rtol": 1e-3, "atol": 1e-3},
    "rk4 h=0.1": {"method": "rk4", "step_size": 0.1},
}


def measure(model: str, solver: dict, adjoint: bool, steps: int, warmup: int,
            overrides: list[str], clock=time.perf_counter) -> list[object]:
    """One table row: steps/s, mean NFE forward/backward and the final test accuracy; time
    read from ``clock`` (wall, or this process's CPU time on a shared machine)."""
    raw = apply_overrides({"task": "annuli", "model": model, "device": "cpu", "seed": 0,
                           "training": {"batch_size": 512}}, overrides)
    raw["solver"] = {**raw.get("solver", {}), **solver, "adjoint": adjoint}
    trainer = Trainer(raw)
    for _ in range(warmup):
        trainer.step()
    nfe_forward, nfe_backward = [], []
    started = clock()
    for _ in range(steps):
        metrics = trainer.step()
        nfe_forward.append(metrics["nfe_forward"])
        nfe_backward.append(metrics["nfe_backward"])
    elapsed = clock() - started
    accuracy = trainer.evaluate()["test_accuracy"]
    return [f"{steps / elapsed:.1f}", f"{1e3 * elapsed / steps:.1f}",
            f"{statistics.mean(nfe_forward):.1f}", f"{statistics.mean(nfe_backward):.1f}",
            f"{accuracy:.3f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(TASKS["annuli"].families))
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="cpu: this process's CPU time (with one thread, the wall time of "
                             "a quiet machine; far less moved by other load)")
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override as in the CLI, e.g. "
                        "model.gamma_hidden=16")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for model in args.models:
        for solver_name, solver in SOLVERS.items():
            for adjoint in (False, True):
                row = measure(model, solver, adjoint, args.steps, args.warmup, args.overrides,
                              time.process_time if args.clock == "cpu" else time.perf_counter)
                rows.append([model, solver_name, "adjoint" if adjoint else "direct", *row])
    print(f"annuli, batch 512, {args.threads} thread(s); timed steps {args.warmup + 1}-"
          f"{args.warmup + args.steps} of a fresh seeded run; overrides: {args.overrides or 'none'}"
          f"; {args.clock} clock")
    print_table(["model", "solver", "gradient", "steps/s", "ms/step", "NFE fwd", "NFE bwd",
                 f"test acc @{args.warmup + args.steps}"], rows)


if __name__ == "__main__":
    main()
