"""Helpers of the fault-injection suite: tmpfs mounts, a disk filler, CLI calls."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest

from tests.unit.jobs_helpers import cli_in_process, wait_until

JOB_START_TIMEOUT_S = 300  # interpreter + torch start-ups of a worker and a runner, under load


class Mounts:
    """tmpfs mounts made by a test (needs root; the suite's CI container runs as root)."""

    def __init__(self) -> None:
        self.points: list[Path] = []

    def tmpfs(self, point: Path, size: str, read_only: bool = False) -> Path:
        point.mkdir(parents=True, exist_ok=True)
        options = f"size={size}" + (",ro" if read_only else "")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, f"ncode-{uuid.uuid4().hex[:6]}",
                               str(point)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
        self.points.append(point)
        return point

    def remount_read_only(self, point: Path) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)

    def unmount_all(self) -> None:
        for point in reversed(self.points):
            subprocess.run(["umount", "-l", str(point)], capture_output=True)


def fill_disk(folder: Path) -> Path:
    """Write a file in ``folder`` until its filesystem is full; returns the file."""
    filler = folder / "filler.bin"
    block = b"\0" * 4096
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(block)
        except OSError:
            pass
    return filler


def in_process(*args: str) -> subprocess.CompletedProcess:
    """The CLI's ``main(ARGS)`` run in this process (no interpreter and torch start-up, which
    cost seconds per call on a loaded 2-core machine), as a CompletedProcess like :func:`cli`'s.
    The store comes from ``$NCODE_RUNS_DIR`` (the ``runs`` fixture sets it)."""
    code, out, err = cli_in_process(*args)
    return subprocess.CompletedProcess(["python", "-m", "ncode_core", *args], code, out, err)


def submit(runs: Path, *args: str) -> subprocess.CompletedProcess:
    """``submit --no-worker --json ARGS`` to the store at ``runs`` (in this process: a real
    process only adds a start-up; the worker and job processes are what the faults hit)."""
    return in_process("submit", "--no-worker", "--json", "--runs-dir", str(runs), *args)


def tree(folder: Path) -> list[str]:
    """Every path under ``folder``, relative, sorted (to show nothing was written); SQLite's
    ``-wal``/``-shm`` files, which come and go with connections, are left out."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if not p.name.endswith(("-wal", "-shm")))


def one_line_error(err: str) -> str:
    """The one error line of a failed command: stderr's last line, and the only one that is an
    error (progress lines may come before it; a traceback fails)."""
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert errors == lines[-1:] and "Traceback" not in err, err[-2000:]
    return lines[-1]


def read_job(runs: Path, job_id: int):
    """The job's row, read through a fresh store connection."""
    import ncode_core as nc

    with nc.JobStore(runs) as store:
        return store.require(job_id)


def wait_for_job(runs: Path, job_id: int, condition, message: str,
                 timeout: float = JOB_START_TIMEOUT_S):
    """Poll the job until ``condition(job)`` or it ends; returns the job."""

    def reached():
        job = read_job(runs, job_id)
        return job if condition(job) or job.terminal else None

    return wait_until(reached, timeout=timeout, message=message)
