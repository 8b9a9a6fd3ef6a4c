"""Shared helpers for the jobs tests: real worker/runner processes with short timings, and
cleanup that ends every process a test started (even when it fails)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]

# Short timings so the tests are fast; production defaults are 5 s / 30 s / 10 s.
FAST_ENV = {
    "NCODE_THREADS": "1",
    "NCODE_HEARTBEAT_S": "0.3",
    "NCODE_HEARTBEAT_TIMEOUT_S": "4",
    "NCODE_CANCEL_GRACE_S": "3",
}


def job_env(runs_dir: Path) -> dict[str, str]:
    """Environment for CLI/worker processes of a test store."""
    env = dict(os.environ)
    env.update(FAST_ENV)
    env["NCODE_RUNS_DIR"] = str(runs_dir)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def cli(runs_dir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run ``python -m ncode_core ARGS`` against the test store."""
    return subprocess.run([sys.executable, "-m", "ncode_core", *args], cwd=REPO,
                          env=job_env(runs_dir), capture_output=True, text=True, timeout=timeout)


def cli_in_process(*args: str) -> tuple[int, str, str]:
    """Run the CLI's ``main(ARGS)`` in this process (no interpreter start-up): exit code,
    stdout, stderr."""
    import contextlib
    import io

    from ncode_core.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


class ProcessTracker:
    """Starts worker processes and, at teardown, kills them and every job process recorded in
    the store (process groups), so nothing outlives a test."""

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = runs_dir
        self.processes: list[subprocess.Popen] = []

    def worker(self, *args: str) -> subprocess.Popen:
        log = open(self.runs_dir / f"worker-{len(self.processes)}.out", "ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "ncode_core", "worker", "--poll", "0.1", *args],
            cwd=REPO, env=job_env(self.runs_dir), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        self.processes.append(process)
        return process

    def cleanup(self) -> None:
        kill_store_processes(self.runs_dir, {p.pid for p in self.processes})
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def kill_store_processes(runs_dir, pids: set[int] | None = None) -> None:
    """SIGKILL ``pids`` and every job and worker process the store at ``runs_dir`` knows
    (process groups first, so a job's children go too)."""
    pids = set(pids or ())
    try:
        from ncode_core.jobs import JobStore

        store = JobStore(runs_dir)
        pids |= {job.pid for job in store.list_jobs() if job.pid}
        pids |= {w["pid"] for w in store.live_workers(timeout_s=1e9)}
        store.close()
    except Exception:  # a broken store must not stop the clean-up
        pass
    for pid in pids:
        for send in (os.killpg, os.kill):
            try:
                send(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def wait_until(predicate: Callable[[], object], timeout: float, interval: float = 0.1,
               message: str = "condition") -> object:
    """Poll ``predicate`` until truthy (returned) or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {message}")
        time.sleep(interval)


def pid_alive(pid: int) -> bool:
    """True when a process with this pid exists (zombies count as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False
