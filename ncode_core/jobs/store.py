"""The job store: one SQLite database in WAL mode under the runs folder.

``<runs_dir>/ncode.db`` holds jobs (spec, status, progress, heartbeats), their status transitions
(``events``), their per-step metrics and the worker pools that serve them. ``runs_dir`` is
``$NCODE_RUNS_DIR`` or ``runs``. Several processes (workers, job runners, the CLI, the dashboard)
share the file; every write is a short transaction, and claiming a queued job is atomic
(``BEGIN IMMEDIATE``), so two workers never run the same job.

States: ``queued -> running -> succeeded | failed | cancelled``; a running job whose heartbeat
stops is ``lost``. ``lost``, ``failed`` and ``cancelled`` jobs can be resumed (requeued) and
continue from their last checkpoint.

Creating a job is all-or-nothing: its run folder is made under a temporary name and renamed into
place inside the transaction that inserts the row, so no row exists without its folder and no
folder survives a failed insert. Run folders are refused when they resolve outside
``<runs_dir>/jobs`` (a symlink planted there is never followed).
"""

from __future__ import annotations

import json
import shutil
import socket
import sqlite3
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ncode_core.config import ConfigError, format_validation_error
from ncode_core.jobs.database import JobError, StoreError, heartbeat_timeout_s
from ncode_core.jobs.spec import JobSpec
from ncode_core.jobs.telemetry import ProgressRecords

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled", "lost")
TERMINAL_STATES = ("succeeded", "failed", "cancelled")
RESUMABLE_STATES = ("failed", "cancelled", "lost")
@dataclass
class Job:
    """One row of the ``jobs`` table, with ``spec`` and ``result`` decoded and ``run_dir``
    absolute."""

    id: int
    name: str
    task: str
    model: str
    spec: dict[str, Any]
    status: str
    executor: str
    address: str | None
    external_id: str | None
    steps: int
    step: int
    start_step: int
    checkpoint_step: int | None
    checkpoint: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None
    heartbeat_at: float | None
    updated_at: float
    worker_id: str | None
    host: str | None
    pid: int | None
    gpu: str | None
    attempts: int
    retries_used: int
    max_retries: int
    cancel_requested: int
    error: str | None
    run_dir: str | None
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        """True for ``succeeded``, ``failed`` and ``cancelled``."""
        return self.status in TERMINAL_STATES

    @property
    def log_path(self) -> Path:
        """The job's log file (written by its runner)."""
        return Path(self.run_dir or ".") / "log.txt"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-safe dict (what ``jobs show --json`` prints)."""
        return asdict(self)


class JobStore(ProgressRecords):
    """The job store at ``<runs_dir>/ncode.db``: the jobs' lifecycle (this class), their
    progress records (:class:`~ncode_core.jobs.telemetry.ProgressRecords`) and the database
    file itself (:class:`~ncode_core.jobs.database.Database`: WAL, identity, errors).

    One instance holds one connection; use one instance per thread.
    """

    def _row_to_job(self, row: sqlite3.Row) -> Job:
        data = dict(row)
        data["spec"] = json.loads(data["spec"])
        data["result"] = json.loads(data["result"]) if data["result"] else {}
        if data["run_dir"]:
            data["run_dir"] = str(self.runs_dir / data["run_dir"])
        return Job(**data)

    # ------------------------------------------------------------------ jobs
    def create_job(self, spec: JobSpec, executor: str = "local",
                   address: str | None = None) -> Job:
        """Store a validated spec as a ``queued`` job with its run folder, all or nothing.

        Raises:
            StoreError: the folder or the row cannot be written (nothing is left behind).
        """
        return self.create_jobs([spec], executor, address)[0]

    def create_jobs(self, specs: list[JobSpec], executor: str = "local",
                    address: str | None = None) -> list[Job]:
        """Store validated specs as ``queued`` jobs with their run folders in one transaction:
        all of them or none (a preset's jobs never land half-submitted).

        Raises:
            StoreError: a folder or a row cannot be written (nothing is left behind).
        """
        now = time.time()
        folders: list[Path] = []
        job_ids: list[int] = []
        try:
            with self._write() as conn:
                for spec in specs:
                    spec_json = spec.model_dump_json()
                    cursor = conn.execute(
                        "INSERT INTO jobs (name, task, model, spec, status, executor, address, "
                        "steps, created_at, updated_at, max_retries) "
                        "VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)",
                        (spec.display_name, spec.task, spec.model, spec_json, executor, address,
                         spec.steps, now, now, spec.retries))
                    job_id = int(cursor.lastrowid)
                    run_dir = f"jobs/{job_id:06d}-{spec.display_name}"
                    folders.append(self._make_run_folder(run_dir, spec_json))
                    conn.execute("UPDATE jobs SET run_dir = ? WHERE id = ?", (run_dir, job_id))
                    self._event(conn, job_id, "queued", f"submitted ({executor})")
                    job_ids.append(job_id)
        except BaseException:
            for folder in folders:  # the rows were rolled back: their folders go too
                shutil.rmtree(folder, ignore_errors=True)
            raise
        return [self.require(job_id) for job_id in job_ids]

    def _make_run_folder(self, run_dir: str, spec_json: str) -> Path:
        """Create ``<runs_dir>/<run_dir>`` holding ``spec.json``: written in a temporary folder,
        then renamed, so the folder appears complete or not at all. An existing folder of that
        name is an error (ids are never reused)."""
        jobs = self.runs_dir / "jobs"
        with self._store_errors():
            jobs.mkdir(exist_ok=True)
            if jobs.is_symlink() or jobs.resolve() != jobs:
                raise StoreError(f"{jobs} is a symbolic link; refusing to write run folders "
                                 "outside the runs folder")
            final = self.runs_dir / run_dir
            temporary = jobs / f".creating-{final.name}-{uuid.uuid4().hex[:8]}"
            temporary.mkdir()
            try:
                (temporary / "spec.json").write_text(
                    json.dumps(json.loads(spec_json), indent=2) + "\n", encoding="utf-8")
                if final.exists() or final.is_symlink():
                    raise StoreError(f"run folder {final} already exists; the store and the runs "
                                     "folder disagree (was ncode.db replaced?)")
                temporary.rename(final)
            except BaseException:
                shutil.rmtree(temporary, ignore_errors=True)
                raise
        return final

    def run_folder(self, job: Job) -> Path:
        """The job's run folder, checked to lie inside ``<runs_dir>/jobs`` (no symlink out).

        Raises:
            StoreError: the folder is missing, or it or a parent is a link leading elsewhere.
        """
        jobs = self.runs_dir / "jobs"
        folder = Path(job.run_dir) if job.run_dir else jobs / f"{job.id:06d}"
        if folder.is_symlink() or folder.resolve().parent != jobs or jobs.is_symlink():
            raise StoreError(f"run folder {folder} is a symbolic link or lies outside {jobs}; "
                             "refusing to follow it")
        if not folder.is_dir():
            raise StoreError(f"run folder {folder} is missing")
        return folder

    def get(self, job_id: int) -> Job | None:
        """The job or None."""
        rows = self._read("SELECT * FROM jobs WHERE id = ?", (int(job_id),))
        return self._row_to_job(rows[0]) if rows else None

    def _existing_row(self, conn: sqlite3.Connection, job_id: int, columns: str) -> sqlite3.Row:
        """``columns`` of job ``job_id`` read inside ``conn``'s transaction, or JobError."""
        row = conn.execute(f"SELECT {columns} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobError(f"no job with id {job_id} in {self.path}")
        return row

    def require(self, job_id: int) -> Job:
        """The job, or :class:`JobError` naming the unknown id."""
        job = self.get(job_id)
        if job is None:
            raise JobError(f"no job with id {job_id} in {self.path}")
        return job

    def list_jobs(self, status: str | None = None, limit: int | None = None) -> list[Job]:
        """Jobs, newest first, optionally of one status."""
        query, params = "SELECT * FROM jobs", []
        if status:
            query += " WHERE status = ?"
            params.append(status)
        query += " ORDER BY id DESC"
        if limit:
            query += f" LIMIT {int(limit)}"
        return [self._row_to_job(row) for row in self._read(query, params)]

    def events(self, job_id: int) -> list[dict[str, Any]]:
        """Status transitions of a job, oldest first."""
        rows = self._read("SELECT at, status, message FROM events WHERE job_id = ? "
                                  "ORDER BY id", (int(job_id),))
        return [dict(row) for row in rows]

    def claim_next(self, worker_id: str, executor: str = "local",
                   gpu: str | None = None) -> Job | None:
        """Atomically move the oldest queued job of ``executor`` to ``running`` for this worker.

        Returns None when the queue is empty. The claim sets a heartbeat so the job is not
        reported lost while its process starts.
        """
        now = time.time()
        with self._write() as conn:
            row = conn.execute("SELECT id FROM jobs WHERE status = 'queued' AND executor = ? "
                               "ORDER BY id LIMIT 1", (executor,)).fetchone()
            if row is None:
                return None
            job_id = int(row["id"])
            conn.execute(
                "UPDATE jobs SET status = 'running', worker_id = ?, host = ?, pid = NULL, "
                "gpu = ?, started_at = ?, heartbeat_at = ?, updated_at = ?, finished_at = NULL, "
                "attempts = attempts + 1 WHERE id = ? AND status = 'queued'",
                (worker_id, socket.gethostname(), gpu, now, now, now, job_id))
            self._event(conn, job_id, "running", f"claimed by worker {worker_id}")
        return self.require(job_id)

    def mark_started(self, job_id: int, pid: int) -> Job:
        """The runner process reports itself: records pid/host; queued jobs (Ray) become
        running. Returns the job (attempt number included)."""
        now = time.time()
        with self._write() as conn:
            row = self._existing_row(conn, job_id, "status")
            if row["status"] == "queued":
                conn.execute("UPDATE jobs SET status = 'running', started_at = ?, "
                             "attempts = attempts + 1, finished_at = NULL WHERE id = ?",
                             (now, job_id))
                self._event(conn, job_id, "running", "runner started")
            elif row["status"] != "running":
                raise JobError(f"job {job_id} is {row['status']}, not runnable")
            conn.execute("UPDATE jobs SET pid = ?, host = ?, heartbeat_at = ?, updated_at = ? "
                         "WHERE id = ?", (pid, socket.gethostname(), now, now, job_id))
        return self.require(job_id)

    def set_external_id(self, job_id: int, external_id: str) -> None:
        """Record the executor's own id for the job (Ray submission id)."""
        with self._write() as conn:
            conn.execute("UPDATE jobs SET external_id = ?, updated_at = ? WHERE id = ?",
                         (external_id, time.time(), job_id))

    def finish(self, job_id: int, status: str, error: str | None = None,
               result: dict[str, Any] | None = None, attempt: int | None = None) -> str:
        """End a running (or queued) job as ``succeeded``, ``failed``, ``cancelled`` or ``lost``.

        A ``failed`` or ``lost`` local job with retries left is requeued instead (resuming from
        its last checkpoint). Returns the status the job ends in, or its current status when it
        had already ended (or moved on to another ``attempt``).
        """
        if status not in ("succeeded", "failed", "cancelled", "lost"):
            raise ValueError(f"finish: {status!r} is not an end state")
        now = time.time()
        with self._write() as conn:
            row = self._existing_row(conn, job_id,
                                     "status, attempts, retries_used, max_retries, executor")
            if row["status"] not in ("running", "queued") or (
                    attempt is not None and row["attempts"] != attempt):
                return row["status"]
            final = status
            message = error or ""
            if (status in ("failed", "lost") and row["executor"] == "local"
                    and row["retries_used"] < row["max_retries"]):
                final = "queued"
                message = (f"retry {row['retries_used'] + 1}/{row['max_retries']} after "
                           f"{status}: {error or 'no reason'}")
                conn.execute("UPDATE jobs SET status = 'queued', retries_used = retries_used + 1, "
                             "error = ?, pid = NULL, worker_id = NULL, updated_at = ? "
                             "WHERE id = ?", (message, now, job_id))
            else:
                conn.execute(
                    "UPDATE jobs SET status = ?, error = ?, result = COALESCE(?, result), "
                    "finished_at = ?, updated_at = ?, pid = NULL WHERE id = ?",
                    (status, error, json.dumps(result, default=float) if result else None,
                     now, now, job_id))
            self._event(conn, job_id, final, message)
        return final

    def requeue(self, job_id: int, reason: str, attempt: int | None = None) -> bool:
        """Put a running job back in the queue (graceful worker stop, preemption); it resumes
        from its last checkpoint. Returns False if the job was not running."""
        query = ("UPDATE jobs SET status = 'queued', pid = NULL, worker_id = NULL, "
                 "updated_at = ? WHERE id = ? AND status = 'running'")
        params: list[Any] = [time.time(), job_id]
        if attempt is not None:
            query += " AND attempts = ?"
            params.append(attempt)
        with self._write() as conn:
            changed = conn.execute(query, params).rowcount
            if changed:
                self._event(conn, job_id, "queued", reason)
        return bool(changed)

    def request_cancel(self, job_id: int) -> Job:
        """Cancel a job: queued and lost jobs end ``cancelled`` at once; running jobs get
        ``cancel_requested`` (their worker sends SIGTERM, then SIGKILL after a grace period).

        Raises:
            JobError: unknown id or the job has already ended.
        """
        now = time.time()
        with self._write() as conn:
            row = self._existing_row(conn, job_id, "status")
            status = row["status"]
            if status in TERMINAL_STATES:
                raise JobError(f"job {job_id} has already ended ({status})")
            if status in ("queued", "lost"):
                conn.execute("UPDATE jobs SET status = 'cancelled', cancel_requested = 1, "
                             "finished_at = ?, updated_at = ?, pid = NULL WHERE id = ?",
                             (now, now, job_id))
                self._event(conn, job_id, "cancelled", f"cancelled while {status}")
            else:
                conn.execute("UPDATE jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?",
                             (now, job_id))
                self._event(conn, job_id, status, "cancel requested")
        return self.require(job_id)

    def resume(self, job_id: int, steps: int | None = None) -> Job:
        """Requeue a ``lost``, ``failed`` or ``cancelled`` job (or a ``succeeded`` one with a
        larger ``steps``); it continues from its last checkpoint.

        Raises:
            JobError: unknown id, wrong state, or ``steps`` below the steps already done.
        """
        now = time.time()
        with self._write() as conn:
            row = self._existing_row(conn, job_id, "status, steps, step, checkpoint_step, spec")
            status, target = row["status"], row["steps"]
            if steps is not None:
                done = row["checkpoint_step"] or 0
                if steps < done:
                    raise JobError(f"--steps must be >= {done}, the step of the job's last "
                                   f"checkpoint (got {steps})")
                target = steps
            if status not in RESUMABLE_STATES and not (status == "succeeded" and target > row["steps"]):
                allowed = ", ".join(RESUMABLE_STATES)
                raise JobError(f"job {job_id} is {status}; only {allowed} jobs (or succeeded ones "
                               "given more --steps) can be resumed")
            spec = json.loads(row["spec"])
            spec["steps"] = target
            try:  # the new target obeys the spec's own limits
                JobSpec.model_validate(spec)
            except ValidationError as error:
                raise ConfigError("--steps: " + format_validation_error(error)) from None
            conn.execute(
                "UPDATE jobs SET status = 'queued', steps = ?, spec = ?, cancel_requested = 0, "
                "error = NULL, pid = NULL, worker_id = NULL, finished_at = NULL, updated_at = ? "
                "WHERE id = ?", (target, json.dumps(spec), now, job_id))
            self._event(conn, job_id, "queued", f"resumed from {status} (target {target} steps)")
        return self.require(job_id)

    def mark_stale_lost(self, timeout_s: float | None = None) -> list[int]:
        """Declare ``lost`` every running job whose heartbeat is older than ``timeout_s``
        (default :func:`heartbeat_timeout_s`). Returns their ids."""
        timeout_s = heartbeat_timeout_s() if timeout_s is None else timeout_s
        cutoff = time.time() - timeout_s
        rows = self._read("SELECT id, attempts FROM jobs WHERE status = 'running' AND "
                          "heartbeat_at < ?", (cutoff,))
        lost = []
        for row in rows:
            status = self.finish(int(row["id"]), "lost",
                                 f"no heartbeat for {timeout_s:g} s", attempt=int(row["attempts"]))
            if status in ("lost", "queued"):
                lost.append(int(row["id"]))
        return lost

