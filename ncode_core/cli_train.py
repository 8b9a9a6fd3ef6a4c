"""CLI commands ``list``, ``train`` and ``eval``."""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from ncode_core.checkpoint import load_checkpoint, save_checkpoint, trainer_state_from_checkpoint
from ncode_core.cli_output import emit
from ncode_core.cli_progress import TrainingProgress, open_progress
from ncode_core.config import ConfigError, RunConfig, apply_overrides
from ncode_core.registry import MODELS, TASKS, parse_run_config
from ncode_core.runtime import set_threads
from ncode_core.training import Trainer, evaluation_counts, fit


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``list``, ``train`` and ``eval`` to the CLI."""
    listing = subparsers.add_parser("list", help="models and tasks")
    listing.add_argument("--json", action="store_true", help="last line: one JSON object")
    listing.set_defaults(handler=run_list)

    train = subparsers.add_parser("train", help="train a model on a task, save a checkpoint")
    train.add_argument("--task", required=True, help=f"one of {', '.join(TASKS)}")
    train.add_argument("--model", required=True, help=f"one of {', '.join(MODELS)}")
    train.add_argument("--steps", type=int, help="optimiser steps (default: training.steps)")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--device", default="auto", help="auto | cpu | cuda")
    train.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                       help="config override, e.g. training.lr=0.01, solver.method=rk4, "
                            "model.hidden=32, task.noise=0.1 (repeatable)")
    train.add_argument("--out", default="runs/cli", help="folder for the checkpoint")
    train.add_argument("--json", action="store_true", help="last line: one JSON object")
    train.set_defaults(handler=run_train)

    evaluate = subparsers.add_parser("eval", help="re-evaluate a checkpoint")
    evaluate.add_argument("--checkpoint", required=True)
    evaluate.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    evaluate.add_argument("--json", action="store_true", help="last line: one JSON object")
    evaluate.set_defaults(handler=run_eval)


def run_list(args: argparse.Namespace) -> int:
    """Print the registry: tasks with the models that fit them."""
    tasks = {name: {"models": list(cls.families), "description": cls.description,
                    "metrics": list(cls.metric_names)} for name, cls in TASKS.items()}
    lines = ["models: " + ", ".join(MODELS), "tasks:"]
    lines += [f"  {name:<12} {info['description']}  [models: {', '.join(info['models'])}]"
              for name, info in tasks.items()]
    emit({"models": list(MODELS), "tasks": tasks}, args.json, [] if args.json else lines)
    return 0


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """RunConfig from ``train`` flags and ``--set`` overrides (validated, nothing written)."""
    if args.steps is not None and args.steps < 0:
        raise ConfigError(f"--steps: must be >= 0 (got {args.steps})")
    raw: dict[str, Any] = {"task": args.task, "model": args.model, "seed": args.seed,
                           "device": args.device}
    raw = apply_overrides(raw, args.overrides)
    if args.steps is not None:
        raw.setdefault("training", {})["steps"] = args.steps
    return parse_run_config(raw)


def _report(config: RunConfig, trainer: Trainer, evaluation: dict[str, Any]) -> dict[str, Any]:
    return {"task": config.task, "model": config.model, "seed": config.seed,
            "steps": trainer.step_count, "params": trainer.parameter_count,
            "device": str(trainer.device), **evaluation}


def check_output_path(path: Path) -> None:
    """Fail before training when the checkpoint cannot be written at ``path``: its folder is a
    file or not writable, or ``path`` is a folder. Creates the folder (nothing else).

    Raises:
        ConfigError: naming ``--out`` and the reason.
    """
    folder = path.parent
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.is_dir():
            raise ConfigError(f"--out {folder}: {parent} is a file, not a folder")
    if path.is_dir():
        raise ConfigError(f"--out {folder}: {path} is a folder; cannot write the checkpoint")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"--out {folder}: cannot create it ({error.strerror})") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {folder}: not writable")
    try:  # catches what access() cannot: a read-only mount
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as error:
        raise ConfigError(f"--out {folder}: cannot write there ({error.strerror})") from None


def run_train(args: argparse.Namespace) -> int:
    """Train with progress on stderr, save ``<out>/<task>-<model>-s<seed>.pt``."""
    config = config_from_args(args)
    path = Path(args.out) / f"{config.task}-{config.model}-s{config.seed}.pt"
    set_threads()
    trainer = Trainer(config)  # loads the data: a missing dataset fails before anything is made
    check_output_path(path)  # before any training step
    # Plain lines at evaluation steps, so each line carries the test metrics.
    progress = open_progress("train", config.training.steps, every=config.training.eval_every)
    shown = ("train_loss", "test_loss", *trainer.task.metric_names)
    try:
        result = fit(trainer, callbacks=[TrainingProgress(progress, shown)])
    finally:
        progress.close()
    save_checkpoint(path, trainer.state_dict(), {**result.evaluation,
                                                 "train_loss": result.train_loss})
    payload = {**_report(config, trainer, result.evaluation), "train_loss": result.train_loss,
               "nfe_forward": result.nfe_forward, "nfe_backward": result.nfe_backward,
               "wall_s": result.wall_s, "steps_per_s": result.steps_per_s,
               "checkpoint": str(path)}
    emit(payload, args.json, [f"saved {path}"] if not args.json else [])
    return 0


def run_eval(args: argparse.Namespace) -> int:
    """Rebuild the model from a checkpoint and evaluate it on the task's held-out data."""
    payload = load_checkpoint(args.checkpoint)
    config: RunConfig = payload["config"]
    set_threads()
    started = time.perf_counter()
    trainer = Trainer(config, device=args.device)
    trainer.load_state_dict(trainer_state_from_checkpoint(payload))
    # One unit until evaluation runs in batches: a terminal still shows it runs, and how long.
    progress = open_progress("eval", 1)
    try:
        evaluation = trainer.evaluate()
        progress.update(1, {name: evaluation[name] for name in ("test_loss",
                                                                *trainer.task.metric_names)
                            if name in evaluation})
    finally:
        progress.close()
    report = {**_report(config, trainer, evaluation), "checkpoint": str(args.checkpoint),
              "nfe_forward": (evaluation_counts(trainer.model) or (0, 0))[0],
              "wall_s": time.perf_counter() - started}
    lines = [] if args.json else [json.dumps(report, indent=2, default=float)]
    emit(report, args.json, lines)
    return 0
