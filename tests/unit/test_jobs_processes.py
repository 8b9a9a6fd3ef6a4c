"""Jobs with real processes: worker pools, job processes, SIGKILL, restarts, races, cancel.

Every test ends every process it started (``ProcessTracker.cleanup``), even on failure.
Timings are shortened through the environment (heartbeat 0.3 s, lost after 4 s, grace 3 s).
"""

from __future__ import annotations

import json
import os
import signal
import struct
import time
from pathlib import Path

import pytest

from tests.unit.jobs_helpers import (
    FAST_ENV,
    ProcessTracker,
    cli,
    cli_in_process,
    pid_alive,
    wait_until,
)
from ncode_core.jobs import JobError, JobStore, cancel_job, refresh_jobs, resume_job, submit_job

HEARTBEAT_TIMEOUT = float(FAST_ENV["NCODE_HEARTBEAT_TIMEOUT_S"])


@pytest.fixture
def runs(tmp_path, monkeypatch):
    for key, value in FAST_ENV.items():
        monkeypatch.setenv(key, value)
    path = tmp_path / "runs"
    path.mkdir()
    return path


@pytest.fixture
def tracker(runs):
    tracked = ProcessTracker(runs)
    yield tracked
    tracked.cleanup()


def _submit(runs: Path, **spec) -> int:
    return submit_job({"task": "reflection", "model": "ncode_open", **spec}, runs,
                      start_worker=False).id


def _job(runs: Path, job_id: int):
    with JobStore(runs) as store:
        return store.require(job_id)


def _steps(runs: Path, job_id: int) -> list[int]:
    with JobStore(runs) as store:
        return store.metric_steps(job_id)


def _wait_status(runs: Path, job_id: int, statuses: tuple[str, ...], timeout: float):
    return wait_until(lambda: (job := _job(runs, job_id)).status in statuses and job,
                      timeout, message=f"job {job_id} to reach {statuses}")


def _tensorboard_scalars(run_dir: str) -> tuple[dict[str, list[int]], list[int]]:
    """Steps per scalar tag and the purge (session start) steps, read from the TFRecord event
    files with tensorboardX's protobuf definitions (not through the writer)."""
    from tensorboardX.proto import event_pb2

    tags: dict[str, list[int]] = {}
    starts: list[int] = []
    for path in sorted((Path(run_dir) / "tensorboard").glob("events.out.tfevents.*")):
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset:offset + 8])
            record = data[offset + 12:offset + 12 + length]
            offset += 12 + length + 4
            event = event_pb2.Event.FromString(record)
            if event.HasField("session_log") and event.session_log.status == 1:
                starts.append(event.step)
            for value in event.summary.value:
                tags.setdefault(value.tag, []).append(event.step)
    return tags, starts


def test_sigkilled_job_is_lost_then_resume_completes_history(runs, tracker):
    steps = 150
    job_id = _submit(runs, steps=steps, checkpoint_every=5, name="killme")
    tracker.worker("--slots", "1", "--runs-dir", str(runs))
    job = wait_until(lambda: (j := _job(runs, job_id)).pid and (j.checkpoint_step or 0) >= 10 and j,
                     90, message="the job to checkpoint step 10")
    assert job.status == "running" and job.step < steps
    os.kill(job.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    lost = _wait_status(runs, job_id, ("lost",), HEARTBEAT_TIMEOUT + 2)
    assert time.monotonic() - killed_at <= HEARTBEAT_TIMEOUT + 2
    assert "SIGKILL" in lost.error
    checkpoint_step = lost.checkpoint_step
    assert 10 <= checkpoint_step < steps

    resume_job(job_id, runs, start_worker=False)  # the live worker picks it up
    done = _wait_status(runs, job_id, ("succeeded", "failed"), 120)
    assert done.status == "succeeded", done.error
    assert _steps(runs, job_id) == list(range(1, steps + 1))  # no duplicates, no gaps
    assert done.attempts == 2 and done.start_step == checkpoint_step
    log = Path(done.run_dir, "log.txt").read_text()
    assert f"resuming from step-{checkpoint_step:08d}.pt" in log
    tags, starts = _tensorboard_scalars(done.run_dir)
    assert sorted(set(tags["train_loss"])) == list(range(1, steps + 1))
    assert checkpoint_step + 1 in starts  # TensorBoard purges the killed attempt's tail


def test_worker_pool_killed_and_restarted_runs_queued_jobs(runs, tracker):
    crashed = _submit(runs, steps=100000, checkpoint_every=5, name="crashed")
    short = _submit(runs, steps=3, name="short")
    long_run = _submit(runs, steps=100000, checkpoint_every=5, name="preempted")
    first = tracker.worker("--slots", "1", "--runs-dir", str(runs))
    job = wait_until(lambda: (j := _job(runs, crashed)).pid and j.step > 0 and j, 90,
                     message="the first job to run")
    os.killpg(first.pid, signal.SIGKILL)  # the pool and its job die together (a crash)
    os.killpg(job.pid, signal.SIGKILL)
    first.wait(timeout=10)
    killed_at = time.monotonic()
    with JobStore(runs) as store:
        wait_until(lambda: refresh_jobs(store, sync_ray=False) or
                   store.require(crashed).status == "lost", HEARTBEAT_TIMEOUT + 2,
                   message="the crashed job to be reported lost")
    assert time.monotonic() - killed_at <= HEARTBEAT_TIMEOUT + 2
    assert _job(runs, crashed).status == "lost"
    assert _job(runs, short).status == "queued" and _job(runs, long_run).status == "queued"

    second = tracker.worker("--slots", "2", "--runs-dir", str(runs))
    assert _wait_status(runs, short, ("succeeded", "failed"), 90).status == "succeeded"
    wait_until(lambda: (j := _job(runs, long_run)).status == "running" and
               (j.checkpoint_step or 0) >= 5, 90, message="the long job to checkpoint")
    assert _job(runs, crashed).status == "lost"  # lost jobs wait for an explicit resume

    code, out, err = cli_in_process("worker", "--stop", "--wait", "60", "--runs-dir", str(runs),
                                    "--json")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["stopped"] == 1
    assert second.wait(timeout=30) == 0
    preempted = _job(runs, long_run)
    assert preempted.status == "queued" and preempted.checkpoint_step >= 5  # requeued, resumable
    assert _steps(runs, long_run) == list(range(1, preempted.step + 1))


def test_two_workers_never_run_the_same_job(runs, tracker):
    ids = [_submit(runs, steps=1, name=f"race{i}") for i in range(4)]
    for _ in range(2):
        tracker.worker("--slots", "1", "--runs-dir", str(runs), "--idle-exit", "2")
    for job_id in ids:
        _wait_status(runs, job_id, ("succeeded", "failed", "lost"), 180)
    with JobStore(runs) as store:
        jobs = [store.require(job_id) for job_id in ids]
        assert all(job.status == "succeeded" for job in jobs), [j.error for j in jobs]
        assert all(job.attempts == 1 for job in jobs)
        for job in jobs:
            assert [e["status"] for e in store.events(job.id)].count("running") == 1
            assert Path(job.run_dir, "log.txt").read_text().count("starting in pid") == 1
        assert len({job.worker_id for job in jobs}) == 2, "one worker did everything: no race"
    for process in tracker.processes:
        assert process.wait(timeout=30) == 0


def test_cancel_running_job_then_resume_with_more_steps(runs, tracker):
    job_id = _submit(runs, steps=100000, checkpoint_every=50, name="cancelme")
    tracker.worker("--slots", "1", "--runs-dir", str(runs))
    job = wait_until(lambda: (j := _job(runs, job_id)).pid and j.step >= 3 and j, 90,
                     message="the job to run")
    code, out, err = cli_in_process("jobs", "cancel", str(job_id), "--wait", "30", "--runs-dir",
                                    str(runs), "--json")
    assert code == 0, err
    payload = json.loads(out.strip().splitlines()[-1])
    assert payload["status"] == "cancelled"
    wait_until(lambda: not pid_alive(job.pid), 10, message="the job process to end")
    cancelled = _job(runs, job_id)
    assert cancelled.checkpoint_step == cancelled.step  # checkpoint written on SIGTERM
    target = cancelled.step + 4
    assert resume_job(job_id, runs, steps=target, start_worker=False).status == "queued"
    done = _wait_status(runs, job_id, ("succeeded", "failed"), 90)
    assert done.status == "succeeded" and done.step == target
    assert _steps(runs, job_id) == list(range(1, target + 1))
    with pytest.raises(JobError, match="already ended"):
        cancel_job(job_id, runs)


def test_submit_starts_a_pool_on_demand_and_a_failing_job_reports_why(runs, tracker,
                                                                      monkeypatch):
    monkeypatch.setenv("NCODE_WORKER_IDLE_EXIT_S", "3")
    result = cli(runs, "submit", "--task", "annuli", "--model", "ncode_open", "--steps", "5",
                 "--name", "doomed", "--set", "solver.max_num_steps=1", "--runs-dir", str(runs),
                 "--json")  # no --no-worker: submit starts a pool
    assert result.returncode == 0, result.stderr
    job_id = json.loads(result.stdout.strip().splitlines()[-1])["id"]
    failed = _wait_status(runs, job_id, ("failed", "succeeded", "lost"), 120)
    assert failed.status == "failed" and failed.error == "max steps exceeded at step 1"
    with JobStore(runs) as store:
        workers = store.live_workers(timeout_s=1e9)
        assert len(workers) == 1 and failed.worker_id == workers[0]["id"]
        assert workers[0]["pid"] != os.getpid()
    # nothing hangs: the on-demand pool goes idle and exits
    wait_until(lambda: not pid_alive(workers[0]["pid"]), 60, message="the pool to exit")

    code, out, _ = cli_in_process("jobs", "show", str(job_id), "--runs-dir", str(runs), "--json")
    payload = json.loads(out.strip().splitlines()[-1])
    assert payload["status"] == "failed" and payload["error"] == "max steps exceeded at step 1"
    assert {"id", "step", "pid", "run_dir"} <= set(payload) and payload["pid"] is None
    code, out, _ = cli_in_process("jobs", "list", "--status", "failed", "--runs-dir", str(runs))
    assert code == 0 and "doomed" in out and "max steps exceeded at step 1" in out
    # the job has ended: --follow prints the whole log and returns
    code, out, _ = cli_in_process("jobs", "logs", str(job_id), "--follow", "--runs-dir", str(runs))
    assert code == 0 and "starting in pid" in out
    assert "failed: ODE solver failed: max steps exceeded" in out
    code, _, err = cli_in_process("jobs", "cancel", str(job_id), "--runs-dir", str(runs))
    assert code == 2 and err.strip() == f"error: job {job_id} has already ended (failed)"


def test_cancel_escalates_to_sigkill_when_a_step_ignores_sigterm(runs, tracker):
    # one very slow step (tight tolerances, big batch): SIGTERM only sets a flag that the
    # runner reads between steps, so the worker must SIGKILL after the grace period
    job_id = _submit(runs, task="annuli", steps=3, name="stuck",
                     solver={"rtol": 1e-12, "atol": 1e-12, "max_num_steps": 10_000_000},
                     training={"batch_size": 8192})
    tracker.worker("--slots", "1", "--runs-dir", str(runs), "--grace", "2")
    job = wait_until(lambda: (j := _job(runs, job_id)).pid and j, 90, message="the job to start")
    time.sleep(1.5)  # inside its first step
    started = time.monotonic()
    cancel_job(job_id, runs)
    cancelled = _wait_status(runs, job_id, ("cancelled", "failed", "lost", "succeeded"), 30)
    elapsed = time.monotonic() - started
    assert cancelled.status == "cancelled" and cancelled.step == 0
    assert 2 <= elapsed < 15, elapsed  # not cooperative (the step is longer), not late
    assert "-9" in (cancelled.error or "")
    assert not pid_alive(job.pid)
