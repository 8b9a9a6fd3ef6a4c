"""Half-done writes (issue 8, items 2 and 3) with real processes: a full disk at submission,
under a running job and under ``train --out``; a run folder that cannot be made; a run folder
replaced by a symlink. Each asserts the message, the exit status, the job states afterwards and
that nothing was left half-written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import ncode_core as nc
from tests.faults.fault_helpers import (
    fill_disk,
    one_line_error,
    read_job,
    submit,
    tree,
    wait_for_job,
)
from tests.unit.jobs_helpers import cli_in_process

SHORT_JOB = ("--task", "reflection", "--model", "node", "--steps", "3")


def job_count(runs: Path) -> int:
    with nc.JobStore(runs) as store:
        return len(store.list_jobs())


def test_a_full_disk_at_submission_stores_nothing(runs, mounts):
    mounts.tmpfs(runs, "2m")
    assert submit(runs, *SHORT_JOB).returncode == 0
    before = tree(runs)
    filler = fill_disk(runs)
    code, out, err = cli_in_process("submit", "--no-worker", *SHORT_JOB)
    assert code == 2 and out == ""
    assert "disk full" in one_line_error(err)
    filler.unlink()
    assert tree(runs) == before  # no row, no folder, no temporary folder
    assert job_count(runs) == 1


def test_a_run_folder_that_cannot_be_made_leaves_no_row(runs):
    runs.mkdir()
    (runs / "jobs").write_text("not a folder\n")  # the folder of every run cannot be created
    code, _, err = cli_in_process("submit", "--no-worker", *SHORT_JOB)
    assert code == 2 and "File exists" in one_line_error(err)
    (runs / "jobs").unlink()
    assert job_count(runs) == 0  # the row was rolled back with the folder
    assert tree(runs) == ["ncode.db"]  # and no folder or temporary folder survived
    code, out, _ = cli_in_process("submit", "--no-worker", "--json", *SHORT_JOB)
    created = json.loads(out.splitlines()[-1])
    # the failed attempt left no trace of id 1 anywhere, so the next job may take it
    assert code == 0 and created["id"] == 1 and Path(created["run_dir"]).is_dir()


def test_a_symlinked_run_folder_is_never_followed(runs, tracker, tmp_path):
    done = submit(runs, *SHORT_JOB)
    job_id = json.loads(done.stdout.splitlines()[-1])["id"]
    folder = Path(read_job(runs, job_id).run_dir)
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(folder)
    folder.symlink_to(outside, target_is_directory=True)
    code, _, err = cli_in_process("jobs", "run", str(job_id))
    assert code == 2 and "is a symbolic link or lies outside" in one_line_error(err)
    tracker.worker("--idle-exit", "2")
    job = wait_for_job(runs, job_id, lambda job: False, "the worker to fail the job")
    assert job.status == "failed" and "symbolic link" in job.error
    assert list(outside.iterdir()) == []  # nothing written through the link


def test_a_disk_full_under_a_running_job_fails_it_with_that_reason(runs, tracker, mounts):
    done = submit(runs, "--task", "reflection", "--model", "node", "--steps", "100000",
                  "--checkpoint-every", "20")
    job_id = json.loads(done.stdout.splitlines()[-1])["id"]
    folder = Path(read_job(runs, job_id).run_dir)
    spec = (folder / "spec.json").read_bytes()
    mounts.tmpfs(folder, "1m")  # the run folder's own small disk; the store stays writable
    (folder / "spec.json").write_bytes(spec)
    tracker.worker()
    job = wait_for_job(runs, job_id, lambda job: job.step >= 3, "the job to run")
    assert job.status == "running", (job.status, job.error)
    fill_disk(folder)
    job = wait_for_job(runs, job_id, lambda job: False, "the job to fail")
    assert job.status == "failed" and "disk full (no space left on device)" in job.error
    assert not list(folder.glob("checkpoints/*.tmp"))  # no half-written checkpoint
    with nc.JobStore(runs) as store:
        steps = store.metric_steps(job_id)
    assert steps == list(range(1, len(steps) + 1))  # the history has no gaps or duplicates


def test_train_out_on_a_full_disk_is_one_line_and_leaves_no_partial_file(tmp_path, mounts):
    out = mounts.tmpfs(tmp_path / "out", "1m")
    filler = fill_disk(out)
    code, _, err = cli_in_process("train", "--task", "reflection", "--model", "node",
                                  "--steps", "1", "--out", str(out))
    assert code == 1 and "disk full" in one_line_error(err)
    assert sorted(p.name for p in out.iterdir()) == [filler.name]
