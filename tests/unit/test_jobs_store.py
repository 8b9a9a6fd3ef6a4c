"""Job specs and the SQLite store: validation, atomic claims across processes, transitions,
metric history, retries, stale heartbeats, checkpoint refusal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from tests.unit.jobs_helpers import REPO, cli, cli_in_process, job_env
from ncode_core import ConfigError
from ncode_core.jobs import JobError, JobStore, validate_job_spec
from ncode_core.jobs.runner import checkpoint_path, list_checkpoints, run_job

GOOD = {"task": "annuli", "model": "ncode_open", "steps": 4, "checkpoint_every": 2}


@pytest.fixture
def store(tmp_path):
    with JobStore(tmp_path / "runs") as opened:
        yield opened


@pytest.mark.parametrize("change, fragment", [
    ({"model": "transformer"}, "unknown model 'transformer'"),
    ({"task": "imagenet"}, "unknown task 'imagenet'"),
    ({"steps": "many"}, "steps"),
    ({"steps": -5}, "greater than or equal to 0"),
    ({"colour": "red"}, "colour"),
    ({"name": "../x"}, "name"),
    ({"name": "a/b"}, "name"),
    ({"training": {"lr": -1}}, "training.lr"),
    ({"solver": {"method": "leapfrog"}}, "solver.method"),
    ({"overrides": ["training.nope=1"]}, "training.nope"),
    ({"tags": ["ok", "bad tag"]}, "tag"),
    ({"retries": -1}, "retries"),
])
def test_invalid_specs_are_refused_with_the_field_named(change, fragment):
    with pytest.raises(ConfigError) as caught:
        validate_job_spec({**GOOD, **change})
    message = str(caught.value)
    assert fragment in message and "\n" not in message


def test_cli_invalid_spec_exits_2_with_one_line_and_stores_nothing(tmp_path):
    runs = tmp_path / "runs"
    spec = tmp_path / "spec.yaml"
    spec.write_text("task: annuli\nmodel: ncode_open\nsteps: -3\n")
    result = cli(runs, "submit", str(spec), "--no-worker", "--json")  # a real interpreter
    assert result.returncode == 2, result
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "steps" in result.stderr and "Traceback" not in result.stderr and result.stdout == ""
    code, out, err = cli_in_process("submit", "--task", "annuli", "--model", "node", "--name",
                                    "../x", "--no-worker", "--runs-dir", str(runs), "--json")
    assert code == 2 and out == "" and err.count("\n") == 1 and "name" in err
    assert not (runs / "ncode.db").exists() or JobStore(runs).list_jobs() == []
    assert not (runs / "jobs").exists() or not any((runs / "jobs").iterdir())


def test_spec_file_and_flags(tmp_path):
    runs = tmp_path / "runs"
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"task": "reflection", "model": "ncode_open", "steps": 7,
                                "tags": ["a"], "training": {"lr": 0.02}}))
    code, out, err = cli_in_process("submit", str(spec), "--steps", "9", "--tag", "b", "--set",
                                    "solver.method=rk4", "--no-worker", "--runs-dir", str(runs),
                                    "--json")
    assert code == 0, err
    payload = json.loads(out.strip().splitlines()[-1])
    assert payload["status"] == "queued" and isinstance(payload["id"], int)
    job = JobStore(runs).require(payload["id"])
    assert job.steps == 9 and job.spec["tags"] == ["a", "b"]
    config = validate_job_spec(job.spec).run_config()
    assert config.training.lr == 0.02 and config.solver.method == "rk4"
    assert config.training.steps == 9
    assert (runs / job.run_dir / "spec.json").is_file()


def test_store_is_wal_and_lifecycle(store):
    job = store.create_job(validate_job_spec(GOOD))
    assert store.journal_mode() == "wal"
    assert job.status == "queued" and job.run_dir.startswith(str(store.runs_dir))
    claimed = store.claim_next("w1")
    assert claimed.id == job.id and claimed.status == "running" and claimed.attempts == 1
    assert store.claim_next("w2") is None
    store.log_metrics(job.id, [{"step": s, "train_loss": 1.0 / s} for s in (1, 2, 3)])
    store.log_metrics(job.id, [{"step": 3, "train_loss": 0.1}])  # re-logged: replaced
    assert store.metric_steps(job.id) == [1, 2, 3]
    assert store.metrics(job.id, after_step=2) == [{"step": 3, "train_loss": 0.1}]
    assert store.truncate_metrics(job.id, 2) == 1 and store.metric_steps(job.id) == [1, 2]
    assert store.finish(job.id, "succeeded", result={"test_loss": 0.5}) == "succeeded"
    assert store.finish(job.id, "failed", "late") == "succeeded"  # end states are final
    done = store.require(job.id)
    assert done.result == {"test_loss": 0.5} and done.finished_at is not None
    assert [e["status"] for e in store.events(job.id)] == ["queued", "running", "succeeded"]
    with pytest.raises(JobError, match="already ended"):
        store.request_cancel(job.id)
    with pytest.raises(JobError, match="can be resumed"):
        store.resume(job.id)
    store.record_checkpoint(job.id, 3, "unused.pt")
    with pytest.raises(JobError, match="--steps must be >= 3"):
        store.resume(job.id, steps=2)
    assert store.resume(job.id, steps=10).status == "queued"
    with pytest.raises(JobError, match="no job with id 99"):
        store.require(99)


def test_retries_requeue_failed_and_lost_runs(store):
    job = store.create_job(validate_job_spec({**GOOD, "retries": 1}))
    store.claim_next("w")
    assert store.finish(job.id, "failed", "NaN loss at step 3") == "queued"
    requeued = store.require(job.id)
    assert requeued.retries_used == 1 and "NaN loss" in requeued.error
    store.claim_next("w")
    assert store.finish(job.id, "failed", "NaN loss at step 3") == "failed"
    assert store.require(job.id).error == "NaN loss at step 3"


def test_stale_heartbeat_is_lost_and_old_attempt_cannot_write(store):
    job = store.create_job(validate_job_spec(GOOD))
    claimed = store.claim_next("w")
    store.mark_started(job.id, pid=12345)
    assert store.mark_stale_lost(timeout_s=5) == []
    time.sleep(0.3)
    assert store.mark_stale_lost(timeout_s=0.2) == [job.id]
    lost = store.require(job.id)
    assert lost.status == "lost" and "no heartbeat" in lost.error
    store.resume(job.id)
    store.claim_next("w2")
    assert store.heartbeat(job.id, attempt=claimed.attempts) == (False, False)
    assert store.heartbeat(job.id, attempt=claimed.attempts + 1)[0] is True
    assert store.finish(job.id, "failed", "x", attempt=claimed.attempts) == "running"


def test_cancel_queued_and_running(store):
    first = store.create_job(validate_job_spec(GOOD))
    second = store.create_job(validate_job_spec(GOOD))
    assert store.request_cancel(first.id).status == "cancelled"
    store.claim_next("w")
    running = store.request_cancel(second.id)
    assert running.status == "running" and running.cancel_requested
    assert store.heartbeat(second.id) == (True, True)


CLAIMER = """
import sys, json, time
from pathlib import Path
from ncode_core.jobs.store import JobStore
store = JobStore(sys.argv[1])
barrier, name, count = Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
(barrier / name).touch()
while len(list(barrier.iterdir())) < count:  # everyone has imported: now race
    time.sleep(0.001)
mine = []
while (job := store.claim_next(name)) is not None:
    mine.append(job.id)
print(json.dumps(mine))
"""


def test_claims_are_atomic_across_processes(tmp_path):
    runs, barrier = tmp_path / "runs", tmp_path / "barrier"
    barrier.mkdir()
    store = JobStore(runs)
    spec = validate_job_spec(GOOD)
    ids = {store.create_job(spec).id for _ in range(200)}
    processes = [subprocess.Popen([sys.executable, "-c", CLAIMER, str(runs), str(barrier),
                                   f"w{i}", "2"], cwd=REPO, env=job_env(runs),
                                  stdout=subprocess.PIPE, text=True) for i in range(2)]
    try:
        claimed = [json.loads(p.communicate(timeout=120)[0]) for p in processes]
    finally:
        for process in processes:
            process.kill()
    flat = [job_id for batch in claimed for job_id in batch]
    assert len(flat) == len(set(flat)) == len(ids) and set(flat) == ids
    assert all(claimed), "the race did not happen; test is void"
    assert all(job.attempts == 1 for job in store.list_jobs())


class _Exploit:
    def __reduce__(self):
        return (print, ("pickled code ran",))


def _run_in_process(runs, job_id):
    previous = signal.getsignal(signal.SIGTERM)
    try:
        return run_job(job_id, runs)
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_corrupt_or_pickled_checkpoint_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NCODE_THREADS", "1")
    runs = tmp_path / "runs"
    store = JobStore(runs)
    job = store.create_job(validate_job_spec({"task": "reflection", "model": "ncode_open",
                                              "steps": 4, "checkpoint_every": 2}))
    assert _run_in_process(runs, job.id) == 0
    done = store.require(job.id)
    assert done.status == "succeeded" and store.metric_steps(job.id) == [1, 2, 3, 4]
    assert [p.name for p in list_checkpoints(done.run_dir)] == ["step-00000002.pt",
                                                                  "step-00000004.pt"]
    checkpoint_path(done.run_dir, 4).write_bytes(b"not a checkpoint at all")
    store.resume(job.id, steps=6)
    assert _run_in_process(runs, job.id) == 1
    failed = store.require(job.id)
    assert failed.status == "failed" and "cannot be read safely" in failed.error
    torch.save({"format_version": 1, "payload": _Exploit()}, checkpoint_path(done.run_dir, 4))
    store.resume(job.id, steps=6)
    assert _run_in_process(runs, job.id) == 1
    refused = store.require(job.id)
    assert refused.status == "failed" and "cannot be read safely" in refused.error
    assert "pickled code ran" not in capsys.readouterr().out
    assert store.metric_steps(job.id) == [1, 2, 3, 4]  # history untouched by refused resumes


def test_gpu_assignment_and_child_environment(tmp_path):
    from types import SimpleNamespace

    from ncode_core.jobs.local import WorkerPool, child_environment

    pool = WorkerPool(tmp_path / "runs", slots=3, gpus=["0", "1"])
    assert pool._pick_gpu() == "0"
    pool.children[1] = SimpleNamespace(gpu="0")
    assert pool._pick_gpu() == "1"
    pool.children[2] = SimpleNamespace(gpu="1")
    pool.children[3] = SimpleNamespace(gpu="1")
    assert pool._pick_gpu() == "0"
    env = child_environment(tmp_path / "runs", gpu="1")
    assert env["CUDA_VISIBLE_DEVICES"] == "1" and env["NCODE_RUNS_DIR"] == str(pool.runs_dir)
    assert str(REPO) in env["PYTHONPATH"].split(":")
    inherited = child_environment(tmp_path / "runs").get("CUDA_VISIBLE_DEVICES")
    assert inherited == os.environ.get("CUDA_VISIBLE_DEVICES")  # no --gpus: left as it is
    assert WorkerPool(tmp_path / "runs", slots=1)._pick_gpu() is None
    for args in (["worker", "--slots", "0"], ["worker", "--gpus", "zero"]):
        code, out, err = cli_in_process(*args, "--runs-dir", str(tmp_path / "runs"))
        assert code == 2 and err.startswith("error: ") and args[1] in err and out == ""
