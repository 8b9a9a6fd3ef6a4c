"""The Ray executor against a real local single-node Ray head (loopback only, sandboxed HOME and
temp dir, auth disabled, one CPU, no usage stats): a job submitted through the Job Submission API
runs the same runner, its status/logs/metrics land in the shared runs folder, cancel maps onto
``cancelled``. Needs ``pip install -r requirements-ray.txt`` (CI installs it)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.unit.jobs_helpers import FAST_ENV, cli, cli_in_process, wait_until
from ncode_core.jobs import JobStore, cancel_job, submit_job

try:
    import ray  # noqa: F401
except ImportError:
    if os.environ.get("CI"):
        raise  # CI installs requirements-ray.txt: a missing Ray is a failure there
    pytest.skip("Ray is an optional extra (pip install -r requirements-ray.txt)",
                allow_module_level=True)

RAY = str(Path(sys.executable).parent / "ray")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sandbox_processes(sandbox: str) -> list[int]:
    """Pids whose command line mentions the sandbox (the head's daemons)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="ignore")
            except OSError:
                continue
            if sandbox in cmdline:
                found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def ray_head():
    sandbox = tempfile.mkdtemp(prefix="ncray", dir="/tmp")  # short: Ray's socket paths are long
    env = {**os.environ, "HOME": sandbox, "RAY_AUTH_MODE": "disabled",
           "RAY_USAGE_STATS_ENABLED": "0"}
    port, dashboard = _free_port(), _free_port()
    start = [RAY, "start", "--head", "--node-ip-address=127.0.0.1", "--dashboard-host=127.0.0.1",
             f"--port={port}", f"--dashboard-port={dashboard}", "--num-cpus=1",
             f"--temp-dir={sandbox}/ray", "--disable-usage-stats"]
    try:
        result = subprocess.run(start, env=env, capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr[-2000:]
        address = f"http://127.0.0.1:{dashboard}"
        client = wait_until(lambda: _try_client(address), 60, interval=0.25,
                            message="the Ray dashboard to answer")
        yield address, client
    finally:
        subprocess.run([RAY, "stop"], env=env, capture_output=True, timeout=120)
        for pid in _sandbox_processes(sandbox):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(sandbox, ignore_errors=True)


def _try_client(address: str):
    from ray.job_submission import JobSubmissionClient

    try:
        client = JobSubmissionClient(address)
        client.list_jobs()
        return client
    except Exception:
        return None


def test_ray_job_runs_through_job_submission_api(ray_head, tmp_path, monkeypatch):
    address, client = ray_head
    runs = tmp_path / "runs"
    for key, value in FAST_ENV.items():
        monkeypatch.setenv(key, value)
    result = cli(runs, "submit", "--task", "reflection", "--model", "ncode_open", "--steps", "6",
                 "--checkpoint-every", "3", "--executor", "ray", "--address", address,
                 "--runs-dir", str(runs), "--json", timeout=180)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout.strip().splitlines()[-1])
    job_id, submission = payload["id"], payload["external_id"]
    assert payload["executor"] == "ray" and submission.startswith(f"ncode-{job_id}-")
    # the job to cancel below, submitted through the API now so that both runners start
    # (interpreter and torch start-up) side by side rather than one after the other
    long_job = submit_job({"task": "reflection", "model": "ncode_open", "steps": 100000,
                           "checkpoint_every": 50}, runs, executor="ray", address=address)
    assert long_job.executor == "ray" and long_job.external_id.startswith(f"ncode-{long_job.id}-")

    with JobStore(runs) as store:
        done = wait_until(lambda: (j := store.require(job_id)).terminal and j, 180, interval=0.5,
                          message="the Ray job to end in the store")
        assert done.status == "succeeded", done.error
        assert store.metric_steps(job_id) == [1, 2, 3, 4, 5, 6]
        assert done.checkpoint_step == 6 and Path(done.checkpoint).is_file()
        assert "succeeded" in Path(done.run_dir, "log.txt").read_text()
        assert list(Path(done.run_dir, "tensorboard").glob("events.out.tfevents.*"))
    status = wait_until(lambda: str(client.get_job_status(submission)).endswith("SUCCEEDED"),
                        60, interval=0.5, message="Ray to report SUCCEEDED")
    assert status
    assert f"job {job_id} succeeded at step 6" in client.get_job_logs(submission)
    code, out, err = cli_in_process("jobs", "show", str(job_id), "--runs-dir", str(runs), "--json")
    assert code == 0, err
    assert json.loads(out.strip().splitlines()[-1])["status"] == "succeeded"

    # cancel through Ray: stop_job's SIGTERM reaches the runner, which checkpoints and ends
    long_id = long_job.id
    with JobStore(runs) as store:
        wait_until(lambda: store.require(long_id).step > 0, 180, interval=0.5,
                   message="the long Ray job to run")
        started = time.monotonic()
        cancelled = cancel_job(long_id, runs, wait_s=60)
        assert cancelled.status == "cancelled", cancelled
        assert time.monotonic() - started < 60
        assert store.metric_steps(long_id) == list(range(1, cancelled.step + 1))
