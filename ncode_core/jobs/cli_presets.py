"""CLI for presets: ``presets`` (list them), ``submit --preset NAME`` and ``jobs table --preset``."""

from __future__ import annotations

import argparse
from typing import Any

from ncode_core.cli_output import CLIError, emit
from ncode_core.jobs.preset_results import preset_results
from ncode_core.jobs.presets import PRESETS, submit_preset
from ncode_core.jobs.store import JobStore
from ncode_core.registry import TASKS

# submit flags that describe one job: with --preset the preset decides them
SINGLE_JOB_FLAGS = ("spec_file", "task", "model", "seed", "device", "checkpoint_every", "name",
                    "tags", "retries")


def preset_summary(name: str) -> dict[str, Any]:
    """A preset as plain JSON-safe data (what ``presets --json`` prints for it)."""
    preset = PRESETS[name]
    return {"name": preset.name, "description": preset.description, "task": preset.task,
            "entries": [{"key": e.key, "label": e.label, "model": e.model,
                         "paper": None if e.paper is None else
                         {"metric": e.paper.metric, "value": e.paper.value,
                          "text": e.paper.text, "source": e.paper.source}}
                        for e in preset.entries],
            "seeds": list(preset.seeds), "steps": preset.steps,
            "checkpoint_every": preset.checkpoint_every, "budget": preset.budget,
            "jobs": preset.job_count}


def run_presets(args: argparse.Namespace) -> int:
    """``presets``: every preset with its jobs and budget."""
    summaries = [preset_summary(name) for name in PRESETS]
    lines = []
    for summary in summaries:
        labels = ", ".join(entry["label"] for entry in summary["entries"])
        lines += [f"{summary['name']:<14} {summary['jobs']:>2} jobs on {summary['task']}: {labels}",
                  f"{'':<14} {summary['budget']}"]
    emit({"presets": summaries}, args.json, [] if args.json else lines)
    return 0


def run_submit_preset(args: argparse.Namespace) -> int:
    """``submit --preset NAME [--seeds ...] [--steps N]``: all of the preset's jobs or none."""
    given = [flag for flag in SINGLE_JOB_FLAGS if getattr(args, flag)]
    if args.overrides:
        given.append("set")
    if given:
        raise CLIError(f"submit --preset: the preset sets the jobs; drop "
                       f"{', '.join('--' + flag.replace('_', '-') for flag in given)}")
    jobs = submit_preset(args.preset, seeds=args.seeds, steps=args.steps,
                         runs_dir=args.runs_dir, executor=args.executor, address=args.address,
                         start_worker=not args.no_worker)
    rows = [{"id": job.id, "name": job.name, "model": job.model, "seed": job.spec["seed"],
             "status": job.status} for job in jobs]
    payload = {"preset": args.preset, "ids": [job.id for job in jobs], "count": len(jobs),
               "status": "queued" if all(j.status == "queued" for j in jobs) else "mixed",
               "jobs": rows}
    lines = [f"preset {args.preset}: {len(jobs)} jobs submitted"]
    lines += [f"  job {row['id']} ({row['name']}) {row['status']}" for row in rows]
    lines.append(f"results: python -m ncode_core jobs table --preset {args.preset}")
    emit(payload, args.json, [] if args.json else lines)
    return 0


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def run_table(args: argparse.Namespace) -> int:
    """``jobs table --preset NAME``: the preset's result table from the store."""
    with JobStore(args.runs_dir) as store:
        rows = preset_results(store, args.preset)
    metrics = TASKS[PRESETS[args.preset].task].metric_names
    columns = ["label", "finished", "jobs", *[m + s for m in metrics for s in ("", "_std")],
               "paper", "steps", "wall_s", "device"]
    lines = ["\t".join(columns)] + ["\t".join(_cell(row[c]) for c in columns) for row in rows]
    emit({"preset": args.preset, "rows": rows}, args.json, [] if args.json else lines)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``presets`` command (``submit --preset`` and ``jobs table`` live in
    :mod:`ncode_core.jobs.cli`, beside the other submit and jobs flags)."""
    listing = subparsers.add_parser("presets", help="named paper experiments for submit --preset")
    listing.add_argument("--json", action="store_true", help="last line: one JSON object")
    listing.set_defaults(handler=run_presets)


__all__ = ["preset_summary", "register", "run_presets", "run_submit_preset", "run_table"]
