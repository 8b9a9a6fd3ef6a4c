"""CLI commands ``submit`` (``--preset``: :mod:`cli_presets`), ``jobs list|show|logs|cancel|resume|run|table``,
``presets`` and ``worker``."""

from __future__ import annotations

import argparse
import functools
import sys
import time
from pathlib import Path
from typing import Any, Callable

from ncode_core.cli_output import CLIError, emit
from ncode_core.config import ConfigError, shorten
from ncode_core.jobs.api import (
    cancel_job,
    job_progress,
    read_log_tail,
    refresh_jobs,
    resume_job,
    submit_job,
)
from ncode_core.jobs import cli_presets
from ncode_core.jobs.executors import EXECUTORS
from ncode_core.jobs.spec import read_spec_file
from ncode_core.jobs.store import JOB_STATES, Job, JobError, JobStore

SPEC_FLAGS = ("task", "model", "steps", "seed", "device", "checkpoint_every", "name", "retries")
LARGEST_ID = 2**63 - 1  # SQLite's INTEGER


def bounded_int(low: int, high: int = LARGEST_ID) -> Callable[[str], int]:
    """An argparse type: a whole number in ``[low, high]`` (a bad value is a one-line usage
    error, never an overflow deep in the store)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {shorten(text)!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high} (got {shorten(text)})")
        return value

    parse.__name__ = "whole number"
    return parse


def seconds(positive: bool) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds, > 0 (``positive``) or >= 0."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not (value > 0 if positive else value >= 0) or value == float("inf"):
            raise argparse.ArgumentTypeError(
                f"expected a finite number of seconds {'> 0' if positive else '>= 0'} "
                f"(got {shorten(text)!r})")
        return value

    parse.__name__ = "seconds"
    return parse


JOB_ID = bounded_int(1)


def _emit(payload: dict[str, Any], as_json: bool, lines: list[str]) -> None:
    emit(payload, as_json, [] if as_json else lines)


def _user_errors(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn JobError into the CLI's one-line user error (exit 2)."""

    @functools.wraps(handler)
    def wrapped(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except JobError as error:
            raise CLIError(str(error)) from None

    return wrapped


def _runs_dir_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs-dir", default=None,
                        help="runs folder holding ncode.db (default: $NCODE_RUNS_DIR or runs)")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``submit``, ``jobs`` and ``worker`` to the CLI."""
    submit = subparsers.add_parser("submit", help="queue a background training job")
    submit.add_argument("spec_file", nargs="?", help="JSON or YAML job spec (flags override it)")
    submit.add_argument("--preset", help="submit every job of a named paper experiment "
                                         "(see: python -m ncode_core presets)")
    submit.add_argument("--seeds", type=bounded_int(0, 2**31 - 1), nargs="+",
                        help="with --preset: the seeds to run (default: the preset's)")
    submit.add_argument("--task")
    submit.add_argument("--model")
    submit.add_argument("--steps", type=bounded_int(0), help="optimiser steps to reach")
    submit.add_argument("--seed", type=bounded_int(0))
    submit.add_argument("--device", help="auto | cpu | cuda")
    submit.add_argument("--checkpoint-every", type=bounded_int(1), help="steps between checkpoints")
    submit.add_argument("--name", help="letters, digits, '.', '_', '-' (default: task-model)")
    submit.add_argument("--tag", dest="tags", action="append", default=None, help="repeatable")
    submit.add_argument("--retries", type=bounded_int(0), help="automatic retries of a failed/lost run")
    submit.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override, e.g. training.lr=0.01")
    submit.add_argument("--executor", default="local", choices=list(EXECUTORS))
    submit.add_argument("--address", help="Ray dashboard address, e.g. http://127.0.0.1:8265")
    submit.add_argument("--no-worker", action="store_true",
                        help="do not start a local worker pool on demand")
    _runs_dir_arg(submit)
    submit.add_argument("--json", action="store_true", help="last line: one JSON object")
    submit.set_defaults(handler=_user_errors(run_submit))

    jobs = subparsers.add_parser("jobs", help="list, inspect, cancel and resume jobs")
    actions = jobs.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="jobs, newest first")
    listing.add_argument("--status", choices=JOB_STATES)
    listing.add_argument("--limit", type=bounded_int(1), default=None)
    show = actions.add_parser("show", help="one job with its latest metrics")
    show.add_argument("id", type=JOB_ID)
    show.add_argument("--metrics", action="store_true", help="include the full metric history")
    logs = actions.add_parser("logs", help="the job's log")
    logs.add_argument("id", type=JOB_ID)
    logs.add_argument("--tail", type=bounded_int(1, 1_000_000), default=50, help="last N lines (default 50)")
    logs.add_argument("--follow", action="store_true", help="keep printing until the job ends")
    logs.add_argument("--ray", action="store_true", help="Ray's entrypoint log (ray jobs)")
    cancel = actions.add_parser("cancel", help="SIGTERM, then SIGKILL after a grace period")
    cancel.add_argument("id", type=JOB_ID)
    cancel.add_argument("--wait", type=seconds(positive=False), default=0.0, metavar="S",
                        help="wait up to S seconds for the job to end")
    resume = actions.add_parser("resume", help="continue a lost/failed/cancelled job")
    resume.add_argument("id", type=JOB_ID)
    resume.add_argument("--steps", type=bounded_int(0), help="new step target (default: the old one)")
    resume.add_argument("--no-worker", action="store_true")
    run = actions.add_parser("run", help="run a stored job in this process (executors use it)")
    run.add_argument("id", type=JOB_ID)
    table = actions.add_parser("table", help="a preset's results beside the paper's numbers")
    table.add_argument("--preset", required=True)
    for sub in (listing, show, logs, cancel, resume, run, table):
        _runs_dir_arg(sub)
        sub.add_argument("--json", action="store_true", help="last line: one JSON object")
    jobs.set_defaults(handler=_user_errors(run_jobs))
    cli_presets.register(subparsers)

    worker = subparsers.add_parser("worker", help="run queued jobs (local worker pool)")
    worker.add_argument("--slots", type=bounded_int(1, 1024), default=1, help="jobs at once (default 1)")
    worker.add_argument("--gpus", default="", help="GPU ids handed to jobs, e.g. 0,1")
    worker.add_argument("--stop", action="store_true",
                        help="ask running pools to stop gracefully (jobs are requeued)")
    worker.add_argument("--wait", type=seconds(positive=False), default=30.0, metavar="S",
                        help="with --stop: wait up to S seconds for the pools to exit")
    worker.add_argument("--poll", type=seconds(positive=True), default=0.5, help="seconds between queue polls")
    worker.add_argument("--grace", type=seconds(positive=False), default=None,
                        help="seconds between SIGTERM and SIGKILL on cancel "
                             "(default $NCODE_CANCEL_GRACE_S or 10)")
    worker.add_argument("--heartbeat-timeout", type=seconds(positive=True), default=None,
                        help="seconds without heartbeat before a job is lost "
                             "(default $NCODE_HEARTBEAT_TIMEOUT_S or 30)")
    worker.add_argument("--idle-exit", type=seconds(positive=True), default=None, metavar="S",
                        help="exit after S idle seconds (default: run until stopped)")
    _runs_dir_arg(worker)
    worker.add_argument("--json", action="store_true", help="last line: one JSON object")
    worker.set_defaults(handler=_user_errors(run_worker))


# ---------------------------------------------------------------------- submit
def spec_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The raw spec dict from a spec file and flags (flags win; ``--set`` appends)."""
    raw: dict[str, Any] = read_spec_file(args.spec_file) if args.spec_file else {}
    for flag in SPEC_FLAGS:
        value = getattr(args, flag)
        if value is not None:
            raw[flag] = value
    if args.tags:
        raw["tags"] = list(raw.get("tags") or []) + args.tags
    if args.overrides:
        existing = raw.get("overrides") or []
        if not isinstance(existing, list):
            raise ConfigError("job spec: overrides: must be a list of key=value strings")
        raw["overrides"] = list(existing) + args.overrides
    for required in ("task", "model"):
        if not raw.get(required):
            raise ConfigError(f"job spec: {required}: required (give --{required} or a spec file)")
    return raw


def run_submit(args: argparse.Namespace) -> int:
    """Validate and queue a job (or, with ``--preset``, all of a preset's); print the ids."""
    if args.preset is not None:
        return cli_presets.run_submit_preset(args)
    if args.seeds is not None:
        raise ConfigError("--seeds: applies only with --preset (use --seed for one job)")
    raw = spec_from_args(args)
    job = submit_job(raw, runs_dir=args.runs_dir, executor=args.executor, address=args.address,
                     start_worker=not args.no_worker)
    payload = {"id": job.id, "status": job.status, "name": job.name, "executor": job.executor,
               "run_dir": job.run_dir, "external_id": job.external_id}
    _emit(payload, args.json, [f"job {job.id} ({job.name}) {job.status}; "
                               f"follow with: python -m ncode_core jobs logs {job.id} --follow"])
    return 0


# ---------------------------------------------------------------------- jobs
def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else \
        f"{seconds // 60}m{seconds % 60:02d}s"


def job_payload(store: JobStore, job: Job) -> dict[str, Any]:
    """``jobs show --json``: the job row, progress, ETA and latest metrics."""
    last = store.metrics(job.id, after_step=job.step - 1) if job.step else []
    return {**job.to_dict(), **job_progress(job), "last_metrics": last[-1] if last else {},
            "log": str(job.log_path)}


def run_jobs(args: argparse.Namespace) -> int:
    """Dispatch ``jobs list|show|logs|cancel|resume|run|table``."""
    if args.action == "table":
        return cli_presets.run_table(args)
    if args.action == "run":
        from ncode_core.jobs.runner import run_job

        code = run_job(args.id, args.runs_dir)
        store = JobStore(args.runs_dir)
        job = store.require(args.id)
        store.close()
        _emit({"id": job.id, "status": job.status, "step": job.step, "error": job.error},
              args.json, [f"job {job.id} {job.status} at step {job.step}"
                          + (f": {job.error}" if job.error else "")])
        return code
    if args.action == "cancel":
        job = cancel_job(args.id, args.runs_dir, wait_s=args.wait)
        _emit({"id": job.id, "status": job.status, "step": job.step, "error": job.error},
              args.json, [f"job {job.id}: {job.status}"
                          + (" (cancel requested)" if not job.terminal else "")])
        return 0
    if args.action == "resume":
        job = resume_job(args.id, args.runs_dir, steps=args.steps,
                         start_worker=not args.no_worker)
        _emit({"id": job.id, "status": job.status, "steps": job.steps,
               "checkpoint_step": job.checkpoint_step}, args.json,
              [f"job {job.id} {job.status}; resumes from step {job.checkpoint_step or 0} "
               f"to {job.steps}"])
        return 0
    store = JobStore(args.runs_dir)
    try:
        refresh_jobs(store)
        if args.action == "list":
            return _list(store, args)
        if args.action == "show":
            job = store.require(args.id)
            payload = job_payload(store, job)
            payload["events"] = store.events(job.id)
            if args.metrics:
                payload["metrics"] = store.metrics(job.id)
            lines = [f"{key}: {value}" for key, value in payload.items()
                     if key not in ("spec", "events", "metrics")]
            lines += ["events:"] + [f"  {time.strftime('%H:%M:%S', time.localtime(e['at']))} "
                                    f"{e['status']:<9} {e['message'] or ''}"
                                    for e in payload["events"]]
            _emit(payload, args.json, lines)
            return 0
        return _logs(store, args)
    finally:
        store.close()


def _list(store: JobStore, args: argparse.Namespace) -> int:
    jobs = store.list_jobs(status=args.status, limit=args.limit)
    rows = []
    for job in jobs:
        progress = job_progress(job)
        rows.append({"id": job.id, "name": job.name, "task": job.task, "model": job.model,
                     "status": job.status, "step": job.step, "steps": job.steps,
                     "executor": job.executor, "eta_s": progress["eta_s"], "error": job.error})
    lines = [f"{'id':>4}  {'name':<24} {'status':<10} {'step':>13}  {'eta':>7}  error"]
    lines += [f"{r['id']:>4}  {r['name'][:24]:<24} {r['status']:<10} "
              f"{r['step']:>6}/{r['steps']:<6}  {_fmt_duration(r['eta_s']):>7}  {r['error'] or ''}"
              for r in rows]
    _emit({"jobs": rows, "count": len(rows)}, args.json, lines)
    return 0


def _logs(store: JobStore, args: argparse.Namespace) -> int:
    job = store.require(args.id)
    if args.ray:
        if job.executor != "ray" or not job.address:
            raise JobError(f"job {job.id} did not run through Ray")
        from ncode_core.jobs.ray_executor import RayExecutor

        text = RayExecutor(job.address).logs(job)
        _emit({"id": job.id, "log": text}, args.json, [text.rstrip("\n")])
        return 0
    if not args.follow:
        text = read_log_tail(job, args.tail)
        _emit({"id": job.id, "status": job.status, "log": text, "path": str(job.log_path)},
              args.json, [text.rstrip("\n")] if text else [])
        return 0
    position = 0
    while True:
        path = Path(job.log_path)
        if path.is_file():
            with open(path, encoding="utf-8", errors="replace") as handle:
                handle.seek(position)
                chunk = handle.read()
                position = handle.tell()
            if chunk and not args.json:
                sys.stdout.write(chunk)
                sys.stdout.flush()
        if job.terminal:
            break
        time.sleep(0.5)
        refresh_jobs(store, sync_ray=False)
        job = store.require(args.id)
    _emit({"id": job.id, "status": job.status, "error": job.error}, args.json, [])
    return 0


# ---------------------------------------------------------------------- worker
def run_worker(args: argparse.Namespace) -> int:
    """Serve the queue (or, with ``--stop``, stop the running pools)."""
    if args.stop:
        store = JobStore(args.runs_dir)
        try:
            asked = {w["id"] for w in store.live_workers()}
            store.request_worker_stop()
            deadline = time.monotonic() + args.wait
            while time.monotonic() < deadline and {w["id"] for w in store.live_workers()} & asked:
                time.sleep(0.2)
            remaining = sorted({w["id"] for w in store.live_workers()} & asked)
        finally:
            store.close()
        _emit({"stopped": len(asked) - len(remaining), "still_running": remaining}, args.json,
              [f"stopped {len(asked) - len(remaining)} worker pool(s)"
               + (f"; still running: {', '.join(remaining)}" if remaining else "")])
        return 0 if not remaining else 1
    if args.slots < 1:
        raise ConfigError(f"--slots: must be >= 1 (got {args.slots})")
    gpus = [g.strip() for g in args.gpus.split(",") if g.strip()]
    for gpu in gpus:
        if not gpu.isdigit():
            raise ConfigError(f"--gpus: expected comma-separated GPU ids like 0,1 (got {args.gpus!r})")
    import logging

    logging.getLogger("ncode_core").setLevel(logging.INFO)
    from ncode_core.jobs.local import WorkerPool

    pool = WorkerPool(args.runs_dir, slots=args.slots, gpus=gpus, poll_s=args.poll,
                      grace_s=args.grace, heartbeat_timeout=args.heartbeat_timeout,
                      idle_exit_s=args.idle_exit)
    if not args.json:
        print(f"worker {pool.id}: {args.slots} slot(s), store {pool.store.path}", flush=True)
    code = pool.run()
    if pool.store_gone:
        raise JobError(f"worker {pool.id} stopped: {pool.store_gone}")
    _emit({"worker": pool.id, "jobs_started": pool.started_jobs}, args.json,
          [f"worker {pool.id} stopped after starting {pool.started_jobs} job(s)"])
    return code


__all__ = ["register", "spec_from_args"]
