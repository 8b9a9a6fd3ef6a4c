"""The local executor: a worker pool that runs queued jobs, each in a fresh Python process.

``python -m ncode_core worker --slots N [--gpus 0,1]`` runs :class:`WorkerPool`. It claims queued
jobs atomically from the store (so several pools may share one store), starts
``python -m ncode_core jobs run ID`` for each in a new session (``start_new_session=True``; CUDA
does not survive ``fork``), pins it to a GPU through ``CUDA_VISIBLE_DEVICES`` when ``--gpus`` is
given, turns cancel requests into SIGTERM then SIGKILL after a grace period, reports a job whose
process died without reporting as ``lost`` (killed by a signal) or ``failed`` (exit status), and
declares ``lost`` any running job of the store whose heartbeat stopped.

``worker --stop`` asks every live pool to stop gracefully: running jobs get SIGTERM, save a
checkpoint and go back to the queue; queued jobs stay queued for the next pool.

Each poll first checks the store's identity: when ``ncode.db`` was deleted or replaced, the pool
stops its jobs and exits with status 4 rather than serving a database nobody reads. Other store
errors (a full disk, a lock held too long) are logged and retried on the next poll.

:class:`LocalExecutor` is this pool behind the :class:`~ncode_core.jobs.executors.Executor`
interface.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ncode_core.environment import env_number
from ncode_core.jobs.database import (
    StoreError,
    StoreGoneError,
    describe_failure,
    heartbeat_timeout_s,
)
from ncode_core.jobs.store import Job, JobStore

log = logging.getLogger(__name__)

DEFAULT_GRACE_S = 10.0
DEFAULT_POLL_S = 0.5
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def grace_period_s() -> float:
    """Seconds between SIGTERM and SIGKILL on cancel (``$NCODE_CANCEL_GRACE_S``, default 10)."""
    return env_number("NCODE_CANCEL_GRACE_S", DEFAULT_GRACE_S, minimum=0.0)


def runner_command(job_id: int, runs_dir: str | Path) -> list[str]:
    """The command every executor runs for a job (fresh interpreter, same environment)."""
    return [sys.executable, "-m", "ncode_core", "jobs", "run", str(job_id),
            "--runs-dir", str(Path(runs_dir).resolve())]


def child_environment(runs_dir: str | Path, gpu: str | None = None) -> dict[str, str]:
    """Environment of a job process: the package importable, the store path, one torch thread
    unless ``NCODE_THREADS`` says otherwise, and the assigned GPU."""
    env = dict(os.environ)
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = str(PACKAGE_ROOT) + (os.pathsep + path if path else "")
    env["NCODE_RUNS_DIR"] = str(Path(runs_dir).resolve())
    env.setdefault("NCODE_THREADS", "1")
    if gpu is not None:
        env["CUDA_VISIBLE_DEVICES"] = gpu
    return env


def signal_group(pid: int, sig: int) -> bool:
    """Send ``sig`` to the process group led by ``pid`` (falls back to the process itself);
    returns False when it no longer exists."""
    try:
        os.killpg(pid, sig)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        try:
            os.kill(pid, sig)
            return True
        except OSError:
            return False


@dataclass
class _Child:
    job_id: int
    attempt: int
    process: subprocess.Popen
    gpu: str | None
    log_file: IO[bytes]
    term_sent_at: float | None = None
    killed: bool = False


class WorkerPool:
    """Runs up to ``slots`` jobs at once from the store at ``runs_dir``.

    ``gpus``: device ids handed out round-robin to job processes (least busy first);
    ``idle_exit_s``: exit after this long with nothing to run (None: run until stopped).
    """

    def __init__(self, runs_dir: str | Path | None = None, slots: int = 1,
                 gpus: list[str] | None = None, poll_s: float = DEFAULT_POLL_S,
                 grace_s: float | None = None, heartbeat_timeout: float | None = None,
                 idle_exit_s: float | None = None) -> None:
        if slots < 1:
            raise ValueError(f"--slots must be >= 1 (got {slots})")
        if poll_s <= 0:
            raise ValueError(f"--poll must be > 0 seconds (got {poll_s})")
        self.store = JobStore(runs_dir)
        self.runs_dir = self.store.runs_dir
        self.slots = slots
        self.gpus = list(gpus or [])
        self.poll_s = poll_s
        self.grace_s = grace_period_s() if grace_s is None else grace_s
        self.heartbeat_timeout = (heartbeat_timeout_s() if heartbeat_timeout is None
                                  else heartbeat_timeout)
        self.idle_exit_s = idle_exit_s
        self.id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.children: dict[int, _Child] = {}
        self.stopping = False
        self.started_jobs = 0
        self.store_gone: str | None = None  # why the pool stopped early, if its store vanished

    # ------------------------------------------------------------------ loop
    def request_stop(self, *_args: Any) -> None:
        """Stop gracefully (signal handler for SIGTERM/SIGINT)."""
        self.stopping = True

    def run(self) -> int:
        """Serve the queue until stopped (or idle for ``idle_exit_s``); returns 0, or 4 when
        the store was deleted or replaced (``store_gone`` says which)."""
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)
        self.store.register_worker(self.id, self.slots, self.gpus)
        log.info("worker %s serving %s with %d slot(s)", self.id, self.store.path, self.slots)
        idle_since = time.monotonic()
        stop_sent = False
        try:
            while True:
                try:
                    self.store.check_identity()
                    self._poll_store()
                except StoreGoneError as error:
                    log.error("%s; stopping this worker and its jobs", error)
                    self.store_gone = str(error)
                    self._stop_for_good()
                    return 4
                except StoreError as error:  # disk full, busy: retried next poll
                    log.error("%s; retrying", error)
                if self.stopping:
                    if not stop_sent:
                        for child in self.children.values():
                            self._terminate(child)
                        stop_sent = True
                    self._escalate()
                    if not self.children:
                        break
                else:
                    while len(self.children) < self.slots and self._start_next():
                        pass
                if self.children:
                    idle_since = time.monotonic()
                elif (self.idle_exit_s is not None
                      and time.monotonic() - idle_since >= self.idle_exit_s):
                    log.info("idle for %.0f s; exiting", self.idle_exit_s)
                    break
                time.sleep(self.poll_s)
        finally:
            for child in list(self.children.values()):  # only on errors: leave no orphans
                self._terminate(child)
            if self.store_gone is None:
                try:
                    self.store.worker_stopped(self.id)
                except StoreError as error:
                    log.error("%s", error)
            self.store.close()
        return 0

    def _poll_store(self) -> None:
        """One round of store work: heartbeat, reap, cancels, liveness."""
        if self.store.worker_heartbeat(self.id):
            self.stopping = True
        self._reap()
        self._handle_cancels()
        self.store.touch_starting(list(self.children))
        self.store.mark_stale_lost(self.heartbeat_timeout)

    def _stop_for_good(self) -> None:
        """The store is gone: end every job process (their runners stop on their own too) and
        write nothing more."""
        for child in self.children.values():
            self._terminate(child)
        deadline = time.monotonic() + self.grace_s
        while time.monotonic() < deadline and any(
                child.process.poll() is None for child in self.children.values()):
            time.sleep(0.1)
        for child in self.children.values():
            if child.process.poll() is None:
                signal_group(child.process.pid, signal.SIGKILL)
                child.process.wait()
            child.log_file.close()
        self.children.clear()

    # ------------------------------------------------------------------ pieces
    def _pick_gpu(self) -> str | None:
        if not self.gpus:
            return None
        busy = [child.gpu for child in self.children.values()]
        return min(self.gpus, key=lambda gpu: (busy.count(gpu), self.gpus.index(gpu)))

    def _start_next(self) -> bool:
        gpu = self._pick_gpu()
        job = self.store.claim_next(self.id, gpu=gpu)
        if job is None:
            return False
        try:
            log_file = open(self.store.run_folder(job) / "process.log", "ab")
        except (StoreError, OSError) as error:
            reason = error if isinstance(error, StoreError) else describe_failure(error)
            self.store.finish(job.id, "failed", f"cannot open the run folder: {reason}",
                              attempt=job.attempts)
            return True
        try:
            process = subprocess.Popen(runner_command(job.id, self.runs_dir),
                                       env=child_environment(self.runs_dir, gpu),
                                       stdin=subprocess.DEVNULL, stdout=log_file,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       cwd=str(PACKAGE_ROOT))
        except OSError as error:
            log_file.close()
            self.store.finish(job.id, "failed", f"could not start the job process: {error}",
                              attempt=job.attempts)
            return True
        self.children[job.id] = _Child(job.id, job.attempts, process, gpu, log_file)
        self.started_jobs += 1
        log.info("job %d started in pid %d%s", job.id, process.pid,
                 f" on GPU {gpu}" if gpu is not None else "")
        return True

    def _terminate(self, child: _Child) -> None:
        if child.term_sent_at is None and child.process.poll() is None:
            signal_group(child.process.pid, signal.SIGTERM)
            child.term_sent_at = time.monotonic()

    def _escalate(self) -> None:
        now = time.monotonic()
        for child in self.children.values():
            if (child.term_sent_at is not None and not child.killed
                    and now - child.term_sent_at >= self.grace_s
                    and child.process.poll() is None):
                log.warning("job %d ignored SIGTERM for %.1f s; sending SIGKILL",
                            child.job_id, self.grace_s)
                signal_group(child.process.pid, signal.SIGKILL)
                child.killed = True

    def _handle_cancels(self) -> None:
        if not self.children:
            return
        for job_id, child in self.children.items():
            job = self.store.get(job_id)
            if job is None or job.cancel_requested:
                self._terminate(child)
            elif job.status not in ("running", "queued") or job.attempts != child.attempt:
                # declared lost (hung, no heartbeat) or taken over: this process must not go on
                self._terminate(child)
        self._escalate()

    def _reap(self) -> None:
        for job_id, child in list(self.children.items()):
            code = child.process.poll()
            if code is None:
                continue
            del self.children[job_id]
            child.log_file.close()
            job = self.store.get(job_id)
            if job is None or job.status != "running" or job.attempts != child.attempt:
                continue  # the runner reported its own end
            if job.cancel_requested:
                self.store.finish(job_id, "cancelled",
                                  f"cancelled at step {job.step} (process ended with {code})",
                                  attempt=child.attempt)
            elif self.stopping:
                self.store.requeue(job_id, "worker stopped; will resume from its checkpoint",
                                   attempt=child.attempt)
            elif code < 0:
                name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
                self.store.finish(job_id, "lost", f"process killed by {name} at step {job.step}",
                                  attempt=child.attempt)
            else:
                self.store.finish(job_id, "failed", f"job process exited with status {code} "
                                  "without reporting; see process.log", attempt=child.attempt)


def start_worker(runs_dir: str | Path | None = None, slots: int = 1,
                 gpus: list[str] | None = None, idle_exit_s: float | None = 300.0,
                 extra_args: list[str] | None = None) -> subprocess.Popen:
    """Start a worker pool in the background (own session, log ``<runs_dir>/worker.log``)."""
    store = JobStore(runs_dir)
    runs = store.runs_dir
    store.close()
    command = [sys.executable, "-m", "ncode_core", "worker", "--slots", str(slots),
               "--runs-dir", str(runs)]
    if gpus:
        command += ["--gpus", ",".join(gpus)]
    if idle_exit_s is not None:
        command += ["--idle-exit", str(idle_exit_s)]
    command += extra_args or []
    with open(runs / "worker.log", "ab") as log_file:
        return subprocess.Popen(command, env=child_environment(runs), stdin=subprocess.DEVNULL,
                                stdout=log_file, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=str(PACKAGE_ROOT))


def ensure_worker(runs_dir: str | Path | None = None, slots: int = 1,
                  idle_exit_s: float | None = None) -> int | None:
    """Start a worker pool unless one is alive for this store (or one started in the last
    20 s, or ``$NCODE_WORKER_AUTOSTART`` is ``0``); returns the new pool's pid or None.

    The pool exits after ``idle_exit_s`` idle seconds (default ``$NCODE_WORKER_IDLE_EXIT_S``
    or 300)."""
    if os.environ.get("NCODE_WORKER_AUTOSTART", "1") == "0":
        return None
    if idle_exit_s is None:
        idle_exit_s = env_number("NCODE_WORKER_IDLE_EXIT_S", 300.0, strictly_above=0.0)
    store = JobStore(runs_dir)
    try:
        if store.live_workers():
            return None
        marker = store.runs_dir / ".worker-starting"
        if marker.exists() and time.time() - marker.stat().st_mtime < 20:
            return None
        marker.touch()
        return start_worker(store.runs_dir, slots=slots, idle_exit_s=idle_exit_s).pid
    finally:
        store.close()


def terminate_orphan(store: JobStore, job: Job) -> None:
    """SIGTERM the job's process group, SIGKILL after the grace period, mark it cancelled."""
    if not signal_group(job.pid, 15):
        store.finish(job.id, "cancelled", "cancelled (process already gone)")
        return
    deadline = time.monotonic() + grace_period_s()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if store.require(job.id).terminal:
            return
        try:
            os.kill(job.pid, 0)
        except ProcessLookupError:
            break
    signal_group(job.pid, 9)
    store.finish(job.id, "cancelled", f"cancelled at step {store.require(job.id).step}")


class LocalExecutor:
    """The local worker pool as an :class:`~ncode_core.jobs.executors.Executor`.

    ``start_worker``: start a pool on submit when none is alive; ``slots``: that pool's slots.
    """

    name = "local"
    address = None  # a local pool has no address

    def __init__(self, start_worker: bool = True, slots: int = 1) -> None:
        self.start_worker, self.slots = start_worker, slots

    @classmethod
    def configured(cls, address: str | None = None, start_worker: bool = True,
                   slots: int = 1) -> "LocalExecutor":
        """The executor for ``executor_for`` (``address`` does not apply)."""
        return cls(start_worker=start_worker, slots=slots)

    def connect(self) -> None:
        """Nothing to reach: the pool is started on demand."""

    def submit(self, store: JobStore, job: Job) -> None:
        """Start a pool unless one is alive (the pool claims the job from the store)."""
        if self.start_worker:
            ensure_worker(store.runs_dir, slots=self.slots)

    def cancel(self, store: JobStore, job: Job) -> Job:
        """Flag the job; its pool signals it. A running job whose pool is gone is signalled
        directly when it runs on this host."""
        job = store.request_cancel(job.id)
        workers = {w["id"] for w in store.live_workers()}
        if (job.status == "running" and job.worker_id not in workers and job.pid
                and job.host == socket.gethostname()):
            terminate_orphan(store, job)
        return store.require(job.id)

    def refresh(self, store: JobStore, job: Job) -> Job:
        """Pools keep their jobs' rows current; lost jobs are found by heartbeat age."""
        return job
