"""Fig. 6 on a CPU: episodes and wall time until closed-loop N-CODE's held-out bit error is below
a threshold (1 %), each baseline's error at that budget and at a longer one, and (with
``--curve-every``) each baseline's held-out curve up to the long budget, with where it plateaus.

Task: n = 100 bits, m = 5 patterns, degradation 0.5, 2 shuffled cycles (the CLI defaults).
Every model uses the task's default training settings (Adam, lr 3e-3, 16 episodes per step).
N-CODE is evaluated on the fixed held-out episodes every ``--eval-every`` steps; the budget is
the first evaluated step below the threshold (``--budget-steps`` gives it instead and skips
N-CODE). Baselines (``--models``) then train for that many steps and for ``--long-steps``.
Wall times cover training steps only, not evaluations. The paper's numbers come from the
``fig6`` preset.
Run: nice -n 10 .venv/bin/python benchmarks/memorization.py [--seeds 0 1 2] [--long-steps 300]
Long baselines: ... --models node_dc ode_rnn --budget-steps 20 --long-steps 3000 --curve-every 100
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
from ncode_core import PRESETS, Trainer  # noqa: E402

BASELINES = ("node_dc", "ode_rnn", "lstm")
PAPER = {entry.model: entry.paper.text for entry in PRESETS["fig6"].entries if entry.paper}


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


def train_for(model: str, seed: int, checkpoints: list[int], overrides: dict) -> dict[int, dict]:
    """Held-out evaluation (plus ``wall_s`` of training so far and ``params``) at each step
    count of ``checkpoints``, keyed by step."""
    trainer = make_trainer(model, seed, overrides)
    results, wall = {}, 0.0
    for target in sorted(set(checkpoints)):
        started = time.perf_counter()
        while trainer.step_count < target:
            trainer.step()
        wall += time.perf_counter() - started
        results[target] = {**trainer.evaluate(), "wall_s": wall,
                           "params": trainer.parameter_count}
        progress(f"{model} seed {seed} step {target}: bit error "
                 f"{results[target]['bit_error']:.4f}, degraded "
                 f"{results[target]['degraded_bit_error']:.4f}, train wall {wall:.0f} s")
    return results


def plateau_start(errors: list[float], tolerance: float) -> int | None:
    """Index of the first evaluation after which the error never falls more than ``tolerance``
    below its value there, or None when that is only true of the last quarter of the curve
    (it was still falling: too little curve is left to call a plateau)."""
    for index, error in enumerate(errors):
        if error - min(errors[index:]) <= tolerance:
            return index if index < len(errors) - max(2, len(errors) // 4) else None
    return None


def progress(line: str) -> None:
    """One progress line on stderr (the table goes to stdout at the end)."""
    print(line, file=sys.stderr, flush=True)


def percent(values: list[float]) -> str:
    """Mean (and range over seeds when there are several) in percent."""
    mean = 100 * statistics.mean(values)
    if len(values) == 1:
        return f"{mean:.2f}"
    return f"{mean:.2f} [{100 * min(values):.2f}-{100 * max(values):.2f}]"


def print_curves(curves: dict[str, list[dict[int, dict]]], steps: list[int], batch: int,
                 tolerance: float) -> None:
    """Each baseline's held-out errors (mean over seeds, in %) at ``steps``, then where each
    plateaus (:func:`plateau_start` on the mean bit error)."""
    means = {model: {step: {key: statistics.mean(run[step][key] for run in runs)
                            for key in ("bit_error", "degraded_bit_error")} for step in steps}
             for model, runs in curves.items()}
    print(f"\nheld-out curves (errors in %, mean over seeds; episodes = steps x {batch})")
    print_table(["episodes"] + [f"{model} {kind}" for model in means for kind in ("bit", "degr.")],
                [[step * batch] + [f"{100 * means[model][step][key]:.2f}" for model in means
                                   for key in ("bit_error", "degraded_bit_error")]
                 for step in steps])
    for model, by_step in means.items():
        errors = [by_step[step]["bit_error"] for step in steps]
        start = plateau_start(errors, tolerance)
        wall = statistics.mean(run[steps[-1]]["wall_s"] for run in curves[model])
        verdict = ("still falling: no plateau within the run" if start is None else
                   f"plateau from {steps[start] * batch} episodes at {100 * errors[start]:.2f} % "
                   f"(then within {100 * tolerance:g} points; lowest {100 * min(errors):.2f} %)")
        print(f"{model}: {verdict}; final {100 * errors[-1]:.2f} % after "
              f"{steps[-1] * batch} episodes, {wall:.0f} s of training per seed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="*", default=[0])
    parser.add_argument("--threshold", type=float, default=0.01, help="held-out bit error")
    parser.add_argument("--eval-every", type=int, default=5)
    parser.add_argument("--max-steps", type=int, default=400)
    parser.add_argument("--budget-steps", type=int, default=None,
                        help="the baselines' short budget in steps; skips N-CODE's run")
    parser.add_argument("--models", nargs="*", choices=BASELINES, default=list(BASELINES),
                        help="the baselines to run")
    parser.add_argument("--long-steps", type=int, default=300,
                        help="a longer baseline budget, to see where they plateau")
    parser.add_argument("--curve-every", type=int, default=None,
                        help="also evaluate the baselines every this many steps up to "
                             "--long-steps and print their curves and plateaus")
    parser.add_argument("--plateau-tolerance", type=float, default=0.01,
                        help="a plateau: the bit error never falls more than this below it")
    parser.add_argument("--lstm-hidden", type=int, default=512,
                        help="LSTM hidden units (the paper: 5000)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    overrides = {"lstm_hidden": args.lstm_hidden}
    reference = make_trainer("ncode_closed", 0, overrides)
    batch = reference.config.training.batch_size

    rows = []
    if args.budget_steps is None:
        reached = [steps_to_threshold(seed, args.threshold, args.eval_every, args.max_steps,
                                      overrides) for seed in args.seeds]
        budget = max(steps for steps, _, _ in reached)
        rows.append(["ncode_closed", reference.parameter_count,
                     " / ".join(f"{steps * batch}" + ("" if e["bit_error"] < args.threshold else
                                                      " (not reached)") for steps, _, e in reached),
                     " / ".join(f"{wall:.0f}" for _, wall, _ in reached),
                     percent([e["bit_error"] for _, _, e in reached]),
                     percent([e["degraded_bit_error"] for _, _, e in reached]), "", "",
                     PAPER["ncode_closed"]])
    else:
        budget = args.budget_steps
    long_steps = max(budget, args.long_steps)
    curve_steps = ([] if args.curve_every is None else
                   list(range(args.curve_every, long_steps + 1, args.curve_every)))
    curves = {}
    for model in args.models:
        runs = [train_for(model, seed, [budget, long_steps, *curve_steps], overrides)
                for seed in args.seeds]
        curves[model] = runs
        at_budget = [run[budget] for run in runs]
        at_long = [run[long_steps] for run in runs]
        rows.append([model, at_budget[0]["params"], budget * batch,
                     " / ".join(f"{r['wall_s']:.0f}" for r in at_budget),
                     percent([r["bit_error"] for r in at_budget]),
                     percent([r["degraded_bit_error"] for r in at_budget]),
                     percent([r["bit_error"] for r in at_long]),
                     percent([r["degraded_bit_error"] for r in at_long]), PAPER[model]])
    print(f"memorization n=100 m=5 degradation 0.5, {batch} episodes/step, seeds {args.seeds}, "
          f"{args.threads} thread(s), held-out episodes: {reference.task.config.n_test_episodes}; "
          f"threshold bit error "
          f"{100 * args.threshold:g} %; long budget {long_steps * batch} "
          "episodes; errors in % (mean [min-max] over seeds), wall s = training only")
    print_table(["model", "params", "episodes", "wall s", "bit err", "degraded err",
                 "bit err long", "degraded long", "paper"], rows)
    if curve_steps and curves:
        print_curves(curves, curve_steps, batch, args.plateau_tolerance)


if __name__ == "__main__":
    main()
