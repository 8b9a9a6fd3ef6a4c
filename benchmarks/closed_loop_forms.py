"""Closed-loop N-CODE, law over all of theta (``model.control=full``) vs a control code
(``code``), each from a learned theta(0) or gamma(x(0)): annuli accuracy and reflection MSE,
forward/backward NFE and optimizer steps/s, over seeds, at default settings otherwise.

Run: .venv/bin/python benchmarks/closed_loop_forms.py [--steps 100] [--seeds 3]
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks._timing import parse_training_budget, print_table  # noqa: E402
from ncode_core import Trainer, fit  # noqa: E402

METRIC = {"annuli": "test_accuracy", "reflection": "test_mse"}


def measure(task: str, control: str, theta0: str, steps: int, seed: int) -> dict[str, float]:
    """Final metric, mean NFEs and steps/s of one seeded run."""
    trainer = Trainer({"task": task, "model": "ncode_closed", "device": "cpu", "seed": seed,
                       "training": {"steps": steps, "eval_every": steps},
                       "model_cfg": {"control": control, "theta0": theta0}})
    result = fit(trainer)
    return {"metric": result.evaluation[METRIC[task]], "params": trainer.parameter_count,
            "nfe_forward": statistics.mean(h["nfe_forward"] for h in result.history),
            "nfe_backward": statistics.mean(h["nfe_backward"] for h in result.history),
            "steps_per_s": result.steps_per_s}


def main() -> None:
    args = parse_training_budget(__doc__.splitlines()[0])
    rows = []
    for task in METRIC:
        for control in ("full", "code"):
            for theta0 in ("learned", "gamma"):
                runs = [measure(task, control, theta0, args.steps, seed)
                        for seed in range(args.seeds)]
                rows.append([task, control, theta0, runs[0]["params"],
                             " ".join(f"{run['metric']:.3g}" for run in runs),
                             *(f"{statistics.median(run[key] for run in runs):.1f}"
                               for key in ("nfe_forward", "nfe_backward", "steps_per_s"))])
    print(f"ncode_closed, {args.steps} steps, seeds 0-{args.seeds - 1}, {args.threads} thread(s)"
          f"; metric: annuli test accuracy, reflection test MSE; medians over seeds")
    print_table(["task", "control", "theta0", "params", "metric per seed", "NFE fwd",
                 "NFE bwd", "steps/s"], rows)


if __name__ == "__main__":
    main()
