"""Hostile and unlucky input (issue 8, items 1 and 6): every bad value ends in one line on
stderr naming the field, exit status 2, and nothing written.

Most cases call the CLI's ``main()`` in this process (the same code path as
``python -m ncode_core``, without an interpreter start per case); the ones whose harm is
process-level (memory, a YAML bomb, environment variables) run in a fresh process.
"""

from __future__ import annotations

import json
import math

import pytest
import torch

import ncode_core as nc
from tests.faults.fault_helpers import one_line_error, tree
from tests.unit.jobs_helpers import cli, cli_in_process

HUGE_RUN = ["--set", "model.hidden=4096", "--set", "model.gamma_hidden=4096",
            "--set", "training.batch_size=1000000"]
TINY_STEP = ["--set", "solver.method=euler", "--set", "solver.step_size=1e-6"]


# ---------------------------------------------------------------------- item 1: runs that cannot fit
@pytest.mark.parametrize("flags, expected", [
    (HUGE_RUN, "run too large: a training step needs about"),
    (TINY_STEP, "solver.step_size: euler with step 1e-06 needs 1000000 steps"),
])
def test_runs_that_cannot_fit_are_refused_before_they_start(runs, tmp_path, flags, expected):
    out = tmp_path / "out"
    code, stdout, err = cli_in_process("train", "--task", "annuli", "--model", "ncode_open",
                                       "--steps", "2", "--out", str(out), *flags)
    assert code == 2 and stdout == "" and expected in one_line_error(err)
    assert not out.exists()
    code, _, err = cli_in_process("submit", "--task", "annuli", "--model", "ncode_open",
                                  "--no-worker", *flags)
    assert code == 2 and expected in one_line_error(err)
    assert tree(runs) == []  # refused before the store was even opened


def test_a_run_too_large_for_memory_is_refused_by_a_real_process(runs, tmp_path):
    # this command died with a traceback (and the tiny-step one grew to 11 GB) before
    done = cli(runs, "train", "--task", "annuli", "--model", "ncode_open", "--steps", "2",
               "--out", str(tmp_path / "out"), *HUGE_RUN, timeout=120)
    assert done.returncode == 2 and "TB" in one_line_error(done.stderr)
    assert not (tmp_path / "out").exists()


def test_the_estimate_is_in_the_message_and_the_budget_is_configurable(monkeypatch):
    spec = {"task": "reflection", "model": "node", "steps": 5}
    estimate = nc.validate_job_spec(spec).run_config()  # default run fits the default budget
    assert estimate.training.batch_size == 512
    monkeypatch.setenv("NCODE_MEMORY_BUDGET_MB", "1")
    with pytest.raises(nc.ConfigError, match=r"needs about [0-9.]+ MB .* budget of 1 MB"):
        nc.submit_job(spec)  # the dashboard's form calls this: the same check
    monkeypatch.setenv("NCODE_MEMORY_BUDGET_MB", "lots")
    with pytest.raises(nc.ConfigError, match="NCODE_MEMORY_BUDGET_MB: expected a number"):
        nc.validate_job_spec(spec)


def test_the_estimate_grows_with_what_it_counts():
    from ncode_core.budget import estimate_run

    def estimate(**sections):
        return estimate_run(nc.parse_run_config({"task": "annuli", "model": "ncode_open",
                                                 **sections}), nc.TASKS["annuli"])

    base = estimate()
    assert estimate(training={"batch_size": 1024}).memory_bytes > base.memory_bytes
    assert estimate(model_cfg={"hidden": 64}).parameters > base.parameters
    euler = estimate(solver={"method": "euler", "step_size": 0.01})
    assert euler.solver_steps == 100 and euler.evaluations_kept == 100
    assert estimate(solver={"method": "rk4", "step_size": 0.01}).evaluations_kept == 400
    assert estimate(solver={"adjoint": True}).evaluations_kept == 1
    assert base.saved_bytes_per_sample > 0 and base.state_values_per_sample == 2 + nc.ModelConfig().gamma_hidden


# ---------------------------------------------------------------------- item 6: edge cases
@pytest.mark.parametrize("args, field", [
    (["--name", "abc\n"], "name"),
    (["--tag", "ok\n"], "tags"),
    (["--device", "meta"], "device"),
    (["--set", "solver.step_size=0.1"], "solver.step_size: applies only to fixed-grid"),
    (["--set", "training.batch_size=\"3\""], "training.batch_size"),
    (["--set", "solver.adjoint=1"], "solver.adjoint"),
    (["--steps", "100000000000000000000000"], "--steps"),
    (["--seed", "-1"], "--seed"),
])
def test_submit_refuses_malformed_values(runs, args, field):
    code, out, err = cli_in_process("submit", "--task", "reflection", "--model", "node",
                                    "--no-worker", *args)
    assert code == 2 and out == ""
    assert field in one_line_error(err)
    assert tree(runs) == []


@pytest.mark.parametrize("content, field", [
    ({"task": "reflection", "model": "node", "steps": "3"}, "steps"),
    ({"task": "reflection", "model": "node", "steps": True}, "steps"),
    ({"task": "reflection", "model": "node", "retries": 1.5}, "retries"),
    ({"task": "reflection", "model": "node", "training": {"lr": "0.1"}}, "training.lr"),
])
def test_spec_files_are_not_coerced(runs, tmp_path, content, field):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(content))
    code, _, err = cli_in_process("submit", str(path), "--no-worker")
    assert code == 2 and field in one_line_error(err)
    assert tree(runs) == []


def test_hostile_spec_files_are_refused(runs, tmp_path):
    laughs = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
               for i in range(8)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(laughs) + "\ntask: reflection\nmodel: node\n")
    big = tmp_path / "big.json"
    big.write_text(json.dumps({"task": "reflection", "model": "node", "name": "a" * 2_000_000}))
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("task: reflection\nmodel: node\nname: caf\u00e9\n".encode("latin-1"))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    for path, reason in ((bomb, "expands to more than 100000 values"),
                         (big, "larger than 1000000 bytes"), (latin, "not UTF-8"),
                         (deep, "cannot parse")):
        code, _, err = cli_in_process("submit", str(path), "--no-worker")
        assert code == 2 and reason in one_line_error(err), (path.name, err)
    assert tree(runs) == []


def test_a_50_mb_name_is_not_echoed(runs):
    code, _, err = cli_in_process("submit", "--task", "reflection", "--model", "node",
                                  "--no-worker", "--name", "n" * 50_000_000)
    assert code == 2 and "50000000 characters" in one_line_error(err) and len(err) < 500


@pytest.mark.parametrize("args, field", [
    (["jobs", "show", "100000000000000000000000"], "argument id"),
    (["jobs", "show", "0"], "argument id"),
    (["jobs", "logs", "1", "--tail", "-5"], "--tail"),
    (["jobs", "cancel", "1", "--wait", "nan"], "--wait"),
    (["worker", "--poll", "-1"], "--poll"),
    (["worker", "--poll", "0"], "--poll"),
    (["worker", "--heartbeat-timeout", "inf"], "--heartbeat-timeout"),
])
def test_numbers_out_of_range_are_usage_errors(runs, args, field):
    code, out, err = cli_in_process(*args)
    assert code == 2 and out == "" and field in one_line_error(err)
    assert not (runs / "ncode.db").exists()


def test_resume_cannot_skip_the_step_limit(runs):
    with nc.JobStore(runs) as store:
        job = store.create_job(nc.validate_job_spec({"task": "reflection", "model": "node",
                                                     "steps": 5}))
        store.claim_next("test-worker")
        store.finish(job.id, "failed", "for the test")
    code, _, err = cli_in_process("jobs", "resume", str(job.id), "--steps", "10000001",
                                  "--no-worker")
    assert code == 2 and "--steps: steps: Input should be less than or equal to 10000000" in \
        one_line_error(err)
    with nc.JobStore(runs) as store:
        after = store.require(job.id)
    assert (after.status, after.steps, after.spec["steps"]) == ("failed", 5, 5)


@pytest.fixture(scope="module")
def reflection_checkpoint(tmp_path_factory):
    """A 1-step reflection/node checkpoint."""
    out = tmp_path_factory.mktemp("ckpt")
    code, _, err = cli_in_process("train", "--task", "reflection", "--model", "node",
                                  "--steps", "1", "--device", "cpu", "--out", str(out))
    assert code == 0, err
    return out / "reflection-node-s0.pt"


def test_eval_refuses_a_device_that_cannot_run(reflection_checkpoint):
    code, _, err = cli_in_process("eval", "--checkpoint", str(reflection_checkpoint),
                                  "--device", "meta")
    assert code == 2 and "device: unknown device 'meta'" in one_line_error(err)


def test_eval_refuses_weights_of_another_task(reflection_checkpoint, tmp_path):
    payload = torch.load(reflection_checkpoint, weights_only=True)
    payload["config"]["task"] = payload["task"] = "annuli"  # annuli/node has a 2-D field
    payload["config"]["task_cfg"] = {}
    forged = tmp_path / "forged.pt"
    torch.save(payload, forged)
    code, _, err = cli_in_process("eval", "--checkpoint", str(forged), "--device", "cpu")
    assert code == 2 and "weights do not fit annuli/node: " in one_line_error(err)


def test_train_zero_steps_json_is_strict_json(tmp_path):
    code, out, err = cli_in_process("train", "--task", "reflection", "--model", "node",
                                    "--steps", "0", "--device", "cpu", "--json",
                                    "--out", str(tmp_path))
    assert code == 0, err

    def no_constants(name: str) -> float:
        raise AssertionError(f"non-JSON constant {name} in the output")

    report = json.loads(out.strip().splitlines()[-1], parse_constant=no_constants)
    assert report["steps"] == 0 and report["train_loss"] is None
    assert math.isfinite(report["test_loss"])


def test_train_out_is_checked_before_training(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("keep me\n")
    code, out, err = cli_in_process("train", "--task", "reflection", "--model", "node",
                                    "--steps", "100000", "--out", str(blocker / "sub"))
    assert code == 2 and out == ""  # 100000 steps would take minutes: it never started
    assert f"--out {blocker / 'sub'}: {blocker} is a file" in one_line_error(err)
    assert blocker.read_text() == "keep me\n"


@pytest.mark.parametrize("variable, value", [
    ("NCODE_THREADS", "two"), ("NCODE_THREADS", "0"),
    ("NCODE_HEARTBEAT_TIMEOUT_S", "soon"), ("NCODE_HEARTBEAT_TIMEOUT_S", "-3"),
])
def test_malformed_environment_variables_are_one_line(runs, tmp_path, monkeypatch, variable,
                                                      value):
    monkeypatch.setenv(variable, value)
    if variable == "NCODE_THREADS":
        args = ["train", "--task", "reflection", "--model", "node", "--steps", "1",
                "--out", str(tmp_path)]
    else:
        args = ["jobs", "list"]
    code, _, err = cli_in_process(*args)
    assert code == 2
    assert f"environment variable {variable}: expected" in one_line_error(err)
    assert repr(value) in err
