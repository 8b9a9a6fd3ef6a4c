"""Background experiment jobs: validated specs, a SQLite store, a local worker pool, Ray.

- :mod:`spec`: :class:`JobSpec` and :func:`validate_job_spec` (nothing invalid is stored).
- :mod:`store`: :class:`JobStore` (``<runs_dir>/ncode.db``, WAL), states, metrics, heartbeats.
- :mod:`runner`: ``python -m ncode_core jobs run ID``, the process every executor starts.
- :mod:`local`: :class:`WorkerPool` (``python -m ncode_core worker``) and on-demand start.
- :mod:`ray_executor`: the same runner through Ray's Job Submission API (optional extra).
- :mod:`api`: submit / cancel / resume / refresh used by the CLI (:mod:`cli`) and the dashboard.
"""

from ncode_core.jobs.api import (
    EXECUTORS,
    cancel_job,
    job_progress,
    read_log_tail,
    refresh_jobs,
    resume_job,
    submit_job,
)
from ncode_core.jobs.local import WorkerPool, ensure_worker, start_worker
from ncode_core.jobs.spec import JobSpec, read_spec_file, validate_job_spec
from ncode_core.jobs.store import (
    JOB_STATES,
    RESUMABLE_STATES,
    TERMINAL_STATES,
    Job,
    JobError,
    JobStore,
    default_runs_dir,
)

__all__ = [
    "EXECUTORS",
    "JOB_STATES",
    "Job",
    "JobError",
    "JobSpec",
    "JobStore",
    "RESUMABLE_STATES",
    "TERMINAL_STATES",
    "WorkerPool",
    "cancel_job",
    "default_runs_dir",
    "ensure_worker",
    "job_progress",
    "read_log_tail",
    "read_spec_file",
    "refresh_jobs",
    "resume_job",
    "start_worker",
    "submit_job",
    "validate_job_spec",
]
