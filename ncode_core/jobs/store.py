"""The job store: one SQLite database in WAL mode under the runs folder.

``<runs_dir>/ncode.db`` holds jobs (spec, status, progress, heartbeats), their status transitions
(``events``), their per-step metrics and the worker pools that serve them. ``runs_dir`` is
``$NCODE_RUNS_DIR`` or ``runs``. Several processes (workers, job runners, the CLI, the dashboard)
share the file; every write is a short transaction, and claiming a queued job is atomic
(``BEGIN IMMEDIATE``), so two workers never run the same job.

States: ``queued -> running -> succeeded | failed | cancelled``; a running job whose heartbeat
stops is ``lost``. ``lost``, ``failed`` and ``cancelled`` jobs can be resumed (requeued) and
continue from their last checkpoint.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

from ncode_core.jobs.spec import JobSpec

JOB_STATES = ("queued", "running", "succeeded", "failed", "cancelled", "lost")
TERMINAL_STATES = ("succeeded", "failed", "cancelled")
RESUMABLE_STATES = ("failed", "cancelled", "lost")
DEFAULT_HEARTBEAT_TIMEOUT_S = 30.0
SCHEMA_VERSION = 1  # PRAGMA user_version; bump it and migrate in JobStore.__init__ on changes

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    task TEXT NOT NULL,
    model TEXT NOT NULL,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    executor TEXT NOT NULL DEFAULT 'local',
    address TEXT,
    external_id TEXT,
    steps INTEGER NOT NULL,
    step INTEGER NOT NULL DEFAULT 0,
    start_step INTEGER NOT NULL DEFAULT 0,
    checkpoint_step INTEGER,
    checkpoint TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL,
    heartbeat_at REAL,
    updated_at REAL NOT NULL,
    worker_id TEXT,
    host TEXT,
    pid INTEGER,
    gpu TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    retries_used INTEGER NOT NULL DEFAULT 0,
    max_retries INTEGER NOT NULL DEFAULT 0,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    run_dir TEXT,
    result TEXT
);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs(status, id);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id INTEGER NOT NULL,
    at REAL NOT NULL,
    status TEXT NOT NULL,
    message TEXT
);
CREATE INDEX IF NOT EXISTS events_by_job ON events(job_id, id);
CREATE TABLE IF NOT EXISTS metrics (
    job_id INTEGER NOT NULL,
    step INTEGER NOT NULL,
    at REAL NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job_id, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS workers (
    id TEXT PRIMARY KEY,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    slots INTEGER NOT NULL,
    gpus TEXT,
    started_at REAL NOT NULL,
    heartbeat_at REAL NOT NULL,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    stopped_at REAL
);
"""


class JobError(LookupError):
    """A job operation that cannot be done (unknown id, wrong state); one line for the user."""


def default_runs_dir() -> Path:
    """``$NCODE_RUNS_DIR`` or ``runs`` (relative to the current directory)."""
    return Path(os.environ.get("NCODE_RUNS_DIR") or "runs")


def heartbeat_timeout_s() -> float:
    """Seconds without a heartbeat after which a running job is ``lost``
    (``$NCODE_HEARTBEAT_TIMEOUT_S``, default 30)."""
    return float(os.environ.get("NCODE_HEARTBEAT_TIMEOUT_S") or DEFAULT_HEARTBEAT_TIMEOUT_S)


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


class JobStore:
    """SQLite-backed job store at ``<runs_dir>/ncode.db`` (WAL mode, created on first use).

    One instance holds one connection; use one instance per thread.
    """

    def __init__(self, runs_dir: str | Path | None = None, timeout_s: float = 30.0) -> None:
        self.runs_dir = Path(runs_dir) if runs_dir is not None else default_runs_dir()
        self.runs_dir = self.runs_dir.resolve()
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.runs_dir / "ncode.db"
        self._conn = sqlite3.connect(self.path, timeout=timeout_s, isolation_level=None,
                                     check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        mode = self._conn.execute("PRAGMA journal_mode").fetchone()[0]
        if mode.lower() != "wal":
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        if not self._conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='workers'").fetchone():
            self._conn.executescript(SCHEMA + f"PRAGMA user_version = {SCHEMA_VERSION};")
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise JobError(f"{self.path} was written by a newer N-CODE Studio (schema "
                           f"{version} > {SCHEMA_VERSION}); upgrade to read it")

    # ------------------------------------------------------------------ plumbing
    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> "JobStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the database lock up front (atomic claims)."""
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def journal_mode(self) -> str:
        """The database's journal mode (``wal``)."""
        return self._conn.execute("PRAGMA journal_mode").fetchone()[0]

    def _row_to_job(self, row: sqlite3.Row) -> Job:
        data = dict(row)
        data["spec"] = json.loads(data["spec"])
        data["result"] = json.loads(data["result"]) if data["result"] else {}
        if data["run_dir"]:
            data["run_dir"] = str(self.runs_dir / data["run_dir"])
        return Job(**data)

    @staticmethod
    def _event(conn: sqlite3.Connection, job_id: int, status: str, message: str = "") -> None:
        conn.execute("INSERT INTO events (job_id, at, status, message) VALUES (?, ?, ?, ?)",
                     (job_id, time.time(), status, message))

    # ------------------------------------------------------------------ jobs
    def create_job(self, spec: JobSpec, executor: str = "local",
                   address: str | None = None) -> Job:
        """Store a validated spec as a ``queued`` job and create its run folder."""
        now = time.time()
        spec_json = spec.model_dump_json()
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO jobs (name, task, model, spec, status, executor, address, steps, "
                "created_at, updated_at, max_retries) VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?, ?)",
                (spec.display_name, spec.task, spec.model, spec_json, executor, address,
                 spec.steps, now, now, spec.retries))
            job_id = int(cursor.lastrowid)
            run_dir = f"jobs/{job_id:06d}-{spec.display_name}"
            conn.execute("UPDATE jobs SET run_dir = ? WHERE id = ?", (run_dir, job_id))
            self._event(conn, job_id, "queued", f"submitted ({executor})")
        folder = self.runs_dir / run_dir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "spec.json").write_text(json.dumps(json.loads(spec_json), indent=2) + "\n")
        return self.require(job_id)

    def get(self, job_id: int) -> Job | None:
        """The job or None."""
        row = self._conn.execute("SELECT * FROM jobs WHERE id = ?", (int(job_id),)).fetchone()
        return self._row_to_job(row) if row else None

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
        return [self._row_to_job(row) for row in self._conn.execute(query, params)]

    def events(self, job_id: int) -> list[dict[str, Any]]:
        """Status transitions of a job, oldest first."""
        rows = self._conn.execute("SELECT at, status, message FROM events WHERE job_id = ? "
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

    def heartbeat(self, job_id: int, attempt: int | None = None) -> tuple[bool, bool]:
        """Record a heartbeat for a running job.

        Returns ``(still_ours, cancel_requested)``: ``still_ours`` is False when the job is no
        longer running under this attempt (it was declared lost and resumed elsewhere), in which
        case the caller must stop without writing more.
        """
        now = time.time()
        query = "UPDATE jobs SET heartbeat_at = ? WHERE id = ? AND status = 'running'"
        params: list[Any] = [now, job_id]
        if attempt is not None:
            query += " AND attempts = ?"
            params.append(attempt)
        with self._write() as conn:
            updated = conn.execute(query, params).rowcount
            row = conn.execute("SELECT cancel_requested FROM jobs WHERE id = ?",
                               (job_id,)).fetchone()
        return bool(updated), bool(row and row["cancel_requested"])

    def touch_starting(self, job_ids: list[int]) -> None:
        """Worker heartbeat on behalf of claimed jobs whose runner has not reported yet."""
        if not job_ids:
            return
        marks = ",".join("?" * len(job_ids))
        with self._write() as conn:
            conn.execute(f"UPDATE jobs SET heartbeat_at = ? WHERE status = 'running' AND "
                         f"pid IS NULL AND id IN ({marks})", (time.time(), *job_ids))

    def set_external_id(self, job_id: int, external_id: str) -> None:
        """Record the executor's own id for the job (Ray submission id)."""
        with self._write() as conn:
            conn.execute("UPDATE jobs SET external_id = ?, updated_at = ? WHERE id = ?",
                         (external_id, time.time(), job_id))

    def log_metrics(self, job_id: int, rows: list[dict[str, Any]]) -> None:
        """Insert per-step metric dicts (each with ``step``); a step logged twice keeps the
        last value, so the history never holds duplicates."""
        if not rows:
            return
        now = time.time()
        payload = [(job_id, int(row["step"]), now, json.dumps(row, default=float)) for row in rows]
        last = max(int(row["step"]) for row in rows)
        with self._write() as conn:
            conn.executemany("INSERT OR REPLACE INTO metrics (job_id, step, at, data) "
                             "VALUES (?, ?, ?, ?)", payload)
            conn.execute("UPDATE jobs SET step = ?, heartbeat_at = ?, updated_at = ? "
                         "WHERE id = ? AND status = 'running'", (last, now, now, job_id))

    def truncate_metrics(self, job_id: int, after_step: int) -> int:
        """Delete metrics past ``after_step`` (they are recomputed after a resume) and record it
        as the step this attempt starts from; returns the number of rows removed."""
        with self._write() as conn:
            removed = conn.execute("DELETE FROM metrics WHERE job_id = ? AND step > ?",
                                   (job_id, after_step)).rowcount
            conn.execute("UPDATE jobs SET step = ?, start_step = ?, updated_at = ? WHERE id = ?",
                         (after_step, after_step, time.time(), job_id))
        return removed

    def metrics(self, job_id: int, after_step: int = -1) -> list[dict[str, Any]]:
        """Metric dicts of a job with ``step > after_step``, in step order."""
        rows = self._conn.execute("SELECT data FROM metrics WHERE job_id = ? AND step > ? "
                                  "ORDER BY step", (int(job_id), int(after_step)))
        return [json.loads(row[0]) for row in rows]

    def metric_steps(self, job_id: int) -> list[int]:
        """The logged steps of a job, in order (for gap and duplicate checks)."""
        rows = self._conn.execute("SELECT step FROM metrics WHERE job_id = ? ORDER BY step",
                                  (int(job_id),))
        return [int(row[0]) for row in rows]

    def record_checkpoint(self, job_id: int, step: int, path: str | Path) -> None:
        """Remember the newest checkpoint of a job."""
        with self._write() as conn:
            conn.execute("UPDATE jobs SET checkpoint_step = ?, checkpoint = ?, updated_at = ? "
                         "WHERE id = ?", (int(step), str(path), time.time(), job_id))

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
        rows = self._conn.execute("SELECT id, attempts FROM jobs WHERE status = 'running' AND "
                                  "heartbeat_at < ?", (cutoff,)).fetchall()
        lost = []
        for row in rows:
            status = self.finish(int(row["id"]), "lost",
                                 f"no heartbeat for {timeout_s:g} s", attempt=int(row["attempts"]))
            if status in ("lost", "queued"):
                lost.append(int(row["id"]))
        return lost

    # ------------------------------------------------------------------ workers
    def register_worker(self, worker_id: str, slots: int, gpus: list[str]) -> None:
        """Record a worker pool (one row per ``worker`` process)."""
        now = time.time()
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO workers (id, host, pid, slots, gpus, started_at, "
                         "heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (worker_id, socket.gethostname(), os.getpid(), slots,
                          ",".join(gpus), now, now))

    def worker_heartbeat(self, worker_id: str) -> bool:
        """Refresh a worker's heartbeat; returns True when it was asked to stop."""
        with self._write() as conn:
            conn.execute("UPDATE workers SET heartbeat_at = ? WHERE id = ?",
                         (time.time(), worker_id))
            row = conn.execute("SELECT stop_requested FROM workers WHERE id = ?",
                               (worker_id,)).fetchone()
        return bool(row and row["stop_requested"])

    def worker_stopped(self, worker_id: str) -> None:
        """Mark a worker as ended."""
        with self._write() as conn:
            conn.execute("UPDATE workers SET stopped_at = ? WHERE id = ?", (time.time(), worker_id))

    def live_workers(self, timeout_s: float | None = None) -> list[dict[str, Any]]:
        """Workers that have not stopped and whose heartbeat is fresh."""
        timeout_s = heartbeat_timeout_s() if timeout_s is None else timeout_s
        rows = self._conn.execute("SELECT * FROM workers WHERE stopped_at IS NULL AND "
                                  "heartbeat_at >= ?", (time.time() - timeout_s,))
        return [dict(row) for row in rows]

    def request_worker_stop(self, worker_id: str | None = None) -> int:
        """Ask one (or every live) worker to stop gracefully; returns how many were asked."""
        with self._write() as conn:
            if worker_id:
                return conn.execute("UPDATE workers SET stop_requested = 1 WHERE id = ? AND "
                                    "stopped_at IS NULL", (worker_id,)).rowcount
            return conn.execute("UPDATE workers SET stop_requested = 1 WHERE stopped_at IS NULL"
                                ).rowcount
