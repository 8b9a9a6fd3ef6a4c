"""Fig. 6 on a CPU: episodes and wall time until closed-loop N-CODE's held-out bit error is below
a threshold (1 %), and each baseline's error at that budget and at a longer one.

Task: n = 100 bits, m = 5 patterns, degradation 0.5, 2 shuffled cycles (the CLI defaults).
Every model uses the task's default training settings (Adam, lr 3e-3, 16 episodes per step).
N-CODE is evaluated on the fixed held-out episodes every ``--eval-every`` steps; the budget is
the first evaluated step below the threshold. Baselines then train for that many steps and
for ``--long-steps`` steps. Wall times cover training steps only, not evaluations.
Run: nice -n 10 .venv/bin/python benchmarks/memorization.py [--seeds 0 1 2] [--long-steps 300]
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
from ncode_core import Trainer  # noqa: E402

BASELINES = ("node_dc", "ode_rnn", "lstm")
PAPER = {  # section 4.3 and Fig. 6, n = 100 and 1000
    "ncode_closed": "< 1 % within a few hundred episodes",
    "node_dc": "plateau ~17.5 %",
    "ode_rnn": "plateau ~17.5 %",
    "lstm": "marginally below chance (.25), 5000 units",
}


def make_trainer(model: str, seed: int, overrides: dict) -> Trainer:
    """A fresh seeded trainer on the default memorization task (``overrides``: task_cfg keys)."""
    return Trainer({"task": "memorization", "model": model, "seed": seed, "device": "cpu",
                    "task_cfg": overrides})


def steps_to_threshold(seed: int, threshold: float, eval_every: int, max_steps: int,
                       overrides: dict) -> tuple[int, float, dict]:
    """Train N-CODE until the held-out bit error is below ``threshold``.

    Returns (steps, training wall seconds, evaluation at that step); steps is ``max_steps``
    when the threshold was not reached.
    """
    trainer = make_trainer("ncode_closed", seed, overrides)
    wall = 0.0
    evaluation = trainer.evaluate()
    while trainer.step_count < max_steps:
        started = time.perf_counter()
        for _ in range(eval_every):
            trainer.step()
        wall += time.perf_counter() - started
        evaluation = trainer.evaluate()
        progress(f"ncode_closed seed {seed} step {trainer.step_count}: bit error "
                 f"{evaluation['bit_error']:.4f}, degraded {evaluation['degraded_bit_error']:.4f}, "
                 f"train wall {wall:.0f} s")
        if evaluation["bit_error"] < threshold:
            break
    return trainer.step_count, wall, evaluation


def train_for(model: str, seed: int, checkpoints: list[int], overrides: dict) -> list[dict]:
    """Held-out evaluation (plus ``wall_s`` of training so far) at each step count, ascending."""
    trainer = make_trainer(model, seed, overrides)
    results, wall = [], 0.0
    for target in checkpoints:
        started = time.perf_counter()
        while trainer.step_count < target:
            trainer.step()
        wall += time.perf_counter() - started
        results.append({**trainer.evaluate(), "wall_s": wall, "params": trainer.parameter_count})
        progress(f"{model} seed {seed} step {target}: bit error {results[-1]['bit_error']:.4f}, "
                 f"degraded {results[-1]['degraded_bit_error']:.4f}, train wall {wall:.0f} s")
    return results


def progress(line: str) -> None:
    """One progress line on stderr (the table goes to stdout at the end)."""
    print(line, file=sys.stderr, flush=True)


def percent(values: list[float]) -> str:
    """Mean (and range over seeds when there are several) in percent."""
    mean = 100 * statistics.mean(values)
    if len(values) == 1:
        return f"{mean:.2f}"
    return f"{mean:.2f} [{100 * min(values):.2f}-{100 * max(values):.2f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0])
    parser.add_argument("--threshold", type=float, default=0.01, help="held-out bit error")
    parser.add_argument("--eval-every", type=int, default=5)
    parser.add_argument("--max-steps", type=int, default=400)
    parser.add_argument("--long-steps", type=int, default=300,
                        help="a longer baseline budget, to see where they plateau")
    parser.add_argument("--lstm-hidden", type=int, default=512,
                        help="LSTM hidden units (the paper: 5000)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    overrides = {"lstm_hidden": args.lstm_hidden}
    reference = make_trainer("ncode_closed", 0, overrides)
    batch = reference.config.training.batch_size

    reached = [steps_to_threshold(seed, args.threshold, args.eval_every, args.max_steps,
                                  overrides) for seed in args.seeds]
    budget = max(steps for steps, _, _ in reached)
    rows = [["ncode_closed", reference.parameter_count,
             " / ".join(f"{steps * batch}" + ("" if e["bit_error"] < args.threshold else
                                              " (not reached)") for steps, _, e in reached),
             " / ".join(f"{wall:.0f}" for _, wall, _ in reached),
             percent([e["bit_error"] for _, _, e in reached]),
             percent([e["degraded_bit_error"] for _, _, e in reached]), "", "",
             PAPER["ncode_closed"]]]
    for model in BASELINES:
        runs = [train_for(model, seed, [budget, max(budget, args.long_steps)], overrides)
                for seed in args.seeds]
        at_budget = [run[0] for run in runs]
        at_long = [run[1] for run in runs]
        rows.append([model, at_budget[0]["params"], budget * batch,
                     " / ".join(f"{r['wall_s']:.0f}" for r in at_budget),
                     percent([r["bit_error"] for r in at_budget]),
                     percent([r["degraded_bit_error"] for r in at_budget]),
                     percent([r["bit_error"] for r in at_long]),
                     percent([r["degraded_bit_error"] for r in at_long]), PAPER[model]])
    print(f"memorization n=100 m=5 degradation 0.5, {batch} episodes/step, seeds {args.seeds}, "
          f"{args.threads} thread(s), held-out episodes: {reference.task.config.n_test_episodes}; "
          f"threshold bit error "
          f"{100 * args.threshold:g} %; long budget {max(budget, args.long_steps) * batch} "
          "episodes; errors in % (mean [min-max] over seeds), wall s = training only")
    print_table(["model", "params", "episodes", "wall s", "bit err", "degraded err",
                 "bit err long", "degraded long", "paper"], rows)


if __name__ == "__main__":
    main()
