"""Background experiment jobs: validated specs, a SQLite store, a local worker pool, Ray.

- :mod:`spec`: :class:`JobSpec` and :func:`validate_job_spec` (nothing invalid is stored).
- :mod:`database`: the database file (schema, WAL, identity, :class:`StoreError`).
- :mod:`store`: :class:`JobStore`, the jobs' lifecycle; :mod:`telemetry`: metrics, heartbeats.
- :mod:`runner`: ``python -m ncode_core jobs run ID``, the process every executor starts.
- :mod:`executors`: the :class:`Executor` protocol and the name -> executor table.
- :mod:`local`: :class:`WorkerPool` (``python -m ncode_core worker``) and on-demand start.
- :mod:`ray_executor`: the same runner through Ray's Job Submission API (optional extra).
- :mod:`api`: submit / cancel / resume / refresh used by the CLI (:mod:`cli`) and the dashboard.
- :mod:`presets`: named paper experiments expanding to jobs; :mod:`preset_results`: their table.
"""

from ncode_core.jobs.api import (
    cancel_job,
    job_progress,
    read_log_tail,
    refresh_jobs,
    resume_job,
    submit_job,
    submit_jobs,
)
from ncode_core.jobs.database import StoreError, StoreGoneError, default_runs_dir
from ncode_core.jobs.executors import EXECUTORS, Executor, executor_for
from ncode_core.jobs.local import WorkerPool, ensure_worker, start_worker
from ncode_core.jobs.preset_results import preset_results
from ncode_core.jobs.presets import PRESETS, PaperNumber, Preset, PresetEntry, get_preset, submit_preset
from ncode_core.jobs.ray_executor import operator_ray_address
from ncode_core.jobs.spec import JobSpec, read_spec_file, validate_job_spec
from ncode_core.jobs.store import (
    JOB_STATES,
    RESUMABLE_STATES,
    TERMINAL_STATES,
    Job,
    JobError,
    JobStore,
)

__all__ = [
    "EXECUTORS",
    "Executor",
    "JOB_STATES",
    "Job",
    "JobError",
    "JobSpec",
    "JobStore",
    "PRESETS",
    "PaperNumber",
    "Preset",
    "PresetEntry",
    "RESUMABLE_STATES",
    "StoreError",
    "StoreGoneError",
    "TERMINAL_STATES",
    "WorkerPool",
    "cancel_job",
    "default_runs_dir",
    "ensure_worker",
    "executor_for",
    "get_preset",
    "job_progress",
    "operator_ray_address",
    "preset_results",
    "read_log_tail",
    "read_spec_file",
    "refresh_jobs",
    "resume_job",
    "start_worker",
    "submit_job",
    "submit_jobs",
    "submit_preset",
    "validate_job_spec",
]
