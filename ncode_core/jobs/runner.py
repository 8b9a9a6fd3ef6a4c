"""The job runner: trains one stored job in the current process.

Entry point ``python -m ncode_core jobs run ID [--runs-dir DIR]``; every executor (the local
worker pool, Ray) starts this same command in a fresh Python process. The runner

- marks the job running with its pid and heartbeats from a background thread
  (``$NCODE_HEARTBEAT_S``, default 5 s); a heartbeat that finds the job cancelled asks training
  to stop, one that finds the job taken over by another attempt ends the process;
- resumes from the newest checkpoint in ``<run_dir>/checkpoints`` (loaded with
  ``weights_only=True``; a corrupt or unsafe file fails the job, it is never skipped silently)
  and drops metrics logged after that checkpoint, so the history has no duplicates or gaps;
- logs every step's metrics to the store and to TensorBoard event files in
  ``<run_dir>/tensorboard``, progress lines to ``<run_dir>/log.txt``, and saves a checkpoint every
  ``checkpoint_every`` steps and at the end;
- on SIGTERM stops after the current step, saves a checkpoint and ends ``cancelled`` (if a cancel
  was requested) or goes back to the queue (preemption, e.g. ``worker --stop``);
- ends ``failed`` with the reason (``NaN loss``, ``step size underflow``, ``disk full``, ...)
  when training diverges, the solver fails, a write fails or anything else raises;
- holds an exclusive lock (``fcntl.flock`` on ``<run_dir>/runner.lock``) for its whole life, so a
  job has at most one runner whatever starts it (a worker, ``jobs run`` by hand, Ray); the kernel
  releases the lock when the process dies, even by SIGKILL;
- stops (exit status 4) when its heartbeat finds the store deleted or replaced, instead of
  training on for a database nobody reads.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from ncode_core.checkpoint import (
    CheckpointError,
    load_checkpoint,
    save_checkpoint,
    trainer_state_from_checkpoint,
)
from ncode_core.config import ConfigError
from ncode_core.integrate import SolverError
from ncode_core.jobs.spec import JobSpec
from ncode_core.environment import env_number
from ncode_core.jobs.database import StoreGoneError, describe_failure
from ncode_core.jobs.store import JobError, JobStore
from ncode_core.runtime import set_threads
from ncode_core.training import DivergenceError, Trainer, fit

log = logging.getLogger("ncode_core.jobs.runner")

DEFAULT_HEARTBEAT_S = 5.0
FLUSH_EVERY_S = 0.5
KEEP_CHECKPOINTS = 2
EXIT_SUCCEEDED, EXIT_FAILED, EXIT_NOT_OURS, EXIT_STORE_GONE = 0, 1, 3, 4
LOCK_NAME = "runner.lock"


def heartbeat_interval_s() -> float:
    """Seconds between runner heartbeats (``$NCODE_HEARTBEAT_S``, default 5)."""
    return env_number("NCODE_HEARTBEAT_S", DEFAULT_HEARTBEAT_S, strictly_above=0.0)


def lock_runner(run_dir: Path, job_id: int) -> int:
    """Take the job's runner lock; returns the open descriptor (keep it open while running).

    Raises:
        JobError: another process holds it (it is running this job).
    """
    descriptor = os.open(run_dir / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(descriptor, 32).decode("ascii", "replace").strip() or "unknown"
        os.close(descriptor)
        raise JobError(f"job {job_id} already has a runner (pid {holder}); "
                       "a job runs in one process at a time") from None
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
    return descriptor


def checkpoint_path(run_dir: str | Path, step: int) -> Path:
    """``<run_dir>/checkpoints/step-00000123.pt``."""
    return Path(run_dir) / "checkpoints" / f"step-{step:08d}.pt"


def list_checkpoints(run_dir: str | Path) -> list[Path]:
    """A job's checkpoints, oldest first (temporary files of interrupted writes excluded)."""
    folder = Path(run_dir) / "checkpoints"
    return sorted(folder.glob("step-*.pt")) if folder.is_dir() else []


class _StopFlag:
    """Why training should stop early: ``cancel`` (heartbeat saw a cancel request) or
    ``sigterm`` (cancel or preemption, told apart by the store's cancel flag)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.reason = ""

    def set(self, reason: str) -> None:
        if not self.event.is_set() or reason == "cancel":
            self.reason = reason
        self.event.set()


class _Heartbeat(threading.Thread):
    """Writes the job's heartbeat; notices cancel requests and lost ownership."""

    def __init__(self, runs_dir: Path, job_id: int, attempt: int, stop: _StopFlag,
                 interval_s: float) -> None:
        super().__init__(name=f"heartbeat-{job_id}", daemon=True)
        self.runs_dir, self.job_id, self.attempt = runs_dir, job_id, attempt
        self.stop_flag, self.interval_s = stop, interval_s
        self.finished = threading.Event()

    def run(self) -> None:
        store = JobStore(self.runs_dir)
        try:
            while not self.finished.wait(self.interval_s):
                try:
                    store.check_identity()
                    ours, cancel = store.heartbeat(self.job_id, self.attempt)
                except StoreGoneError as error:
                    log.error("%s; stopping this job process", error)
                    logging.shutdown()
                    os._exit(EXIT_STORE_GONE)
                except Exception as error:  # a locked store must not kill training
                    log.warning("heartbeat failed: %s", error)
                    continue
                if self.finished.is_set():
                    return
                if not ours:
                    log.error("job %d is no longer running under attempt %d (declared lost and "
                              "taken over); stopping this process", self.job_id, self.attempt)
                    logging.shutdown()
                    os._exit(EXIT_NOT_OURS)
                if cancel:
                    self.stop_flag.set("cancel")
        finally:
            store.close()


class _JobCallback:
    """fit() callback: metrics to store and TensorBoard, checkpoints, progress, early stop."""

    def __init__(self, store: JobStore, job_id: int, spec: JobSpec, run_dir: Path,
                 stop: _StopFlag, writer: Any, eval_every: int) -> None:
        self.store, self.job_id, self.spec, self.run_dir = store, job_id, spec, run_dir
        self.stop, self.writer, self.eval_every = stop, writer, eval_every
        self.buffer: list[dict[str, Any]] = []
        self.last_flush = time.monotonic()
        self.started = time.monotonic()
        self.first_step: int | None = None

    def flush(self) -> None:
        if self.buffer:
            self.store.log_metrics(self.job_id, self.buffer)
            self.buffer = []
        self.last_flush = time.monotonic()
        if self.writer is not None:
            self.writer.flush()

    def checkpoint(self, trainer: Trainer, metrics: dict[str, Any]) -> Path:
        self.flush()  # metrics up to this step are stored before the checkpoint that covers them
        path = save_checkpoint(checkpoint_path(self.run_dir, trainer.step_count),
                               trainer.state_dict(), metrics)
        self.store.record_checkpoint(self.job_id, trainer.step_count, path)
        for old in list_checkpoints(self.run_dir)[:-KEEP_CHECKPOINTS]:
            old.unlink(missing_ok=True)
        return path

    def on_step(self, trainer: Trainer, metrics: dict[str, Any]) -> None:
        step = int(metrics["step"])
        if self.first_step is None:
            self.first_step = step
        row = {k: v for k, v in metrics.items() if isinstance(v, (int, float, str, bool))}
        self.buffer.append(row)
        if self.writer is not None:
            self.writer.add_scalars(step, row)
        if step % self.spec.checkpoint_every == 0 and step < self.spec.steps:
            self.checkpoint(trainer, metrics)
        elif time.monotonic() - self.last_flush >= FLUSH_EVERY_S:
            self.flush()
        if step % self.eval_every == 0 or step == self.spec.steps:
            shown = "  ".join(f"{k}={v:.4g}" for k, v in row.items()
                              if k.startswith(("train_loss", "test_")) and isinstance(v, float))
            done = step - self.first_step + 1
            rate = done / max(time.monotonic() - self.started, 1e-9)
            log.info("step %d/%d  %s  (%.1f steps/s)", step, self.spec.steps, shown, rate)

    def should_stop(self, trainer: Trainer) -> bool:
        return self.stop.event.is_set()


def _tensorboard_writer(run_dir: Path, resume_step: int) -> Any:
    """Event files in ``<run_dir>/tensorboard``; after a resume, events past ``resume_step``
    are purged by TensorBoard."""
    try:
        from ncode_core.jobs.events import ScalarEventWriter

        return ScalarEventWriter(run_dir / "tensorboard",
                                 purge_step=resume_step + 1 if resume_step > 0 else None)
    except ImportError:  # pragma: no cover - tensorboardX is in requirements.txt
        log.warning("tensorboardX is not installed; no TensorBoard event files are written")
        return None


def _attach_log_file(run_dir: Path) -> logging.Handler:
    handler = logging.FileHandler(run_dir / "log.txt", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s",
                                           "%Y-%m-%d %H:%M:%S"))
    package = logging.getLogger("ncode_core")
    package.addHandler(handler)
    package.setLevel(logging.INFO)
    return handler


def run_job(job_id: int, runs_dir: str | Path | None = None) -> int:
    """Train stored job ``job_id`` to its step target in this process; returns an exit code
    (0 succeeded / cancelled / requeued, 1 failed, 3 taken over by another attempt).

    Raises:
        JobError: unknown job, a job that is not queued/running, another runner holding it,
            or a run folder that is missing or a symbolic link (StoreError).
    """
    store = JobStore(runs_dir)
    try:
        run_dir = store.run_folder(store.require(job_id))
        lock = lock_runner(run_dir, job_id)
    except BaseException:
        store.close()
        raise
    try:
        return _run_locked(store, job_id, run_dir)
    finally:
        os.close(lock)  # after the store is closed: the next runner finds the job settled


def _run_locked(store: JobStore, job_id: int, run_dir: Path) -> int:
    """:func:`run_job` once the runner lock is held."""
    job = store.mark_started(job_id, os.getpid())
    attempt = job.attempts
    handler = _attach_log_file(run_dir)
    stop = _StopFlag()
    signal.signal(signal.SIGTERM, lambda _sig, _frame: stop.set("sigterm"))
    heartbeat = _Heartbeat(store.runs_dir, job_id, attempt, stop, heartbeat_interval_s())
    heartbeat.start()
    writer = None
    callback: _JobCallback | None = None
    trainer: Trainer | None = None
    log.info("job %d (%s) attempt %d starting in pid %d", job_id, job.name, attempt, os.getpid())
    try:
        spec = JobSpec.model_validate(job.spec)
        config = spec.run_config()
        set_threads()
        trainer = Trainer(config)
        resume_step = 0
        checkpoints = list_checkpoints(run_dir)
        if checkpoints:
            payload = load_checkpoint(checkpoints[-1])
            if (payload["task"], payload["model"]) != (config.task, config.model):
                raise CheckpointError(f"checkpoint {checkpoints[-1]} holds {payload['task']}/"
                                      f"{payload['model']}, not {config.task}/{config.model}")
            trainer.load_state_dict(trainer_state_from_checkpoint(payload))
            resume_step = trainer.step_count
            log.info("resuming from %s (step %d)", checkpoints[-1].name, resume_step)
        removed = store.truncate_metrics(job_id, resume_step)
        if removed:
            log.info("dropped %d metric rows logged after step %d (recomputed now)",
                     removed, resume_step)
        writer = _tensorboard_writer(run_dir, resume_step)
        callback = _JobCallback(store, job_id, spec, run_dir, stop, writer,
                                config.training.eval_every)
        result = fit(trainer, steps=spec.steps, callbacks=[callback])
        last = result.history[-1] if result.history else {}
        path = callback.checkpoint(trainer, {**last, **result.evaluation})
        if stop.event.is_set() and trainer.step_count < spec.steps:
            if stop.reason == "cancel" or store_cancel_requested(store, job_id):
                store.finish(job_id, "cancelled", f"cancelled at step {trainer.step_count}",
                             attempt=attempt)
                log.info("cancelled at step %d; checkpoint %s", trainer.step_count, path.name)
            else:
                store.requeue(job_id, f"preempted at step {trainer.step_count} (SIGTERM); "
                              "will resume from its checkpoint", attempt=attempt)
                log.info("preempted at step %d; requeued", trainer.step_count)
            return EXIT_SUCCEEDED
        summary = {"steps": trainer.step_count, "train_loss": result.train_loss,
                   **result.evaluation, "nfe_forward": result.nfe_forward,
                   "nfe_backward": result.nfe_backward, "params": trainer.parameter_count,
                   "device": str(trainer.device), "checkpoint": str(path)}
        store.finish(job_id, "succeeded", result=summary, attempt=attempt)
        log.info("succeeded: %s", {k: v for k, v in summary.items() if k != "checkpoint"})
        return EXIT_SUCCEEDED
    except (DivergenceError, SolverError) as error:
        if callback is not None:
            callback.flush()
        step = getattr(error, "step", None)
        if step is None and trainer is not None:
            step = trainer.step_count  # the step being computed when the solver failed
        reason = error.reason + (f" at step {step + 1}" if step is not None else "")
        log.error("failed: %s", error)
        store.finish(job_id, "failed", reason, attempt=attempt)
        return EXIT_FAILED
    except (CheckpointError, ConfigError) as error:
        log.error("failed: %s", error)
        store.finish(job_id, "failed", str(error), attempt=attempt)
        return EXIT_FAILED
    except OSError as error:  # disk full, read-only or vanished run folder
        log.error("failed: %s", describe_failure(error))
        store.finish(job_id, "failed", describe_failure(error), attempt=attempt)
        return EXIT_FAILED
    except Exception as error:
        log.error("failed with an unexpected error:\n%s", traceback.format_exc())
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        store.finish(job_id, "failed", f"{type(error).__name__}: {message}".rstrip(": "),
                     attempt=attempt)
        return EXIT_FAILED
    finally:
        heartbeat.finished.set()
        if writer is not None:
            writer.close()
        logging.getLogger("ncode_core").removeHandler(handler)
        handler.close()
        store.close()


def store_cancel_requested(store: JobStore, job_id: int) -> bool:
    """True when a cancel was requested for the job (read in the SIGTERM handler)."""
    try:
        job = store.get(job_id)
    except Exception:  # the handler must never raise
        return False
    return bool(job and job.cancel_requested)


__all__ = ["JobError", "checkpoint_path", "heartbeat_interval_s", "list_checkpoints", "run_job"]
