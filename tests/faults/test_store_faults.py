"""Store faults (issue 8, item 2) with real worker and job processes: the database deleted or
corrupted under a running worker, a corrupt database, a read-only runs folder, a runs path
that is a file. Each asserts the message, the exit status, the job and process states, and
that nothing new was written."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

import ncode_core as nc
from tests.faults.fault_helpers import in_process, one_line_error, submit, tree, wait_for_job
from tests.unit.jobs_helpers import cli, cli_in_process, pid_alive, wait_until

LONG_JOB = ("--task", "reflection", "--model", "node", "--steps", "100000",
            "--checkpoint-every", "20")


def running_job(runs: Path, tracker) -> tuple[subprocess.Popen, nc.Job]:
    """A worker running a long job that has logged a few steps."""
    queued = submit(runs, *LONG_JOB)
    assert queued.returncode == 0, queued.stderr
    job_id = json.loads(queued.stdout.splitlines()[-1])["id"]
    worker = tracker.worker()
    job = wait_for_job(runs, job_id, lambda job: job.pid and job.step >= 3, "the job to run")
    assert job.status == "running", (job.status, job.error)
    return worker, job


def worker_output(runs: Path) -> str:
    return (runs / "worker-0.out").read_text(errors="replace")


def each_command(runs: Path, commands: tuple[tuple[str, ...], ...]):
    """Run ``commands`` against the store at ``runs``: the first in a real process (its exit
    status and stderr as a user sees them), the others in this process (the same ``main``,
    without an interpreter and torch start-up each). Yields (args, CompletedProcess)."""
    for index, args in enumerate(commands):
        yield args, (cli(runs, *args) if index == 0 else
                     in_process(*args, "--runs-dir", str(runs)))


def test_deleting_the_database_stops_the_worker_and_refuses_a_second_history(runs, tracker):
    worker, job = running_job(runs, tracker)
    (runs / "ncode.db").unlink()
    assert worker.wait(timeout=60) == 2  # stopped by itself, not by the test's clean-up
    assert f"job store {runs / 'ncode.db'} was deleted" in worker_output(runs)
    wait_until(lambda: not pid_alive(job.pid), timeout=30, message="the job process to end")
    folders = tree(runs / "jobs")
    # a new database would reuse id 1 beside the old run folder: refused, nothing created
    for args, done in each_command(runs, (("submit", "--no-worker", *LONG_JOB),
                                          ("worker", "--stop"), ("jobs", "list"))):
        assert done.returncode == 2, args
        assert "is missing but" in one_line_error(done.stderr)
        assert "holds 1 run folder(s)" in done.stderr
    assert not (runs / "ncode.db").exists()
    assert tree(runs / "jobs") == folders


def test_corrupting_the_database_stops_the_worker_and_every_command_says_so(runs, tracker):
    worker, job = running_job(runs, tracker)
    with open(runs / "ncode.db", "r+b") as handle:  # overwritten in place: same file, same inode
        handle.write(b"this is not a database" * 200)
    assert worker.wait(timeout=60) == 2
    assert "is corrupt (not an SQLite database)" in worker_output(runs)
    wait_until(lambda: not pid_alive(job.pid), timeout=30, message="the job process to end")
    # A process that closes its last connection checkpoints the WAL into the file, which can
    # rewrite the damaged pages; damage it again so the commands below meet a corrupt store.
    with open(runs / "ncode.db", "r+b") as handle:
        handle.write(b"this is not a database" * 200)
    for args, done in each_command(runs, (("jobs", "list"), ("jobs", "show", str(job.id)),
                                          ("submit", "--no-worker", *LONG_JOB))):
        assert done.returncode == 2, args
        assert "the database is corrupt" in one_line_error(done.stderr)
    assert not list(runs.glob("jobs/*/checkpoints/*.tmp"))


def test_a_read_only_runs_folder_is_one_line_and_left_untouched(runs, mounts):
    mounts.tmpfs(runs, "8m")
    assert submit(runs, "--task", "reflection", "--model", "node", "--steps", "3").returncode == 0
    before = tree(runs)
    mounts.remount_read_only(runs)
    for args, done in each_command(runs, (("submit", "--no-worker", "--task", "reflection",
                                           "--model", "node"), ("jobs", "list"))):
        assert done.returncode == 2, args
        assert "the runs folder is read-only" in one_line_error(done.stderr)
    assert tree(runs) == before


@pytest.mark.parametrize("below, reason", [("", "is not a folder"), ("runs", "Not a directory")])
def test_a_runs_path_that_is_not_a_folder_is_one_line(tmp_path, below, reason):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file\n")
    code, out, err = cli_in_process("jobs", "list", "--runs-dir", str(blocker / below))
    assert code == 2 and out == "" and reason in one_line_error(err)
    assert blocker.read_text() == "a file\n" and sorted(tmp_path.iterdir()) == [blocker]
