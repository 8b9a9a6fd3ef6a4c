"""What the CLI and the dashboard call: submit, cancel, resume, refresh, read logs.

Executors sit behind one interface (:mod:`ncode_core.jobs.executors`): ``local`` (the worker
pool, started on demand) and ``ray`` (Ray's Job Submission API at an address). The dashboard only
writes specs and reads the store through these functions; it never trains in its own process.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from pathlib import Path
from typing import Any

from ncode_core.config import ConfigError
from ncode_core.jobs.executors import EXECUTORS, executor_for
from ncode_core.jobs.spec import JobSpec, validate_job_spec
from ncode_core.jobs.store import Job, JobError, JobStore

log = logging.getLogger(__name__)


def submit_job(spec: dict[str, Any] | JobSpec, runs_dir: str | Path | None = None,
               executor: str = "local", address: str | None = None,
               start_worker: bool = True, slots: int = 1) -> Job:
    """Validate ``spec``, store it as a queued job and hand it to its executor.

    ``local``: starts a worker pool when none is alive (unless ``start_worker`` is False).
    ``ray``: submits the runner to the cluster at ``address`` (default ``$NCODE_RAY_ADDRESS``,
    the operator's setting; the dashboard never passes one).

    Raises:
        ConfigError: invalid spec, unknown executor or unreachable cluster (nothing stored).
    """
    return submit_jobs([spec], runs_dir, executor, address, start_worker, slots)[0]


def submit_jobs(specs: list[dict[str, Any] | JobSpec], runs_dir: str | Path | None = None,
                executor: str = "local", address: str | None = None,
                start_worker: bool = True, slots: int = 1) -> list[Job]:
    """:func:`submit_job` for several specs, all or nothing: every spec is validated and the
    executor reached before any is stored, and all are stored in one transaction.

    A job the executor then refuses is marked ``failed`` with the reason, and so are the ones
    after it (never handed over); the error names them.

    Raises:
        ConfigError: an invalid spec (naming its position), unknown executor or unreachable
            cluster (nothing stored), or a refused hand-over.
    """
    validated = []
    for index, spec in enumerate(specs):
        try:
            validated.append(spec if isinstance(spec, JobSpec) else validate_job_spec(spec))
        except ConfigError as error:
            raise (ConfigError(f"spec {index + 1} of {len(specs)}: {error}") if len(specs) > 1
                   else error) from None
    runner = executor_for(executor, address, start_worker=start_worker, slots=slots)
    runner.connect()  # before storing anything
    store = JobStore(runs_dir)
    try:
        jobs = store.create_jobs(validated, executor=executor, address=runner.address)
        for position, job in enumerate(jobs):
            try:
                runner.submit(store, job)
            except Exception as error:  # ConfigError, or the executor's own (Ray's HTTP errors)
                reason = f"{executor} submission failed: {error}"
                for unsent in jobs[position:]:
                    store.finish(unsent.id, "failed", reason)
                ids = ", ".join(str(j.id) for j in jobs[position:])
                raise ConfigError(reason if len(jobs) == 1 else f"jobs {ids}: {reason}") from None
        return [store.require(job.id) for job in jobs]
    finally:
        store.close()


def cancel_job(job_id: int, runs_dir: str | Path | None = None, wait_s: float = 0.0) -> Job:
    """Cancel a job (queued: at once; running: SIGTERM through its worker or Ray, SIGKILL after
    the grace period). Waits up to ``wait_s`` for it to end; returns the job.

    A running local job whose worker is gone is signalled directly when it runs on this host.

    Raises:
        JobError: unknown id or already ended.
    """
    store = JobStore(runs_dir)
    try:
        job = store.require(job_id)
        job = executor_for(job.executor, job.address).cancel(store, job)
        deadline = time.monotonic() + wait_s
        while not job.terminal and time.monotonic() < deadline:
            time.sleep(0.2)
            job = store.require(job_id)
        return job
    finally:
        store.close()


def resume_job(job_id: int, runs_dir: str | Path | None = None, steps: int | None = None,
               start_worker: bool = True) -> Job:
    """Requeue a lost/failed/cancelled job (or a succeeded one with more ``steps``); it continues
    from its last checkpoint with its metric history intact.

    Raises:
        JobError: unknown id or a state that cannot be resumed.
    """
    store = JobStore(runs_dir)
    try:
        job = store.resume(job_id, steps)
        executor_for(job.executor, job.address, start_worker=start_worker).submit(store, job)
        return store.require(job_id)
    finally:
        store.close()


def refresh_jobs(store: JobStore, sync_ray: bool = True) -> list[int]:
    """Bring states up to date: running jobs with a stale heartbeat become ``lost``; with
    ``sync_ray`` (a round trip to the cluster for Ray jobs) each job's executor also refreshes
    the jobs that have not ended. Returns the ids that changed."""
    changed = store.mark_stale_lost()
    if sync_ray:
        for job in store.list_jobs():
            if job.terminal or job.status == "lost":
                continue
            try:
                before = job.status
                if executor_for(job.executor, job.address).refresh(store, job).status != before:
                    changed.append(job.id)
            except Exception as error:  # an unreachable cluster must not break listing
                log.warning("job %d: cannot refresh from its executor: %s", job.id, error)
    return changed


def read_log_tail(job: Job, lines: int = 50) -> str:
    """The last ``lines`` lines of the job's log (empty when it has none yet)."""
    path = job.log_path
    if not path.is_file():
        return ""
    with open(path, encoding="utf-8", errors="replace") as handle:
        return "".join(deque(handle, maxlen=max(1, lines)))


def job_progress(job: Job, now: float | None = None) -> dict[str, Any]:
    """Progress fraction, steps/s and ETA (seconds) of a job, from its step counter."""
    now = time.time() if now is None else now
    fraction = min(1.0, job.step / job.steps) if job.steps else (1.0 if job.terminal else 0.0)
    rate = eta = None
    if job.status == "running" and job.started_at and job.step:
        elapsed = max(now - job.started_at, 1e-6)
        done = max(job.step - job.start_step, 0)
        rate = done / elapsed if done else None
        if rate:
            eta = max(job.steps - job.step, 0) / rate
    return {"progress": fraction, "steps_per_s": rate, "eta_s": eta}


__all__ = ["EXECUTORS", "JobError", "cancel_job", "job_progress", "read_log_tail",
           "refresh_jobs", "resume_job", "submit_job", "submit_jobs"]
