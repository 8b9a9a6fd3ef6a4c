"""Running twice (issue 8, item 4) and the Ray address (item 5).

A job has at most one runner whatever starts it: ``jobs run ID`` on a job a worker is running
is refused while the first runner goes on, with one metric row per step and one TensorBoard
file. The dashboard's form cannot choose where the server sends a job: the Ray address is the
operator's ``NCODE_RAY_ADDRESS``, shown read-only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import ncode_core as nc
from tests.faults.fault_helpers import in_process, submit, tree, wait_for_job
from tests.unit.jobs_helpers import cli

PAGE = Path(__file__).resolve().parents[2] / "app" / "app_pages" / "jobs.py"


def test_a_second_runner_is_refused_while_the_first_runs(runs, tracker):
    done = submit(runs, "--task", "reflection", "--model", "node", "--steps", "100000",
                  "--checkpoint-every", "20")
    job_id = json.loads(done.stdout.splitlines()[-1])["id"]
    tracker.worker()

    first = wait_for_job(runs, job_id, lambda job: job.pid and job.step >= 3, "the job to run")
    assert first.status == "running", (first.status, first.error)
    second = cli(runs, "jobs", "run", str(job_id))  # a real process, as a user would start it
    assert second.returncode == 2
    assert second.stderr.strip() == (f"error: job {job_id} already has a runner (pid "
                                      f"{first.pid}); a job runs in one process at a time")
    after = wait_for_job(runs, job_id, lambda job: job.step > first.step,
                         "the first runner to go on")
    assert (after.status, after.pid, after.attempts) == ("running", first.pid, first.attempts)
    with nc.JobStore(runs) as store:
        steps = store.metric_steps(job_id)
    assert steps == list(range(1, len(steps) + 1))
    events = list(Path(after.run_dir).glob("tensorboard/events.out.tfevents.*"))
    assert len(events) == 1, events
    cancelled = in_process("jobs", "cancel", str(job_id), "--wait", "60", "--json")
    assert json.loads(cancelled.stdout.splitlines()[-1])["status"] == "cancelled"


@pytest.fixture
def jobs_page(runs, monkeypatch):
    """The Jobs page with an operator-configured Ray address (nothing listens there)."""
    monkeypatch.setenv("NCODE_RAY_ADDRESS", "http://127.0.0.1:9")
    at = AppTest.from_file(str(PAGE), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_ray_address_is_shown_read_only_and_never_taken_from_the_browser(jobs_page, runs):
    address = [box for box in jobs_page.text_input if box.label == "Ray address"]
    assert len(address) == 1 and address[0].disabled
    assert address[0].value == "http://127.0.0.1:9"
    # a browser cannot edit it; a forged widget state must not matter either
    jobs_page.session_state["jobs_form_address"] = "http://attacker.example:8265"
    jobs_page.selectbox(key="jobs_form_executor").set_value("ray")
    jobs_page.button(key="jobs_form_launch").click()
    jobs_page.run()
    errors = " ".join(e.value for e in jobs_page.error)
    assert "attacker.example" not in errors
    assert "Not launched" in errors  # Ray is not reachable (or not installed) at 127.0.0.1:9
    assert tree(runs) == [] or nc.JobStore(runs).list_jobs() == []


def test_without_an_operator_address_ray_is_refused(runs, monkeypatch):
    monkeypatch.delenv("NCODE_RAY_ADDRESS", raising=False)
    with pytest.raises(nc.ConfigError, match="needs --address .* or the environment variable "
                                             "NCODE_RAY_ADDRESS"):
        nc.submit_job({"task": "reflection", "model": "node", "steps": 3}, executor="ray")
    assert tree(runs) == []
