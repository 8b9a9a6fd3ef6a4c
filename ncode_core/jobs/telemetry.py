"""The job store's progress records: heartbeats, per-step metrics, checkpoints, worker pools.

What runners and workers write while jobs run, split from the job lifecycle
(:mod:`ncode_core.jobs.store`). :class:`ProgressRecords` is a base of
:class:`~ncode_core.jobs.store.JobStore`; use it through the store.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from ncode_core.jobs.database import Database, heartbeat_timeout_s


class ProgressRecords(Database):
    """Heartbeats, metrics, checkpoints of running jobs and the worker pools' rows."""

    # ------------------------------------------------------------------ running jobs
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
        rows = self._read("SELECT data FROM metrics WHERE job_id = ? AND step > ? "
                          "ORDER BY step", (int(job_id), int(after_step)))
        return [json.loads(row[0]) for row in rows]

    def metric_steps(self, job_id: int) -> list[int]:
        """The logged steps of a job, in order (for gap and duplicate checks)."""
        rows = self._read("SELECT step FROM metrics WHERE job_id = ? ORDER BY step",
                          (int(job_id),))
        return [int(row[0]) for row in rows]

    def record_checkpoint(self, job_id: int, step: int, path: str | Path) -> None:
        """Remember the newest checkpoint of a job."""
        with self._write() as conn:
            conn.execute("UPDATE jobs SET checkpoint_step = ?, checkpoint = ?, updated_at = ? "
                         "WHERE id = ?", (int(step), str(path), time.time(), job_id))

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
        rows = self._read("SELECT * FROM workers WHERE stopped_at IS NULL AND "
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
